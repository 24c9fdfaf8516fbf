//! Slack v0 signatures: the documented test vector, every rejection, the replay window.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use leakwall_connectors::slack::{sign, SlackVerifier};
use leakwall_connectors::{Token, VerifyError, WebhookVerifier};

const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const TIMESTAMP: i64 = 1_531_420_618;
const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const EXPECTED: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

fn at(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs as u64)
}

fn headers(signature: &str, timestamp: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "X-Slack-Signature",
        HeaderValue::from_str(signature).unwrap(),
    );
    h.insert(
        "X-Slack-Request-Timestamp",
        HeaderValue::from_str(timestamp).unwrap(),
    );
    h
}

fn verifier() -> SlackVerifier {
    SlackVerifier::new(Token::new(SECRET))
}

#[test]
fn documented_vector_is_accepted() {
    let h = headers(EXPECTED, "1531420618");
    assert_eq!(
        verifier().verify(&h, BODY.as_bytes(), at(TIMESTAMP)),
        Ok(())
    );
}

#[test]
fn sign_reproduces_the_documented_vector() {
    assert_eq!(
        sign(&Token::new(SECRET), TIMESTAMP, BODY.as_bytes()),
        EXPECTED
    );
}

#[test]
fn body_changed_by_one_byte_is_a_mismatch() {
    let mut body = BODY.as_bytes().to_vec();
    body[10] ^= 1;
    let h = headers(EXPECTED, "1531420618");
    assert_eq!(
        verifier().verify(&h, &body, at(TIMESTAMP)),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn wrong_secret_is_a_mismatch() {
    let other = SlackVerifier::new(Token::new("another-secret"));
    let h = headers(EXPECTED, "1531420618");
    assert_eq!(
        other.verify(&h, BODY.as_bytes(), at(TIMESTAMP)),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn signature_for_another_timestamp_is_a_mismatch() {
    let h = headers(EXPECTED, "1531420619");
    assert_eq!(
        verifier().verify(&h, BODY.as_bytes(), at(TIMESTAMP)),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn missing_headers_are_named() {
    let mut h = headers(EXPECTED, "1531420618");
    h.remove("x-slack-signature");
    assert_eq!(
        verifier().verify(&h, BODY.as_bytes(), at(TIMESTAMP)),
        Err(VerifyError::MissingHeader("x-slack-signature"))
    );
    let mut h = headers(EXPECTED, "1531420618");
    h.remove("x-slack-request-timestamp");
    assert_eq!(
        verifier().verify(&h, BODY.as_bytes(), at(TIMESTAMP)),
        Err(VerifyError::MissingHeader("x-slack-request-timestamp"))
    );
}

#[test]
fn malformed_timestamp_and_signature_are_bad_headers() {
    for ts in ["", "abc", "1531420618.5", "-"] {
        let h = headers(EXPECTED, ts);
        assert_eq!(
            verifier().verify(&h, BODY.as_bytes(), at(TIMESTAMP)),
            Err(VerifyError::BadHeader("x-slack-request-timestamp")),
            "{ts:?}"
        );
    }
    for sig in [
        "a2114d57",
        "v0=",
        "v0=nothex",
        &EXPECTED[..60],
        &EXPECTED.replace("v0=", "v1="),
    ] {
        let h = headers(sig, "1531420618");
        assert_eq!(
            verifier().verify(&h, BODY.as_bytes(), at(TIMESTAMP)),
            Err(VerifyError::BadHeader("x-slack-signature")),
            "{sig:?}"
        );
    }
}

#[test]
fn replay_window_edges_in_both_directions() {
    let v = verifier();
    let h = headers(EXPECTED, "1531420618");
    let body = BODY.as_bytes();
    assert_eq!(v.verify(&h, body, at(TIMESTAMP + 300)), Ok(()));
    assert_eq!(v.verify(&h, body, at(TIMESTAMP - 300)), Ok(()));
    assert_eq!(
        v.verify(&h, body, at(TIMESTAMP + 301)),
        Err(VerifyError::Stale { skew_secs: 301 })
    );
    assert_eq!(
        v.verify(&h, body, at(TIMESTAMP - 301)),
        Err(VerifyError::Stale { skew_secs: 301 })
    );
}

#[test]
fn stale_is_checked_before_the_signature() {
    // An old replay with a valid signature and a forged one both fail as stale, so the
    // answer does not tell an attacker whether a guessed signature was right.
    let v = verifier();
    let forged = headers(&format!("v0={}", "0".repeat(64)), "1531420618");
    let now = at(TIMESTAMP + 3600);
    assert!(matches!(
        v.verify(&forged, BODY.as_bytes(), now),
        Err(VerifyError::Stale { .. })
    ));
}

#[test]
fn a_configured_window_is_honoured() {
    let v = verifier().with_window(Duration::from_secs(10));
    let h = headers(EXPECTED, "1531420618");
    assert_eq!(v.verify(&h, BODY.as_bytes(), at(TIMESTAMP + 10)), Ok(()));
    assert!(v.verify(&h, BODY.as_bytes(), at(TIMESTAMP + 11)).is_err());
}
