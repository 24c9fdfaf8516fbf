//! The Webex client against a scripted HTTP stub (one canned answer per connection, the
//! request line and headers recorded): URL rewriting, header reading, limits, error mapping.
//! The full fake Webex (spec §6) is still to come.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use leakwall_connectors::webex::{Recipient, Verdict, WebexClient, WebexClientConfig};
use leakwall_connectors::{ApiError, Token};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A stub answering every connection with `answer`; returns its origin and the requests.
pub async fn stub(answer: String) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = vec![0u8; 64 * 1024];
            let mut len = 0;
            while !buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut buf[len..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => len += n,
                }
            }
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..len]).into_owned());
            let _ = socket.write_all(answer.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    (origin, seen)
}

pub fn answer(status: &str, headers: &[&str], body: &str) -> String {
    let mut out = format!("HTTP/1.1 {status}\r\nconnection: close\r\n");
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    out
}

pub fn client(origin: &str) -> WebexClient {
    WebexClientConfig {
        base_url: origin.into(),
        timeout: Duration::from_secs(5),
        ..WebexClientConfig::default()
    }
    .build()
    .unwrap()
}

fn token() -> Token {
    Token::new("compliance-token")
}

#[tokio::test]
async fn hold_heads_with_unchecked_and_reads_the_headers() {
    let (origin, seen) = stub(answer(
        "200 OK",
        &[
            "content-type: application/pdf",
            r#"content-disposition: attachment; filename="q3.pdf""#,
        ],
        "",
    ))
    .await;
    let url = format!("{origin}/v1/contents/C1?allow=dlpEvaluating");
    let info = client(&origin).hold(&token(), &url).await.unwrap();
    assert_eq!(info.content_type.as_deref(), Some("application/pdf"));
    assert_eq!(info.filename.as_deref(), Some("q3.pdf"));
    let request = seen.lock().unwrap()[0].clone();
    assert!(
        request.starts_with("HEAD /v1/contents/C1?allow=dlpEvaluating,dlpUnchecked HTTP/1.1"),
        "{request}"
    );
    assert!(request
        .to_ascii_lowercase()
        .contains("authorization: bearer compliance-token"));
}

#[tokio::test]
async fn download_keeps_the_bytes_and_stops_at_the_limit() {
    let (origin, seen) = stub(answer("200 OK", &[], "0123456789")).await;
    let url = format!("{origin}/v1/contents/C2");
    let bytes = client(&origin).download(&token(), &url, 10).await.unwrap();
    assert_eq!(bytes, b"0123456789");
    assert_eq!(
        client(&origin).download(&token(), &url, 9).await,
        Err(ApiError::TooLarge { limit: 9 })
    );
    assert!(seen.lock().unwrap()[0]
        .starts_with("GET /v1/contents/C2?allow=dlpEvaluating,dlpUnchecked HTTP/1.1"));
}

#[tokio::test]
async fn verdict_puts_only_the_result() {
    let (origin, seen) = stub(answer("204 No Content", &[], "")).await;
    let url = format!("{origin}/v1/contents/C3?allow=dlpEvaluating&x=1");
    let c = client(&origin);
    c.verdict(&token(), &url, Verdict::Reject).await.unwrap();
    c.verdict(&token(), &url, Verdict::Approve).await.unwrap();
    let seen = seen.lock().unwrap();
    assert!(
        seen[0].starts_with("PUT /v1/contents/C3?result=reject HTTP/1.1"),
        "{}",
        seen[0]
    );
    assert!(seen[1].starts_with("PUT /v1/contents/C3?result=approve HTTP/1.1"));
}

#[tokio::test]
async fn unauthorized_and_errors_keep_the_tracking_id() {
    let (origin, _) = stub(answer(
        "401 Unauthorized",
        &["trackingid: ROUTER_123"],
        "{}",
    ))
    .await;
    let err = client(&origin).message(&token(), "M1").await.unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert!(err.to_string().contains("ROUTER_123"), "{err}");
    assert!(!err.to_string().contains("compliance-token"));

    let (origin, _) = stub(answer("503 Service Unavailable", &["trackingid: T2"], "")).await;
    let err = client(&origin)
        .delete_message(&token(), "M1")
        .await
        .unwrap_err();
    assert!(!err.permanent() && err.to_string().contains("T2"), "{err}");

    let (origin, _) = stub(answer("403 Forbidden", &[], "")).await;
    let err = client(&origin)
        .post_message(&token(), Recipient::Person("P1"), "notice")
        .await
        .unwrap_err();
    assert!(err.permanent(), "{err:?}");
}

#[tokio::test]
async fn rate_limit_carries_retry_after() {
    let (origin, _) = stub(answer("429 Too Many Requests", &["retry-after: 17"], "")).await;
    let url = format!("{origin}/v1/contents/C4?allow=dlpEvaluating");
    assert_eq!(
        client(&origin).hold(&token(), &url).await,
        Err(ApiError::RateLimited {
            retry_after: Duration::from_secs(17)
        })
    );
}

#[tokio::test]
async fn deleting_a_message_already_gone_is_done_and_ids_stay_one_segment() {
    let (origin, seen) = stub(answer("404 Not Found", &[], "")).await;
    client(&origin)
        .delete_message(&token(), "../x")
        .await
        .unwrap();
    assert!(seen.lock().unwrap()[0].starts_with("DELETE /v1/messages/%2E%2E%2Fx HTTP/1.1"));
}

#[tokio::test]
async fn message_and_post_read_the_answer() {
    let body = r#"{"id":"M1","roomId":"R1","roomType":"group","text":"hi","files":["u"],"personId":"P1","personEmail":"a@x","created":"2023-11-14T22:13:20.000Z"}"#;
    let (origin, seen) = stub(answer("200 OK", &["content-type: application/json"], body)).await;
    let c = client(&origin);
    let m = c.message(&token(), "M1").await.unwrap();
    assert_eq!((m.id.as_str(), m.room_id.as_str()), ("M1", "R1"));
    assert_eq!(m.text.as_ref().map(|t| t.as_str()), Some("hi"));
    assert_eq!(m.person_email.as_deref(), Some("a@x"));
    let id = c
        .post_message(&token(), Recipient::Room("R1"), "notice")
        .await
        .unwrap();
    assert_eq!(id, "M1");
    let post = seen.lock().unwrap()[1].clone();
    assert!(post.starts_with("POST /v1/messages HTTP/1.1"), "{post}");
}

#[tokio::test]
async fn content_urls_off_the_api_origin_never_get_the_token() {
    let (origin, seen) = stub(answer("200 OK", &[], "")).await;
    let c = client(&origin);
    for url in ["https://evil.example/v1/contents/C1", "not a url"] {
        assert_eq!(c.hold(&token(), url).await, Err(ApiError::DisallowedUrl));
        assert_eq!(
            c.verdict(&token(), url, Verdict::Approve).await,
            Err(ApiError::DisallowedUrl)
        );
    }
    assert!(seen.lock().unwrap().is_empty());
}
