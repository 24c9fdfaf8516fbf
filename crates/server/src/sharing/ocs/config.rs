//! The `sharing.ocs` settings: the proxy guard's OCS mode, validated once into
//! [`OcsSettings`].

use std::time::Duration;

use anyhow::bail;
use serde::Deserialize;

/// `sharing:` settings of the configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SharingFileConfig {
    /// The proxy guard in front of an OCS server (Nextcloud, ownCloud).
    pub ocs: OcsConfig,
}

/// `sharing.ocs:` share creations and updates through the proxy guard are evaluated first.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OcsConfig {
    /// The service account Leakwall reads shares and users and revokes WRITE with (Basic
    /// auth; an administrator of the OCS server). Empty = OCS mode off.
    pub service_user: String,
    /// Its password or app password (`LEAKWALL_SHARING_OCS_PASSWORD` overrides; never logged).
    pub service_password: String,
    /// Seconds a user's e-mail address read from the upstream is remembered (default 300).
    pub email_cache_seconds: u64,
    /// Attempts per revocation before it is reported failed (default 3).
    pub revoke_attempts: u32,
    /// Milliseconds before the first retry, doubled each time (default 200).
    pub revoke_backoff_ms: u64,
    /// Seconds one call to the upstream may take (default 10).
    pub timeout_seconds: u64,
}

impl Default for OcsConfig {
    fn default() -> Self {
        OcsConfig {
            service_user: String::new(),
            service_password: String::new(),
            email_cache_seconds: 300,
            revoke_attempts: 3,
            revoke_backoff_ms: 200,
            timeout_seconds: 10,
        }
    }
}

/// Validated OCS settings.
#[derive(Clone)]
pub struct OcsSettings {
    /// The service account.
    pub service_user: String,
    /// Its password.
    pub service_password: String,
    /// How long an e-mail address is remembered.
    pub email_ttl: Duration,
    /// Attempts per revocation (at least 1).
    pub revoke_attempts: u32,
    /// First retry delay.
    pub revoke_backoff: Duration,
    /// Per-call timeout.
    pub timeout: Duration,
}

impl std::fmt::Debug for OcsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcsSettings")
            .field("service_user", &self.service_user)
            .field("service_password", &"***")
            .field("email_ttl", &self.email_ttl)
            .finish_non_exhaustive()
    }
}

impl SharingFileConfig {
    /// Applies `LEAKWALL_SHARING_OCS_USER` and `LEAKWALL_SHARING_OCS_PASSWORD`.
    pub fn with_env(mut self, env: &impl Fn(&str) -> Option<String>) -> SharingFileConfig {
        if let Some(user) = env("LEAKWALL_SHARING_OCS_USER") {
            self.ocs.service_user = user;
        }
        if let Some(password) = env("LEAKWALL_SHARING_OCS_PASSWORD") {
            self.ocs.service_password = password;
        }
        self
    }

    /// The OCS settings, `None` when off; `proxy` says whether the guard is configured.
    pub fn validate(&self, proxy: bool) -> anyhow::Result<Option<OcsSettings>> {
        let ocs = &self.ocs;
        if ocs.service_user.trim().is_empty() {
            return Ok(None);
        }
        if !proxy {
            bail!("sharing.ocs.service_user: OCS mode needs the proxy guard (proxy.listen and proxy.upstream)");
        }
        if ocs.service_password.is_empty() {
            bail!("sharing.ocs.service_password: required with sharing.ocs.service_user (or LEAKWALL_SHARING_OCS_PASSWORD)");
        }
        if ocs.revoke_attempts == 0 || ocs.timeout_seconds == 0 {
            bail!(
                "sharing.ocs.revoke_attempts and sharing.ocs.timeout_seconds: must be at least 1"
            );
        }
        Ok(Some(OcsSettings {
            service_user: ocs.service_user.trim().to_owned(),
            service_password: ocs.service_password.clone(),
            email_ttl: Duration::from_secs(ocs.email_cache_seconds),
            revoke_attempts: ocs.revoke_attempts,
            revoke_backoff: Duration::from_millis(ocs.revoke_backoff_ms),
            timeout: Duration::from_secs(ocs.timeout_seconds),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(user: &str, password: &str) -> SharingFileConfig {
        SharingFileConfig {
            ocs: OcsConfig {
                service_user: user.into(),
                service_password: password.into(),
                ..OcsConfig::default()
            },
        }
    }

    #[test]
    fn off_without_a_service_user_and_checked_with_one() {
        assert!(config("", "").validate(false).unwrap().is_none());
        let needs_proxy = config("svc", "pw").validate(false).unwrap_err();
        assert!(needs_proxy.to_string().contains("proxy"), "{needs_proxy}");
        let needs_password = config("svc", "").validate(true).unwrap_err();
        assert!(needs_password
            .to_string()
            .contains("sharing.ocs.service_password"));
        let on = config("svc", "pw").validate(true).unwrap().unwrap();
        assert!(
            !format!("{on:?}").contains("pw"),
            "the password is never shown"
        );
    }

    #[test]
    fn the_environment_gives_the_credentials() {
        let env = |k: &str| match k {
            "LEAKWALL_SHARING_OCS_USER" => Some("svc".to_owned()),
            "LEAKWALL_SHARING_OCS_PASSWORD" => Some("secret".to_owned()),
            _ => None,
        };
        let settings = config("", "")
            .with_env(&env)
            .validate(true)
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                settings.service_user.as_str(),
                settings.service_password.as_str()
            ),
            ("svc", "secret")
        );
    }
}
