//! Webex webhook signing (spec §5.5).
//!
//! `X-Spark-Signature` is the lowercase hex HMAC-SHA1 of the raw body, keyed with the
//! webhook's secret. There is no timestamp to check. The secret is per organization, so the
//! server first reads the org id with [`peek_org`], picks that org's secret, and verifies
//! before parsing anything else.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use std::time::SystemTime;

use hmac::{Hmac, Mac};
use http::HeaderMap;
use serde::Deserialize;
use sha1::Sha1;

use crate::connector::WebhookVerifier;
use crate::error::VerifyError;
use crate::secret::Token;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-spark-signature";
/// The largest body [`peek_org`] reads: 1 MiB, the parser's default limit.
pub const PEEK_MAX_BYTES: usize = 1024 * 1024;
/// The longest org id [`peek_org`] returns (Webex ids are base64 of a short URI, ~80 chars).
pub const MAX_ORG_ID_LEN: usize = 256;

type HmacSha1 = Hmac<Sha1>;

/// Verifies `X-Spark-Signature` with one webhook's secret.
#[derive(Clone, Debug)]
pub struct WebexVerifier {
    secret: Token,
}

impl WebexVerifier {
    /// A verifier with the webhook's secret.
    pub fn new(secret: Token) -> Self {
        WebexVerifier { secret }
    }

    /// Verifies the header value against the raw body (constant-time).
    pub fn verify_signature(&self, signature: &str, body: &[u8]) -> Result<(), VerifyError> {
        let expected = hex::decode(signature.trim())
            .ok()
            .filter(|bytes| bytes.len() == 20)
            .ok_or(VerifyError::BadHeader(SIGNATURE_HEADER))?;
        let mac = mac(&self.secret, body).ok_or(VerifyError::Mismatch)?;
        mac.verify_slice(&expected)
            .map_err(|_| VerifyError::Mismatch)
    }
}

impl WebhookVerifier for WebexVerifier {
    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        _now: SystemTime,
    ) -> Result<(), VerifyError> {
        let signature = headers
            .get(SIGNATURE_HEADER)
            .ok_or(VerifyError::MissingHeader(SIGNATURE_HEADER))?
            .to_str()
            .map_err(|_| VerifyError::BadHeader(SIGNATURE_HEADER))?;
        self.verify_signature(signature, body)
    }
}

/// HMAC-SHA1 over the body; `None` only if the key were refused (never: HMAC takes any key).
fn mac(secret: &Token, body: &[u8]) -> Option<HmacSha1> {
    let mut mac = <HmacSha1 as Mac>::new_from_slice(secret.expose().as_bytes()).ok()?;
    mac.update(body);
    Some(mac)
}

/// Signs `body` as Webex does: the value of `X-Spark-Signature`. For tests and the fake.
pub fn sign(secret: &Token, body: &[u8]) -> String {
    mac(secret, body)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default()
}

#[derive(Deserialize)]
struct OrgOnly {
    #[serde(rename = "orgId", default)]
    org_id: Option<String>,
}

/// The delivery's `orgId`, read from the raw (not yet verified) body so the server can pick
/// the org's secret. Bounded: bodies over [`PEEK_MAX_BYTES`], non-JSON, a missing or empty
/// id, or one longer than [`MAX_ORG_ID_LEN`] give `None`. Never panics. Other fields are
/// skipped without being kept.
pub fn peek_org(body: &[u8]) -> Option<String> {
    if body.len() > PEEK_MAX_BYTES {
        return None;
    }
    let only: OrgOnly = serde_json::from_slice(body).ok()?;
    only.org_id
        .filter(|id| !id.is_empty() && id.len() <= MAX_ORG_ID_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_is_verified_and_one_byte_changes_it() {
        let secret = Token::new("s3cret");
        let sig = sign(&secret, b"{}");
        assert_eq!(sig.len(), 40);
        let v = WebexVerifier::new(secret);
        assert_eq!(v.verify_signature(&sig, b"{}"), Ok(()));
        assert_eq!(v.verify_signature(&sig, b"{ }"), Err(VerifyError::Mismatch));
    }

    #[test]
    fn odd_signatures_are_bad_headers() {
        let v = WebexVerifier::new(Token::new("k"));
        for sig in ["", "abcd", "zz", &"0".repeat(64), "sha1=00"] {
            assert_eq!(
                v.verify_signature(sig, b""),
                Err(VerifyError::BadHeader(SIGNATURE_HEADER)),
                "{sig}"
            );
        }
    }
}
