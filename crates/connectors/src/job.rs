//! What a connector hands to the queue: one [`Job`] per platform event worth acting on.

use serde::{Deserialize, Serialize};

use crate::secret::MessageText;

/// The platform an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// Slack (Events API).
    Slack,
    /// Webex (real-time file DLP webhooks).
    Webex,
}

/// One unit of work: serializable, because it travels on the queue as task kwargs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Where the event came from.
    pub platform: Platform,
    /// The tenant: a Slack team id (`T…`), a Webex org id.
    pub tenant: String,
    /// What stays the same when the platform delivers the event again (Slack `event_id`;
    /// for Webex, whose webhook `id` is the same for every delivery, the message id): the
    /// key for dropping duplicates together with `tenant`.
    pub event_id: String,
    /// When the platform saw the event, in seconds since the Unix epoch.
    pub event_time: i64,
    /// What to do.
    pub kind: JobKind,
}

/// What a job asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobKind {
    /// Scan a message's text and files, then decide and act.
    Scan(ScanTarget),
    /// The message is gone (deleted by anyone): close its open incidents. Nothing to scan.
    Close(Location),
}

/// The content of a scan job and where it lives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanTarget {
    /// Where the message (or file) is.
    pub location: Location,
    /// Who posted it.
    pub author: Author,
    /// Which platform event produced it.
    pub trigger: Trigger,
    /// The text to scan (message text plus attachment text), if any.
    pub text: Option<MessageText>,
    /// Files to fetch and scan.
    pub files: Vec<FileRef>,
}

/// The platform event behind a scan job (kept on the incident).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A new message.
    Message,
    /// An edited message (its new version).
    Edited,
    /// A message that carries files (Slack `file_share`).
    FileShare,
    /// A thread reply also sent to the channel.
    ThreadBroadcast,
    /// A `/me` message.
    MeMessage,
    /// A message by another app's bot.
    BotMessage,
    /// A file shared into a conversation, without its message (Slack `file_shared`).
    FileShared,
}

/// Where a message is: the platform ids a connector needs to act on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The conversation: Slack channel id (`C…`, `G…`, `D…`), Webex room id.
    pub conversation: String,
    /// What kind of conversation it is.
    pub conversation_kind: ConversationKind,
    /// The message id (Slack `ts`, Webex message id); `None` when only a file is known.
    pub message: Option<String>,
    /// The thread's parent message id when the message is a reply.
    pub thread: Option<String>,
}

/// The kind of a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// A public channel (Slack `channel`).
    Public,
    /// A private channel (Slack `group`).
    Private,
    /// A direct message between two (Slack `im`, Webex `direct`).
    Direct,
    /// A group conversation without a channel (Slack `mpim`, Webex `group`).
    Group,
    /// Not stated by the event (Slack `file_shared`, `app_home`, a new type).
    Unknown,
}

/// Who posted a message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// The user id (Slack `U…`/`W…`, Webex person id), when there is one.
    pub user: Option<String>,
    /// The bot id, when an app posted it (Slack `B…`).
    pub bot: Option<String>,
}

/// A file to fetch: enough to download it or to look it up first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    /// The platform's file id (Slack `F…`, Webex content id).
    pub id: String,
    /// The file name as given by the uploader (never trusted for the type).
    pub name: Option<String>,
    /// The declared MIME type (never trusted for the type).
    pub mimetype: Option<String>,
    /// The declared size in bytes.
    pub size: Option<u64>,
    /// A download address when the event had one (Slack `url_private_download`, a Webex
    /// content URL); otherwise the connector looks the file up.
    pub url: Option<String>,
}
