//! Webex `X-Spark-Signature` (HMAC-SHA1 of the raw body) and `peek_org`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use leakwall_connectors::webex::{peek_org, sign, WebexVerifier};
use leakwall_connectors::{Token, VerifyError, WebhookVerifier};

const SECRET: &str = "webhook-secret";
const BODY: &str = r#"{"id":"Y2lzY29zcGFyazovL3VzL1dFQkhPT0svMQ","name":"dlp","resource":"messages","event":"created","orgId":"ORG1","data":{"id":"MSG1","roomId":"ROOM1","roomType":"group","personId":"PERSON1","files":["https://webexapis.com/v1/contents/CONTENT1?allow=dlpEvaluating"]}}"#;
// Computed independently:
//   python3 -c "import hmac,hashlib; print(hmac.new(b'webhook-secret', BODY, hashlib.sha1).hexdigest())"
const EXPECTED: &str = "8591c4bfd5eacc867bc6669ee5cc876ef1a8617c";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn headers(signature: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "X-Spark-Signature",
        HeaderValue::from_str(signature).unwrap(),
    );
    h
}

fn verifier() -> WebexVerifier {
    WebexVerifier::new(Token::new(SECRET))
}

#[test]
fn independent_vector_is_accepted() {
    assert_eq!(
        verifier().verify(&headers(EXPECTED), BODY.as_bytes(), now()),
        Ok(())
    );
}

#[test]
fn sign_reproduces_the_independent_vector() {
    assert_eq!(sign(&Token::new(SECRET), BODY.as_bytes()), EXPECTED);
}

#[test]
fn uppercase_hex_is_accepted() {
    assert_eq!(
        verifier().verify(&headers(&EXPECTED.to_uppercase()), BODY.as_bytes(), now()),
        Ok(())
    );
}

#[test]
fn body_changed_by_one_byte_is_a_mismatch() {
    let mut body = BODY.as_bytes().to_vec();
    body[20] ^= 1;
    assert_eq!(
        verifier().verify(&headers(EXPECTED), &body, now()),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn wrong_secret_is_a_mismatch() {
    let other = WebexVerifier::new(Token::new("another-secret"));
    assert_eq!(
        other.verify(&headers(EXPECTED), BODY.as_bytes(), now()),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn missing_header_is_refused() {
    assert_eq!(
        verifier().verify(&HeaderMap::new(), BODY.as_bytes(), now()),
        Err(VerifyError::MissingHeader("x-spark-signature"))
    );
}

#[test]
fn malformed_header_is_refused() {
    for sig in [
        "",
        "sha1=00",
        &EXPECTED[..38],
        &format!("{EXPECTED}00"),
        "zz",
    ] {
        assert_eq!(
            verifier().verify(&headers(sig), BODY.as_bytes(), now()),
            Err(VerifyError::BadHeader("x-spark-signature")),
            "{sig}"
        );
    }
    let mut h = HeaderMap::new();
    h.insert(
        "X-Spark-Signature",
        HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
    );
    assert_eq!(
        verifier().verify(&h, BODY.as_bytes(), now()),
        Err(VerifyError::BadHeader("x-spark-signature"))
    );
}

#[test]
fn peek_org_reads_only_the_org() {
    assert_eq!(peek_org(BODY.as_bytes()).as_deref(), Some("ORG1"));
    assert_eq!(
        peek_org(br#"{"orgId":"O2","data":[1,2,{"x":null}]}"#).as_deref(),
        Some("O2")
    );
}

#[test]
fn peek_org_gives_none_on_hostile_input() {
    let deep = "[".repeat(100_000);
    let long_id = format!(r#"{{"orgId":"{}"}}"#, "a".repeat(300));
    let huge = format!(r#"{{"orgId":"O","pad":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    for body in [
        "",
        "not json",
        "{}",
        r#"{"orgId":""}"#,
        r#"{"orgId":42}"#,
        r#"{"orgId":"A","orgId":"B"}"#,
        r#"{"orgId":"A""#,
        deep.as_str(),
        long_id.as_str(),
        huge.as_str(),
    ] {
        assert_eq!(peek_org(body.as_bytes()), None, "{:.40}", body);
    }
}
