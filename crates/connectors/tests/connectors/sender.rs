//! The fake's event sender: signed deliveries the verifier accepts, Slack's retry headers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use leakwall_connectors::fake::{envelope, message_event, EventSender};
use leakwall_connectors::slack::{Delivery, EventParser, SlackVerifier};
use leakwall_connectors::{Token, WebhookVerifier};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One received request: headers and body.
type Seen = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// A one-request-per-connection HTTP endpoint answering with `answers` in turn (the last
/// repeats): `(status, extra header line)`.
async fn endpoint(answers: Vec<(u16, &'static str)>) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/webhooks/slack/events",
        listener.local_addr().unwrap()
    );
    let seen: Seen = Arc::default();
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        for i in 0.. {
            let (mut stream, _) = listener.accept().await.unwrap();
            let (headers, body) = read_request(&mut stream).await;
            record.lock().unwrap().push((headers, body));
            let (status, extra) = answers[i.min(answers.len() - 1)];
            let reply = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: 2\r\n{extra}connection: close\r\n\r\nok"
            );
            stream.write_all(reply.as_bytes()).await.unwrap();
        }
    });
    (url, seen)
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> (HeaderMap, Vec<u8>) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).to_string();
        let Some(end) = text.find("\r\n\r\n") else {
            continue;
        };
        let mut headers = HeaderMap::new();
        let mut length = 0;
        for line in text[..end].lines().skip(1) {
            let (name, value) = line.split_once(':').unwrap();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
            headers.insert(
                http::HeaderName::from_bytes(name.trim().as_bytes()).unwrap(),
                value.trim().parse().unwrap(),
            );
        }
        if data.len() >= end + 4 + length {
            return (headers, data[end + 4..end + 4 + length].to_vec());
        }
    }
}

fn body() -> Vec<u8> {
    envelope(
        "T1",
        "A1",
        "Ev42",
        "UBOT",
        message_event("C1", "1.000001", "U1", "hello"),
    )
}

#[tokio::test]
async fn deliveries_are_signed_so_the_verifier_accepts_them() {
    let (url, seen) = endpoint(vec![(200, "")]).await;
    let attempts = EventSender::new(Token::new("sign-me"))
        .deliver(&url, &body())
        .await;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status, Some(200));
    let (headers, received) = seen.lock().unwrap()[0].clone();
    let verifier = SlackVerifier::new(Token::new("sign-me"));
    assert_eq!(
        verifier.verify(&headers, &received, SystemTime::now()),
        Ok(())
    );
    assert!(SlackVerifier::new(Token::new("other"))
        .verify(&headers, &received, SystemTime::now())
        .is_err());
    assert!(matches!(
        EventParser::default().parse(&received),
        Ok(Delivery::Callback(_))
    ));
}

#[tokio::test]
async fn failures_are_retried_with_retry_headers_and_the_same_event_id() {
    let (url, seen) = endpoint(vec![(500, ""), (503, ""), (200, "")]).await;
    let sender =
        EventSender::new(Token::new("s")).with_retry_delays(vec![Duration::from_millis(1); 3]);
    let attempts = sender.deliver(&url, &body()).await;
    let statuses: Vec<_> = attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(503), Some(200)]);
    let seen = seen.lock().unwrap();
    assert!(seen[0].0.get("x-slack-retry-num").is_none());
    assert_eq!(seen[1].0["x-slack-retry-num"], "1");
    assert_eq!(seen[2].0["x-slack-retry-num"], "2");
    assert_eq!(seen[2].0["x-slack-retry-reason"], "http_error");
    assert!(
        seen.iter().all(|(_, b)| *b == seen[0].1),
        "same body, same event_id"
    );
}

#[tokio::test]
async fn at_most_three_retries_and_no_retry_is_honoured() {
    let (url, _) = endpoint(vec![(500, "")]).await;
    let sender = EventSender::new(Token::new("s"));
    assert_eq!(sender.deliver(&url, &body()).await.len(), 4);
    let (url, _) = endpoint(vec![(400, "x-slack-no-retry: 1\r\n")]).await;
    let attempts = sender.deliver(&url, &body()).await;
    assert_eq!(attempts.len(), 1);
    assert!(attempts[0].no_retry);
}

#[tokio::test]
async fn a_refused_connection_is_retried_as_connection_failed() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let attempts = EventSender::new(Token::new("s"))
        .deliver(&url, &body())
        .await;
    assert_eq!(attempts.len(), 4);
    assert!(attempts
        .iter()
        .all(|a| a.failure == Some("connection_failed")));
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout_and_is_retried() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let accepted = Arc::new(Mutex::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            *count.lock().unwrap() += 1;
            held.push(stream); // never answers
        }
    });
    let sender = EventSender::new(Token::new("s")).with_deadline(Duration::from_millis(100));
    let attempts = sender.deliver(&url, &body()).await;
    assert_eq!(attempts.len(), 4);
    assert!(attempts
        .iter()
        .all(|a| a.failure == Some("http_timeout") && a.status.is_none()));
    assert_eq!(*accepted.lock().unwrap(), 4);
}
