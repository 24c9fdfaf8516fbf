//! API keys: random ids and secrets, and the hash under which a secret is stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// A new API key: its public id and its secret, shown to the user once.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// `key_` and 12 hex digits; the principal's id.
    pub id: String,
    /// `lw_<id without key_>_<43 characters of base64url>`: 256 random bits.
    pub secret: String,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A new random API key.
///
/// # Panics
/// If the operating system's random source fails (it does not on supported platforms).
pub fn new_api_key() -> ApiKey {
    let mut id = [0u8; 6];
    let mut secret = [0u8; 32];
    #[allow(clippy::expect_used)]
    {
        getrandom::fill(&mut id).expect("the operating system's random source failed");
        getrandom::fill(&mut secret).expect("the operating system's random source failed");
    }
    let id = hex::encode(id);
    ApiKey {
        secret: format!("lw_{id}_{}", URL_SAFE_NO_PAD.encode(secret)),
        id: format!("key_{id}"),
    }
}

/// The stored form of an API key secret: SHA-256, in hex.
///
/// A fast hash is the right choice here, unlike for passwords: the secrets are 256 bits from
/// the operating system's random source, so there is nothing to guess and no dictionary to try;
/// a slow hash would only slow down every authenticated request.
pub fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_of_keys() {
        let key = new_api_key();
        assert_eq!(key.id.len(), 16);
        assert!(key.id.starts_with("key_"));
        let rest = key.secret.strip_prefix("lw_").unwrap_or_default();
        let (id, secret) = rest.split_once('_').unwrap_or_default();
        assert_eq!(format!("key_{id}"), key.id);
        assert_eq!(secret.len(), 43);
        assert_ne!(new_api_key(), key);
        assert!(!format!("{key:?}").contains(secret));
        assert_eq!(hash_key(&key.secret).len(), 64);
    }
}
