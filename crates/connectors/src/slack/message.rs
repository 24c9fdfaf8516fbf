//! Inner events (spec §1.6) → jobs: `message` and its subtypes, `file_shared`.
//!
//! Every message kind that can carry a leak becomes a scan job: plain, `message_changed` (its
//! new version, so an edit that adds a secret is scanned), `file_share`, `thread_broadcast`,
//! `me_message`, and `bot_message` of other apps. Messages posted by our own app (its
//! `app_id` equals the envelope's `api_app_id`, or its user is our bot user) are dropped so
//! our notices never loop. `message_deleted` closes incidents; other subtypes are ignored.
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
use crate::secret::MessageText;
use crate::slack::events::{malformed, EnvelopeContext, Handling, Ignored};

#[derive(Deserialize, Default)]
struct RawMessage {
    #[serde(default)]
    subtype: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    channel_type: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    ts: Option<String>,
    #[serde(default)]
    thread_ts: Option<String>,
    #[serde(default)]
    bot_id: Option<String>,
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    bot_profile: Option<RawBotProfile>,
    #[serde(default)]
    files: Vec<RawFile>,
    #[serde(default)]
    attachments: Vec<RawAttachment>,
    #[serde(default)]
    message: Option<Box<RawMessage>>,
    #[serde(default)]
    previous_message: Option<Box<RawMessage>>,
    #[serde(default)]
    deleted_ts: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawBotProfile {
    #[serde(default)]
    app_id: Option<String>,
}

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    mimetype: Option<String>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    url_private_download: Option<String>,
}

#[derive(Deserialize)]
struct RawAttachment {
    #[serde(default)]
    pretext: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    fallback: Option<String>,
}

#[derive(Deserialize)]
struct RawFileShared {
    #[serde(default)]
    channel_id: Option<String>,
    #[serde(default)]
    file_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
}

/// Turns the inner `event` object into a job or a reason to ignore it.
pub(crate) fn inner_event(
    ctx: &EnvelopeContext<'_>,
    event: serde_json::Value,
) -> Result<Handling, ParseError> {
    let kind = event
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or_default()
        .to_owned();
    match kind.as_str() {
        "message" => {
            let raw: RawMessage = serde_json::from_value(event).map_err(|e| malformed(&e))?;
            message_event(ctx, raw)
        }
        "file_shared" => {
            let raw: RawFileShared = serde_json::from_value(event).map_err(|e| malformed(&e))?;
            file_shared(ctx, raw)
        }
        _ => Ok(Handling::Ignored(Ignored::EventType(kind))),
    }
}

fn message_event(ctx: &EnvelopeContext<'_>, raw: RawMessage) -> Result<Handling, ParseError> {
    let trigger = match raw.subtype.as_deref() {
        None => Trigger::Message,
        Some("file_share") => Trigger::FileShare,
        Some("thread_broadcast") => Trigger::ThreadBroadcast,
        Some("me_message") => Trigger::MeMessage,
        Some("bot_message") => Trigger::BotMessage,
        Some("message_changed") => return changed(ctx, raw),
        Some("message_deleted") => return deleted(ctx, raw),
        Some(other) => return Ok(Handling::Ignored(Ignored::Subtype(other.to_owned()))),
    };
    let channel = need(raw.channel.clone(), "event.channel")?;
    let kind = conversation_kind(raw.channel_type.as_deref());
    scan(ctx, &raw, channel, kind, trigger)
}

/// `message_changed`: scan the new version (`event.message`) unless text and files are
/// unchanged.
fn changed(ctx: &EnvelopeContext<'_>, raw: RawMessage) -> Result<Handling, ParseError> {
    let channel = need(raw.channel, "event.channel")?;
    let kind = conversation_kind(raw.channel_type.as_deref());
    let new = raw.message.ok_or_else(|| missing("event.message"))?;
    if let Some(old) = raw.previous_message.as_deref() {
        if old.text == new.text && file_ids(old) == file_ids(&new) {
            return Ok(Handling::Ignored(Ignored::Unchanged));
        }
    }
    scan(ctx, &new, channel, kind, Trigger::Edited)
}

fn deleted(ctx: &EnvelopeContext<'_>, raw: RawMessage) -> Result<Handling, ParseError> {
    let thread = raw
        .previous_message
        .as_deref()
        .and_then(|m| m.thread_ts.clone());
    let location = Location {
        conversation: need(raw.channel, "event.channel")?,
        conversation_kind: conversation_kind(raw.channel_type.as_deref()),
        message: Some(need(raw.deleted_ts, "event.deleted_ts")?),
        thread,
    };
    Ok(Handling::Job(job(ctx, JobKind::Close(location))))
}

fn scan(
    ctx: &EnvelopeContext<'_>,
    msg: &RawMessage,
    channel: String,
    kind: ConversationKind,
    trigger: Trigger,
) -> Result<Handling, ParseError> {
    if is_own(ctx, msg) {
        return Ok(Handling::Ignored(Ignored::OwnApp));
    }
    let text = message_text(msg);
    let files = files(msg);
    if text.is_none() && files.is_empty() {
        return Ok(Handling::Ignored(Ignored::Empty));
    }
    let ts = need(msg.ts.clone(), "message ts")?;
    let target = ScanTarget {
        location: Location {
            conversation: channel,
            conversation_kind: kind,
            thread: msg.thread_ts.clone().filter(|t| *t != ts),
            message: Some(ts),
        },
        author: Author {
            user: msg.user.clone(),
            bot: msg.bot_id.clone(),
        },
        trigger,
        text,
        files,
    };
    Ok(Handling::Job(job(ctx, JobKind::Scan(target))))
}

fn file_shared(ctx: &EnvelopeContext<'_>, raw: RawFileShared) -> Result<Handling, ParseError> {
    if raw.user_id.is_some() && raw.user_id.as_deref() == ctx.bot_user_id {
        return Ok(Handling::Ignored(Ignored::OwnApp));
    }
    let file = FileRef {
        id: need(raw.file_id, "event.file_id")?,
        name: None,
        mimetype: None,
        size: None,
        url: None,
    };
    let target = ScanTarget {
        location: Location {
            conversation: need(raw.channel_id, "event.channel_id")?,
            conversation_kind: ConversationKind::Unknown,
            message: None,
            thread: None,
        },
        author: Author {
            user: raw.user_id,
            bot: None,
        },
        trigger: Trigger::FileShared,
        text: None,
        files: vec![file],
    };
    Ok(Handling::Job(job(ctx, JobKind::Scan(target))))
}

/// Our own app posted it: same app id as the envelope's `api_app_id`, or our bot user.
fn is_own(ctx: &EnvelopeContext<'_>, msg: &RawMessage) -> bool {
    let app = msg
        .app_id
        .as_deref()
        .or(msg.bot_profile.as_ref().and_then(|b| b.app_id.as_deref()));
    app == Some(ctx.api_app_id) || (msg.user.is_some() && msg.user.as_deref() == ctx.bot_user_id)
}

/// The message text and the text of legacy attachments, joined by newlines.
fn message_text(msg: &RawMessage) -> Option<MessageText> {
    let attachment_parts = msg.attachments.iter().flat_map(|a| {
        [&a.pretext, &a.title, &a.text, &a.fallback]
            .into_iter()
            .flatten()
    });
    let parts: Vec<&str> = msg
        .text
        .iter()
        .chain(attachment_parts)
        .map(String::as_str)
        .filter(|s| !s.trim().is_empty())
        .collect();
    (!parts.is_empty()).then(|| MessageText::new(parts.join("\n")))
}

fn files(msg: &RawMessage) -> Vec<FileRef> {
    msg.files
        .iter()
        .filter_map(|f| {
            Some(FileRef {
                id: f.id.clone()?,
                name: f.name.clone(),
                mimetype: f.mimetype.clone(),
                size: f.size,
                url: f.url_private_download.clone(),
            })
        })
        .collect()
}

fn file_ids(msg: &RawMessage) -> Vec<Option<&str>> {
    msg.files.iter().map(|f| f.id.as_deref()).collect()
}

fn conversation_kind(channel_type: Option<&str>) -> ConversationKind {
    match channel_type {
        Some("channel") => ConversationKind::Public,
        Some("group") => ConversationKind::Private,
        Some("im") => ConversationKind::Direct,
        Some("mpim") => ConversationKind::Group,
        _ => ConversationKind::Unknown,
    }
}

fn job(ctx: &EnvelopeContext<'_>, kind: JobKind) -> Job {
    Job {
        platform: Platform::Slack,
        tenant: ctx.team_id.to_owned(),
        event_id: ctx.event_id.to_owned(),
        event_time: ctx.event_time,
        kind,
    }
}

fn need<T>(value: Option<T>, field: &str) -> Result<T, ParseError> {
    value.ok_or_else(|| missing(field))
}

fn missing(field: &str) -> ParseError {
    ParseError::Malformed(format!("missing field `{field}`"))
}
