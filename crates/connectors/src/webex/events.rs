//! Webex webhook deliveries (spec §5.4): what Webex POSTs to the webhook's `targetUrl`.
//!
//! [`EventParser::parse`] turns a verified raw body into a [`Handling`]: a [`Job`] for a
//! `messages`/`created` delivery, or why there is none. The message text is not in the
//! webhook; the connector reads it with `GET /v1/messages/{id}` when the server wants it.
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
use crate::job::{
    Author, ConversationKind, FileRef, Job, JobKind, Location, Platform, ScanTarget, Trigger,
};
use crate::slack::events::{from_json, required};

/// The default body limit: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// At most this many files per delivery are kept; more is malformed (Webex allows 10 files
/// per message; the margin is for a future change).
pub const MAX_FILES: usize = 100;

/// Parses Webex webhook bodies under a size limit.
#[derive(Clone, Copy, Debug)]
pub struct EventParser {
    max_body_bytes: usize,
}

impl Default for EventParser {
    fn default() -> Self {
        EventParser::new(DEFAULT_MAX_BODY_BYTES)
    }
}

/// What became of a delivery.
// Built once per delivery and moved straight to the queue; the common variant is the job.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handling {
    /// Put this on the queue.
    Job(Job),
    /// Acknowledge and do nothing, and why.
    Ignored(Ignored),
}

/// Why a delivery produced no job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// A resource other than `messages`.
    Resource(String),
    /// An event other than `created` on messages.
    Event(String),
}

#[derive(Deserialize)]
struct Outer {
    resource: String,
    event: String,
    #[serde(rename = "orgId")]
    org_id: Option<String>,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    id: Option<String>,
    #[serde(rename = "roomId")]
    room_id: Option<String>,
    #[serde(rename = "roomType", default)]
    room_type: Option<String>,
    #[serde(rename = "personId", default)]
    person_id: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    files: Vec<String>,
}

impl EventParser {
    /// A parser refusing bodies over `max_body_bytes`.
    pub fn new(max_body_bytes: usize) -> Self {
        EventParser { max_body_bytes }
    }

    /// Parses a verified raw body. `messages`/`created` needs `orgId`, `data.id` and
    /// `data.roomId`; other resources and events are [`Handling::Ignored`].
    pub fn parse(&self, body: &[u8]) -> Result<Handling, ParseError> {
        let outer: Outer = from_json(body, self.max_body_bytes)?;
        if outer.resource != "messages" {
            return Ok(Handling::Ignored(Ignored::Resource(outer.resource)));
        }
        if outer.event != "created" {
            return Ok(Handling::Ignored(Ignored::Event(outer.event)));
        }
        let tenant = required(outer.org_id.filter(|o| !o.is_empty()), "orgId")?;
        let data = required(outer.data, "data")?;
        let message = required(data.id.filter(|i| !i.is_empty()), "data.id")?;
        let room = required(data.room_id.filter(|r| !r.is_empty()), "data.roomId")?;
        if data.files.len() > MAX_FILES {
            return Err(ParseError::Malformed(format!(
                "{} files, more than {MAX_FILES}",
                data.files.len()
            )));
        }
        let files = data
            .files
            .into_iter()
            .map(|url| file_ref(url).ok_or_else(|| ParseError::Malformed("bad file URL".into())))
            .collect::<Result<Vec<_>, _>>()?;
        let conversation_kind = match data.room_type.as_deref() {
            Some("direct") => ConversationKind::Direct,
            Some("group") => ConversationKind::Group,
            _ => ConversationKind::Unknown,
        };
        Ok(Handling::Job(Job {
            platform: Platform::Webex,
            tenant,
            event_id: message.clone(),
            event_time: data.created.as_deref().and_then(epoch_secs).unwrap_or(0),
            kind: JobKind::Scan(ScanTarget {
                location: Location {
                    conversation: room,
                    conversation_kind,
                    message: Some(message),
                    thread: None,
                },
                author: Author {
                    user: data.person_id.filter(|p| !p.is_empty()),
                    bot: None,
                },
                trigger: if files.is_empty() {
                    Trigger::Message
                } else {
                    Trigger::FileShare
                },
                text: None,
                files,
            }),
        }))
    }
}

/// One content URL as a [`FileRef`]: the id is the path segment after `/contents/`.
fn file_ref(url: String) -> Option<FileRef> {
    let id = content_id(&url)?.to_owned();
    Some(FileRef {
        id,
        name: None,
        mimetype: None,
        size: None,
        url: Some(url),
    })
}

/// The content id of `https://host/v1/contents/<id>?…`: the segment after `/contents/`, up
/// to `?`, `#` or `/`; `None` when absent or empty.
pub fn content_id(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let rest = rest.split(['?', '#']).next()?;
    let path = rest.get(rest.find('/')?..)?;
    let after = path.split_once("/contents/")?.1;
    let id = after.split('/').next()?;
    (!id.is_empty()).then_some(id)
}

/// Seconds since the epoch of an RFC 3339 UTC time (`2026-11-23T09:46:00.000Z`); `None`
/// when it does not have that shape.
fn epoch_secs(time: &str) -> Option<i64> {
    let b = time.as_bytes();
    let num = |from: usize, to: usize| -> Option<i64> {
        let s = time.get(from..to)?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || b.get(10) != Some(&b'T') {
        return None;
    }
    let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hh, mm, ss) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_of_known_times() {
        assert_eq!(epoch_secs("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(epoch_secs("2023-11-14T22:13:20.000Z"), Some(1_700_000_000));
        assert_eq!(epoch_secs("2000-02-29T12:00:00Z"), Some(951_825_600));
        assert_eq!(epoch_secs("2000-13-01T00:00:00Z"), None);
        assert_eq!(epoch_secs("yesterday"), None);
        assert_eq!(epoch_secs("2000-01-01T0"), None);
    }

    #[test]
    fn content_ids() {
        assert_eq!(
            content_id("https://webexapis.com/v1/contents/Y2lzY28?allow=dlpEvaluating"),
            Some("Y2lzY28")
        );
        assert_eq!(content_id("https://h/v1/contents/abc/"), Some("abc"));
        assert_eq!(content_id("https://h/v1/contents/?x"), None);
        assert_eq!(content_id("https://h/v1/messages/abc"), None);
        assert_eq!(content_id("https://h?/contents/x"), None);
        assert_eq!(content_id("no scheme"), None);
    }
}
