//! Settings of the engine, validated once, and the configuration they come from.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::{Error, PolicySetBuilder};

/// Default per-evaluation time limit, as oCIS (`POLICIES_ENGINE_TIMEOUT=10s`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default number of remembered decisions per policy set.
pub const DEFAULT_DECISION_CACHE: usize = 4096;
/// Default maximum size of one policy source (1 MiB, regorus' own default).
pub const DEFAULT_MAX_POLICY_BYTES: usize = 1024 * 1024;

/// The `policies.engine` section of the configuration. Validated by [`PolicyConfig::settings`]
/// and loaded by [`PolicyConfig::builder`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Policy files, or directories whose `*.rego` files are loaded recursively in name order.
    pub policies: Vec<PathBuf>,
    /// Data documents (JSON or YAML objects) merged into `data`.
    pub data: Vec<PathBuf>,
    /// Time limit of one evaluation in milliseconds (oCIS: `POLICIES_ENGINE_TIMEOUT`);
    /// reaching it denies.
    pub timeout_ms: u64,
    /// Parse policies as Rego v0 (the oCIS example policies); default Rego v1.
    pub rego_v0: bool,
    /// Maximum size of one policy source in bytes.
    pub max_policy_bytes: usize,
    /// An Apache-format `mime.types` file that extends the built-in MIME table
    /// (oCIS: `POLICIES_ENGINE_MIMES`).
    pub mimes: Option<PathBuf>,
    /// Decisions remembered per policy set (same query and input, no outside builtin
    /// called); 0 turns the cache off.
    pub decision_cache: usize,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            policies: Vec::new(),
            data: Vec::new(),
            timeout_ms: DEFAULT_TIMEOUT.as_millis() as u64,
            rego_v0: false,
            max_policy_bytes: DEFAULT_MAX_POLICY_BYTES,
            mimes: None,
            decision_cache: DEFAULT_DECISION_CACHE,
        }
    }
}

impl PolicyConfig {
    /// The validated engine settings.
    pub fn settings(&self) -> Result<Settings, Error> {
        Ok(Settings::default()
            .with_timeout(Duration::from_millis(self.timeout_ms))?
            .with_max_policy_bytes(self.max_policy_bytes)?
            .with_rego_v0(self.rego_v0)
            .with_decision_cache(self.decision_cache))
    }

    /// A builder holding every configured policy, data document and MIME file, read from disk.
    pub fn builder(&self) -> Result<PolicySetBuilder, Error> {
        let mut builder = PolicySetBuilder::new(self.settings()?);
        for path in &self.policies {
            builder = builder.path(path)?;
        }
        for path in &self.data {
            builder = builder.data_file(path)?;
        }
        if let Some(path) = &self.mimes {
            builder = builder.mime_types_file(path)?;
        }
        Ok(builder)
    }
}

/// Engine settings that are always valid: a non-zero time limit and a non-zero size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    timeout: Duration,
    rego_v0: bool,
    max_policy_bytes: NonZeroUsize,
    decision_cache: usize,
}

impl Default for Settings {
    /// 10 s, Rego v1, 1 MiB, 4,096 remembered decisions.
    fn default() -> Self {
        Settings {
            timeout: DEFAULT_TIMEOUT,
            rego_v0: false,
            max_policy_bytes: NonZeroUsize::MIN.saturating_add(DEFAULT_MAX_POLICY_BYTES - 1),
            decision_cache: DEFAULT_DECISION_CACHE,
        }
    }
}

impl Settings {
    /// Sets the per-evaluation time limit; zero is refused (there is always a limit).
    pub fn with_timeout(mut self, timeout: Duration) -> Result<Self, Error> {
        if timeout.is_zero() {
            return Err(Error::InvalidConfig(
                "timeout must be greater than 0".into(),
            ));
        }
        self.timeout = timeout;
        Ok(self)
    }

    /// Parses policies as Rego v0 (`true`) or v1 (`false`, the default).
    pub fn with_rego_v0(mut self, rego_v0: bool) -> Self {
        self.rego_v0 = rego_v0;
        self
    }

    /// Sets the maximum size of one policy source; zero is refused.
    pub fn with_max_policy_bytes(mut self, bytes: usize) -> Result<Self, Error> {
        self.max_policy_bytes = NonZeroUsize::new(bytes).ok_or_else(|| {
            Error::InvalidConfig("max_policy_bytes must be greater than 0".into())
        })?;
        Ok(self)
    }

    /// Remembers up to `entries` decisions per set (0: none).
    pub fn with_decision_cache(mut self, entries: usize) -> Self {
        self.decision_cache = entries;
        self
    }

    /// How many decisions a set remembers.
    pub fn decision_cache(&self) -> usize {
        self.decision_cache
    }

    /// The per-evaluation time limit.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether policies are parsed as Rego v0.
    pub fn rego_v0(&self) -> bool {
        self.rego_v0
    }

    /// The maximum size of one policy source.
    pub fn max_policy_bytes(&self) -> NonZeroUsize {
        self.max_policy_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_limits_are_refused() {
        let zero_time = PolicyConfig {
            timeout_ms: 0,
            ..PolicyConfig::default()
        };
        assert!(matches!(zero_time.settings(), Err(Error::InvalidConfig(_))));
        assert!(Settings::default().with_max_policy_bytes(0).is_err());
    }

    #[test]
    fn defaults_follow_ocis() {
        let settings = PolicyConfig::default().settings().unwrap();
        assert_eq!(settings.timeout(), Duration::from_secs(10));
        assert_eq!(settings.max_policy_bytes().get(), DEFAULT_MAX_POLICY_BYTES);
        assert!(!settings.rego_v0());
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = serde_yaml::from_str::<PolicyConfig>("timeout: 5").unwrap_err();
        assert!(err.to_string().contains("timeout"), "{err}");
    }
}
