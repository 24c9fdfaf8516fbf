//! Secrets at rest and signed OAuth states, shared by every platform (Slack, Webex): one
//! configured key (`server.token_key`, or `slack.token_key` as before).
//!
//! [`TokenCipher`] seals tokens with ChaCha20-Poly1305 (a random nonce per token, and a
//! context such as `slack/T1/bot` or `webex/ORG/access` as associated data, so a sealed token
//! cannot be moved to another row or kind). [`StateSigner`] signs install links (HMAC-SHA256
//! over an expiry and a nonce) with a key derived from the same configured key and a label
//! per platform, so the two uses never share a key and a Slack link is no Webex link.
//! Neither ever logs or shows a token.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use leakwall_connectors::Token;
use leakwall_store::Store;
use serde::Deserialize;
use sha2::Sha256;

use crate::error::ApiError;

type HmacSha256 = Hmac<Sha256>;

/// The prefix of a sealed token: the format's version.
const SEALED_PREFIX: &str = "v1.";
const NONCE_BYTES: usize = 12;

/// Why a sealed token could not be opened or made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not a sealed token, the wrong key, or a token moved between workspaces.
    #[error("a stored secret cannot be opened (wrong token key, or corrupt)")]
    Open,
    /// The system's random source failed.
    #[error("no randomness for a nonce")]
    Random,
}

/// Seals and opens tokens with the configured key.
#[derive(Clone)]
pub struct TokenCipher {
    key: [u8; 32],
}

impl std::fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCipher(‹key›)")
    }
}

impl TokenCipher {
    /// A cipher with a key of 32 bytes in standard base64.
    pub fn from_base64(text: &str) -> Result<TokenCipher, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| "not base64".to_owned())?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("{} bytes, not 32", b.len()))?;
        Ok(TokenCipher { key })
    }

    /// `token` sealed for `context` (e.g. `slack/T123/bot`): `v1.` + base64(nonce ‖ sealed).
    pub fn seal(&self, token: &Token, context: &str) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let payload = Payload {
            msg: token.expose().as_bytes(),
            aad: context.as_bytes(),
        };
        let sealed = self
            .aead()
            .encrypt(Nonce::from_slice(&nonce), payload)
            .map_err(|_| SealError::Random)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        let encoded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(out);
        Ok(format!("{SEALED_PREFIX}{encoded}"))
    }

    /// Opens what [`TokenCipher::seal`] made for the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Token, SealError> {
        let bytes = sealed
            .strip_prefix(SEALED_PREFIX)
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(b)
                    .ok()
            })
            .filter(|b| b.len() > NONCE_BYTES)
            .ok_or(SealError::Open)?;
        let (nonce, body) = bytes.split_at(NONCE_BYTES);
        let payload = Payload {
            msg: body,
            aad: context.as_bytes(),
        };
        let plain = self
            .aead()
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| SealError::Open)?;
        String::from_utf8(plain)
            .map(Token::new)
            .map_err(|_| SealError::Open)
    }

    /// The signer of Slack's OAuth states (label `leakwall slack oauth state v1`).
    pub fn state_signer(&self) -> StateSigner {
        self.state_signer_for("leakwall slack oauth state v1")
    }

    /// A signer of OAuth states keyed by HMAC(key, `label`), so that the uses of the
    /// configured key never share a key.
    pub fn state_signer_for(&self, label: &str) -> StateSigner {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(label.as_bytes());
        StateSigner {
            key: mac.finalize().into_bytes().into(),
        }
    }

    fn aead(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.key))
    }
}

/// Why an OAuth `state` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Not one of ours, or altered.
    #[error("the install link's state is not valid")]
    Invalid,
    /// Ours, but too old.
    #[error("the install link has expired; start the installation again")]
    Expired,
}

/// Signs and checks install links' `state`: `EXPIRY.NONCE.MAC` (hex).
#[derive(Clone)]
pub struct StateSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for StateSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateSigner(‹key›)")
    }
}

impl StateSigner {
    /// A new state valid for `ttl` from `now`.
    pub fn issue(&self, now: SystemTime, ttl: Duration) -> Result<String, SealError> {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let expiry = unix(now).saturating_add(ttl.as_secs());
        let payload = format!("{expiry}.{}", hex::encode(nonce));
        let tag = hex::encode(self.mac(&payload).finalize().into_bytes());
        Ok(format!("{payload}.{tag}"))
    }

    /// Checks a state at `now`; answers its nonce (to use it only once).
    pub fn check(&self, state: &str, now: SystemTime) -> Result<String, StateError> {
        let (payload, tag) = state.rsplit_once('.').ok_or(StateError::Invalid)?;
        let tag = hex::decode(tag).map_err(|_| StateError::Invalid)?;
        self.mac(payload)
            .verify_slice(&tag)
            .map_err(|_| StateError::Invalid)?;
        let (expiry, nonce) = payload.split_once('.').ok_or(StateError::Invalid)?;
        let expiry: u64 = expiry.parse().map_err(|_| StateError::Invalid)?;
        if unix(now) > expiry {
            return Err(StateError::Expired);
        }
        Ok(nonce.to_owned())
    }

    fn mac(&self, payload: &str) -> HmacSha256 {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(payload.as_bytes());
        mac
    }
}

/// The query a platform's OAuth redirect brings back: `code` and `state`, or `error`.
#[derive(Debug, Deserialize)]
pub struct OAuthCallback {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// Where an install link's `state` is checked: its signer, and the idempotency scope and
/// lifetime under which its nonce is remembered (so a link is used once).
pub struct StateCheck<'a> {
    /// `Slack`, `Webex`: named in the refusals.
    pub platform: &'a str,
    /// The platform's signer.
    pub signer: &'a StateSigner,
    /// The idempotency scope of used states.
    pub scope: &'a str,
    /// How long a link is valid.
    pub ttl: Duration,
}

impl OAuthCallback {
    /// The `code`, once the `state` is ours, unexpired and used for the first time; 400
    /// otherwise (and when the platform sent an `error` or no code).
    pub async fn code(self, store: &Store, check: StateCheck<'_>) -> Result<String, ApiError> {
        if let Some(error) = &self.error {
            return Err(ApiError::bad_request(format!(
                "{} did not grant access: {error}",
                check.platform
            )));
        }
        let signed = self.state.as_deref().unwrap_or_default();
        let nonce = check
            .signer
            .check(signed, SystemTime::now())
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let first = store
            .remember(check.scope, &nonce, check.ttl)
            .await
            .map_err(ApiError::internal)?;
        if !first {
            return Err(ApiError::bad_request(
                "this install link was already used; start the installation again",
            ));
        }
        self.code
            .filter(|c| !c.is_empty())
            .ok_or_else(|| ApiError::bad_request("the callback has no `code`"))
    }
}

/// A random secret of 32 bytes in hex (a webhook's signing secret).
pub fn random_secret() -> Result<Token, SealError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| SealError::Random)?;
    Ok(Token::new(hex::encode(bytes)))
}

fn unix(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> TokenCipher {
        TokenCipher::from_base64(&base64::engine::general_purpose::STANDARD.encode([7u8; 32]))
            .unwrap()
    }

    #[test]
    fn sealed_tokens_open_only_in_their_context() {
        let c = cipher();
        let sealed = c.seal(&Token::new("xoxb-123"), "slack/T1/bot").unwrap();
        assert!(!sealed.contains("xoxb"));
        assert_eq!(
            c.open(&sealed, "slack/T1/bot").unwrap().expose(),
            "xoxb-123"
        );
        assert_eq!(c.open(&sealed, "slack/T2/bot"), Err(SealError::Open));
        assert_eq!(c.open("v1.AAAA", "slack/T1/bot"), Err(SealError::Open));
        let other =
            TokenCipher::from_base64(&base64::engine::general_purpose::STANDARD.encode([8u8; 32]))
                .unwrap();
        assert_eq!(other.open(&sealed, "slack/T1/bot"), Err(SealError::Open));
        assert_ne!(
            sealed,
            c.seal(&Token::new("xoxb-123"), "slack/T1/bot").unwrap()
        );
    }

    #[test]
    fn keys_must_be_32_bytes() {
        assert!(TokenCipher::from_base64("c2hvcnQ=").is_err());
        assert!(TokenCipher::from_base64("not base64!").is_err());
    }

    #[test]
    fn states_expire_and_cannot_be_altered() {
        let s = cipher().state_signer();
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let state = s.issue(now, Duration::from_secs(600)).unwrap();
        assert!(s.check(&state, now).is_ok());
        let later = now + Duration::from_secs(601);
        assert_eq!(s.check(&state, later), Err(StateError::Expired));
        let forged = state.replacen("1000600", "9999999", 1);
        assert_eq!(s.check(&forged, now), Err(StateError::Invalid));
        assert_eq!(s.check("garbage", now), Err(StateError::Invalid));
        let webex = cipher().state_signer_for("leakwall webex oauth state v1");
        assert_eq!(webex.check(&state, now), Err(StateError::Invalid));
    }
}
