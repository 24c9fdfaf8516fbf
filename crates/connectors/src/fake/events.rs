//! The fake's event side (spec §6): signed Events API deliveries with Slack's retry rules, for
//! end-to-end tests of a webhook endpoint.
//!
//! [`EventSender::deliver`] POSTs a body signed with v0 (timestamp = now), waits at most 3 s
//! for an answer, and on a timeout, a connection failure or a non-2xx answer delivers again
//! with `X-Slack-Retry-Num` and `X-Slack-Retry-Reason` (`http_timeout`, `connection_failed`,
//! `http_error`), up to 3 retries after the configured delays (Slack: at once, 1 min, 5 min;
//! tests pass shorter ones). `X-Slack-No-Retry: 1` on an answer stops retries, except after a
//! timeout. [`envelope`] builds `event_callback` bodies.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::secret::Token;
use crate::slack::sign;

/// The answer to one delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The HTTP status; `None` after a timeout or a connection failure.
    pub status: Option<u16>,
    /// Why Slack would retry it (`http_timeout`, `connection_failed`, `http_error`), or
    /// `None` for a 2xx answer.
    pub failure: Option<&'static str>,
    /// Whether the answer asked for no retry (`X-Slack-No-Retry: 1`).
    pub no_retry: bool,
    /// The answer's body.
    pub body: String,
}

/// Sends signed Events API requests as Slack does.
#[derive(Clone, Debug)]
pub struct EventSender {
    http: reqwest::Client,
    secret: Token,
    deadline: Duration,
    retry_delays: Vec<Duration>,
}

impl EventSender {
    /// A sender signing with `signing_secret`, a 3 s deadline and no delay between retries.
    pub fn new(signing_secret: Token) -> Self {
        EventSender {
            http: reqwest::Client::new(),
            secret: signing_secret,
            deadline: Duration::from_secs(3),
            retry_delays: vec![Duration::ZERO; 3],
        }
    }

    /// The same sender waiting `delays` before each retry (at most 3 are used).
    pub fn with_retry_delays(mut self, delays: Vec<Duration>) -> Self {
        self.retry_delays = delays.into_iter().take(3).collect();
        self
    }

    /// The same sender with another answer deadline (Slack's is 3 s).
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// One attempt, signed now, without retry headers.
    pub async fn send(&self, url: &str, body: &[u8]) -> Attempt {
        self.send_at(url, body, unix_now(), None).await
    }

    /// One attempt signed with `timestamp` (an old one for replay tests), with retry headers
    /// `(number, reason)` if given.
    pub async fn send_at(
        &self,
        url: &str,
        body: &[u8],
        timestamp: i64,
        retry: Option<(u32, &str)>,
    ) -> Attempt {
        let mut request = self
            .http
            .post(url)
            .timeout(self.deadline)
            .header("content-type", "application/json")
            .header("x-slack-request-timestamp", timestamp.to_string())
            .header("x-slack-signature", sign(&self.secret, timestamp, body))
            .body(body.to_vec());
        if let Some((number, reason)) = retry {
            request = request
                .header("x-slack-retry-num", number.to_string())
                .header("x-slack-retry-reason", reason);
        }
        match request.send().await {
            Ok(response) => answered(response).await,
            Err(e) => Attempt {
                status: None,
                failure: Some(if e.is_timeout() {
                    "http_timeout"
                } else {
                    "connection_failed"
                }),
                no_retry: false,
                body: String::new(),
            },
        }
    }

    /// Delivers `body` with Slack's retries; returns every attempt in order.
    pub async fn deliver(&self, url: &str, body: &[u8]) -> Vec<Attempt> {
        let mut attempts = vec![self.send(url, body).await];
        for (number, delay) in (1u32..).zip(self.retry_delays.clone()) {
            let Some(last) = attempts.last() else { break };
            let Some(reason) = last.failure else { break };
            if last.no_retry && reason != "http_timeout" {
                break;
            }
            tokio::time::sleep(delay).await;
            attempts.push(
                self.send_at(url, body, unix_now(), Some((number, reason)))
                    .await,
            );
        }
        attempts
    }
}

async fn answered(response: reqwest::Response) -> Attempt {
    let status = response.status();
    let no_retry = response
        .headers()
        .get("x-slack-no-retry")
        .is_some_and(|v| v.as_bytes() == b"1");
    let body = response.text().await.unwrap_or_default();
    Attempt {
        status: Some(status.as_u16()),
        failure: (!status.is_success()).then_some("http_error"),
        no_retry,
        body,
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// An `event_callback` body for team `team_id` and app `api_app_id` around `event`, with
/// `bot_user_id` as our bot in `authorizations`.
pub fn envelope(
    team_id: &str,
    api_app_id: &str,
    event_id: &str,
    bot_user_id: &str,
    event: Value,
) -> Vec<u8> {
    json!({
        "token": "legacy-verification-token",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": unix_now(),
        "authorizations": [{"team_id": team_id, "user_id": bot_user_id, "is_bot": true,
                            "is_enterprise_install": false}],
        "event": event,
    })
    .to_string()
    .into_bytes()
}

/// A plain `message` event in public channel `channel` by `user`.
pub fn message_event(channel: &str, ts: &str, user: &str, text: &str) -> Value {
    json!({
        "type": "message", "channel": channel, "channel_type": "channel", "user": user,
        "text": text, "ts": ts, "event_ts": ts,
    })
}
