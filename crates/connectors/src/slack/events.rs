//! The Events API envelope (spec §1.2, §1.3): what Slack POSTs to the Request URL.
//!
//! [`EventParser::parse`] turns a verified raw body into a [`Delivery`]: the
//! `url_verification` challenge, an `app_rate_limited` notice, or an `event_callback` whose
//! inner event became a [`Job`] or was ignored (with the reason). Bodies over the limit are
//! refused before any parsing; unknown outer and inner types are ignored, not errors.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use serde::Deserialize;

use crate::error::ParseError;
use crate::job::Job;
use crate::slack::message;

/// The default body limit: 1 MiB (a Slack message is at most 40,000 characters of text).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Parses Events API bodies under a size limit.
#[derive(Clone, Copy, Debug)]
pub struct EventParser {
    max_body_bytes: usize,
}

impl Default for EventParser {
    fn default() -> Self {
        EventParser::new(DEFAULT_MAX_BODY_BYTES)
    }
}

/// One delivery to the Request URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Answer HTTP 200 with `challenge` (plain text or `{"challenge": …}`).
    UrlVerification {
        /// The value to echo.
        challenge: String,
    },
    /// Slack stopped sending events for an hour-long window: record it and alert.
    AppRateLimited {
        /// The workspace.
        team_id: String,
        /// Our app.
        api_app_id: String,
        /// The minute the limiting started (epoch seconds).
        minute_rate_limited: i64,
    },
    /// An `event_callback`.
    Callback(Box<Callback>),
    /// Another outer type: acknowledge and ignore.
    Unsupported {
        /// The `type` value.
        kind: String,
    },
}

/// An `event_callback` envelope and what its inner event became.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callback {
    /// The workspace.
    pub team_id: String,
    /// Our app's id.
    pub api_app_id: String,
    /// The id that stays the same across retries: dedupe on `(team_id, event_id)`.
    pub event_id: String,
    /// Epoch seconds.
    pub event_time: i64,
    /// The installations the event is for.
    pub authorizations: Vec<Authorization>,
    /// The job, or why there is none.
    pub handling: Handling,
}

/// One entry of `authorizations[]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Authorization {
    /// The workspace.
    #[serde(default)]
    pub team_id: Option<String>,
    /// The installing user or our bot user.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Whether `user_id` is our bot user.
    #[serde(default)]
    pub is_bot: bool,
    /// Enterprise Grid org-wide install.
    #[serde(default)]
    pub is_enterprise_install: bool,
    /// The Enterprise Grid org.
    #[serde(default)]
    pub enterprise_id: Option<String>,
}

/// What became of an inner event.
// Built once per delivery and moved straight to the queue; the common variant is the job.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handling {
    /// Put this on the queue.
    Job(Job),
    /// Nothing to do, and why.
    Ignored(Ignored),
}

/// Why an inner event produced no job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// Posted by our own app or bot user (scanning it would loop).
    OwnApp,
    /// An event type we do not handle.
    EventType(String),
    /// A message subtype without user content (`channel_join`, …).
    Subtype(String),
    /// An edit that changed neither text nor files (e.g. a link preview was added).
    Unchanged,
    /// Nothing to scan (no text, no files).
    Empty,
}

#[derive(Deserialize)]
struct Outer {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    challenge: Option<String>,
    #[serde(default)]
    team_id: Option<String>,
    #[serde(default)]
    api_app_id: Option<String>,
    #[serde(default)]
    event_id: Option<String>,
    #[serde(default)]
    event_time: Option<i64>,
    #[serde(default)]
    minute_rate_limited: Option<i64>,
    #[serde(default)]
    authorizations: Vec<Authorization>,
    #[serde(default)]
    event: Option<serde_json::Value>,
}

/// What the inner-event parser needs from the envelope.
pub(crate) struct EnvelopeContext<'a> {
    pub team_id: &'a str,
    pub api_app_id: &'a str,
    pub event_id: &'a str,
    pub event_time: i64,
    /// Our bot's user id, from the `authorizations` entry with `is_bot`.
    pub bot_user_id: Option<&'a str>,
}

impl EventParser {
    /// A parser refusing bodies over `max_body_bytes`.
    pub fn new(max_body_bytes: usize) -> Self {
        EventParser { max_body_bytes }
    }

    /// Parses a verified raw body.
    pub fn parse(&self, body: &[u8]) -> Result<Delivery, ParseError> {
        let outer: Outer = from_json(body, self.max_body_bytes)?;
        match outer.kind.as_str() {
            "url_verification" => Ok(Delivery::UrlVerification {
                challenge: required(outer.challenge, "challenge")?,
            }),
            "app_rate_limited" => Ok(Delivery::AppRateLimited {
                team_id: required(outer.team_id, "team_id")?,
                api_app_id: required(outer.api_app_id, "api_app_id")?,
                minute_rate_limited: required(outer.minute_rate_limited, "minute_rate_limited")?,
            }),
            "event_callback" => callback(outer).map(|c| Delivery::Callback(Box::new(c))),
            _ => Ok(Delivery::Unsupported { kind: outer.kind }),
        }
    }
}

fn callback(outer: Outer) -> Result<Callback, ParseError> {
    let team_id = required(outer.team_id, "team_id")?;
    let api_app_id = required(outer.api_app_id, "api_app_id")?;
    let event_id = required(outer.event_id, "event_id")?;
    let event_time = required(outer.event_time, "event_time")?;
    let event = required(outer.event, "event")?;
    let bot_user_id = outer
        .authorizations
        .iter()
        .find(|a| a.is_bot)
        .and_then(|a| a.user_id.as_deref());
    let context = EnvelopeContext {
        team_id: &team_id,
        api_app_id: &api_app_id,
        event_id: &event_id,
        event_time,
        bot_user_id,
    };
    let handling = message::inner_event(&context, event)?;
    Ok(Callback {
        team_id,
        api_app_id,
        event_id,
        event_time,
        authorizations: outer.authorizations,
        handling,
    })
}

pub(crate) fn required<T>(value: Option<T>, field: &str) -> Result<T, ParseError> {
    value.ok_or_else(|| ParseError::Malformed(format!("missing field `{field}`")))
}

/// Parses a JSON body after refusing it when it is over `limit` bytes.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    body: &[u8],
    limit: usize,
) -> Result<T, ParseError> {
    if body.len() > limit {
        return Err(ParseError::TooLarge {
            len: body.len(),
            limit,
        });
    }
    serde_json::from_slice(body).map_err(|e| malformed(&e))
}

/// A parse error without the input: serde's message names a line and column, not the text.
pub(crate) fn malformed(e: &serde_json::Error) -> ParseError {
    ParseError::Malformed(format!(
        "{:?} error at line {} column {}",
        e.classify(),
        e.line(),
        e.column()
    ))
}
