//! Slack request signing, version 0 (spec §1.4).
//!
//! `X-Slack-Signature: v0=<hex>` is HMAC-SHA256 keyed with the app's signing secret over
//! `v0:{X-Slack-Request-Timestamp}:{raw body}`. The timestamp must be within the replay window
//! (5 minutes) of `now` in either direction; the comparison is constant-time.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::Sha256;

use crate::connector::WebhookVerifier;
use crate::error::VerifyError;
use crate::secret::Token;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-slack-signature";
/// The timestamp header.
pub const TIMESTAMP_HEADER: &str = "x-slack-request-timestamp";
/// Slack's replay window: 5 minutes.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(300);

type HmacSha256 = Hmac<Sha256>;

/// Verifies Slack's v0 signatures with one app's signing secret.
#[derive(Clone, Debug)]
pub struct SlackVerifier {
    secret: Token,
    window: Duration,
}

impl SlackVerifier {
    /// A verifier with the signing secret and the 5-minute window.
    pub fn new(signing_secret: Token) -> Self {
        SlackVerifier {
            secret: signing_secret,
            window: REPLAY_WINDOW,
        }
    }

    /// The same verifier with another replay window.
    pub fn with_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Verifies the two header values and the raw body at time `now`.
    pub fn verify_parts(
        &self,
        signature: &str,
        timestamp: &str,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), VerifyError> {
        let ts: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| VerifyError::BadHeader(TIMESTAMP_HEADER))?;
        let expected = signature
            .strip_prefix("v0=")
            .and_then(|h| hex::decode(h).ok())
            .filter(|bytes| bytes.len() == 32)
            .ok_or(VerifyError::BadHeader(SIGNATURE_HEADER))?;
        let skew = unix_now(now).abs_diff(ts);
        if skew > self.window.as_secs() {
            return Err(VerifyError::Stale { skew_secs: skew });
        }
        let mac = self
            .mac(timestamp.trim(), body)
            .ok_or(VerifyError::Mismatch)?;
        mac.verify_slice(&expected)
            .map_err(|_| VerifyError::Mismatch)
    }

    /// The HMAC over the base string; `None` only if the key were refused (HMAC takes keys
    /// of any length, so never in practice).
    fn mac(&self, timestamp: &str, body: &[u8]) -> Option<HmacSha256> {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(self.secret.expose().as_bytes()).ok()?;
        mac.update(b"v0:");
        mac.update(timestamp.as_bytes());
        mac.update(b":");
        mac.update(body);
        Some(mac)
    }
}

impl WebhookVerifier for SlackVerifier {
    fn verify(&self, headers: &HeaderMap, body: &[u8], now: SystemTime) -> Result<(), VerifyError> {
        let signature = header(headers, SIGNATURE_HEADER)?;
        let timestamp = header(headers, TIMESTAMP_HEADER)?;
        self.verify_parts(signature, timestamp, body, now)
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, VerifyError> {
    headers
        .get(name)
        .ok_or(VerifyError::MissingHeader(name))?
        .to_str()
        .map_err(|_| VerifyError::BadHeader(name))
}

fn unix_now(now: SystemTime) -> i64 {
    match now.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// Signs `body` as Slack does: the value of `X-Slack-Signature` for `timestamp`. For tests and
/// the fake's event sender.
pub fn sign(signing_secret: &Token, timestamp: i64, body: &[u8]) -> String {
    let verifier = SlackVerifier::new(signing_secret.clone());
    let tag = verifier
        .mac(&timestamp.to_string(), body)
        .map(|m| m.finalize().into_bytes());
    format!("v0={}", tag.map(hex::encode).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_is_verified() {
        let secret = Token::new("s3cret");
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let sig = sign(&secret, 1_700_000_000, b"{}");
        let v = SlackVerifier::new(secret);
        assert_eq!(v.verify_parts(&sig, "1700000000", b"{}", now), Ok(()));
        assert_eq!(
            v.verify_parts(&sig, "1700000000", b"{ }", now),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn short_or_odd_signatures_are_bad_headers() {
        let v = SlackVerifier::new(Token::new("k"));
        let now = UNIX_EPOCH + Duration::from_secs(10);
        for sig in ["v0=", "v0=abcd", "v1=00", "v0=zz", ""] {
            assert_eq!(
                v.verify_parts(sig, "10", b"", now),
                Err(VerifyError::BadHeader(SIGNATURE_HEADER)),
                "{sig}"
            );
        }
    }
}
