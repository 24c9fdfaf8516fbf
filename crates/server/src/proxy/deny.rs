//! The guard's own answers: 403 `deniedByPolicy` (spec §1.5), and empty 500, 502 and 504.

use http_body_util::{Either, Full};
use hyper::body::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{HeaderMap, Response, StatusCode};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::input::RequestFacts;

/// What the guard answers: the upstream's body streamed through, or one of its own.
pub type ProxyBody = Either<Incoming, Full<Bytes>>;

/// The 403 answer to a request the policy denied, with exactly the body oCIS sends.
pub fn denied(facts: &RequestFacts, headers: &HeaderMap) -> Response<ProxyBody> {
    let filename = if facts.name.is_empty() {
        &facts.last_segment
    } else {
        &facts.name
    };
    let body = json!({"error": {
        "code": "deniedByPolicy",
        "message": "Operation denied due to security policies",
        "innererror": {
            "date": now_rfc3339(),
            "request-id": request_id(headers),
            "method": facts.method,
            "filename": filename,
            "path": facts.path,
        },
    }});
    let mut response = own(StatusCode::FORBIDDEN, Bytes::from(body.to_string()));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// An answer of the guard itself with an empty body (500, 502, 504).
pub fn empty(status: StatusCode) -> Response<ProxyBody> {
    own(status, Bytes::new())
}

fn own(status: StatusCode, body: Bytes) -> Response<ProxyBody> {
    let mut response = Response::new(Either::Right(Full::new(body)));
    *response.status_mut() = status;
    response
}

/// The caller's `X-Request-Id`, or a new random id (UUID v4 form).
pub fn request_id(headers: &HeaderMap) -> String {
    let given = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    match given {
        Some(id) => id.to_owned(),
        None => random_id(),
    }
}

fn random_id() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        // No randomness: an id unique enough for correlating logs.
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        b = nanos.to_be_bytes();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Now in UTC, RFC 3339 to the second (as Go's `time.RFC3339`).
fn now_rfc3339() -> String {
    let now = OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_request_ids_look_like_uuids() {
        let a = request_id(&HeaderMap::new());
        let b = request_id(&HeaderMap::new());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4', "{a}");
    }

    #[test]
    fn the_date_is_utc_to_the_second() {
        let date = now_rfc3339();
        assert_eq!(date.len(), "2026-11-23T06:38:48Z".len(), "{date}");
        assert!(date.ends_with('Z'), "{date}");
    }
}
