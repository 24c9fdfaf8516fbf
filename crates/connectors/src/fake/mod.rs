//! A fake Slack Web API for tests (feature `fake`), behaving as spec §3 and §6 describe.
//!
//! [`FakeSlack::start`] listens on `127.0.0.1:0` (hyper 1). Tests seed it with tokens
//! ([`FakeToken`]: bot `xoxb-…` or user `xoxp-…`, each with scopes and a user id), channels,
//! messages and files, point a client at [`FakeSlack::client_config`], and read back
//! [`FakeSlack::calls`] and the remaining messages. Rules enforced, with Slack's error strings:
//! `not_authed` / `invalid_auth`; `missing_scope` with `needed` and `provided`; a bot token
//! deletes only its own messages and files (`cant_delete_message`, `cant_delete_file`), an
//! admin's user token deletes anyone's; `message_not_found`, `channel_not_found`,
//! `file_not_found`; downloads without a valid `files:read` token get Slack's login page
//! (HTML, HTTP 200); [`FakeSlack::rate_limit`] answers 429 with `Retry-After` the next N
//! times. `oauth.v2.access` exchanges seeded codes and activates the granted tokens.
//!
//! The event side, [`EventSender`], delivers signed Events API requests to a webhook with
//! Slack's retry headers and rules.

mod events;
mod methods;
mod server;
pub mod webex;

pub use events::{envelope, message_event, Attempt, EventSender};
pub use webex::{
    FakeCall, FakeDelivery, FakeFile as FakeWebexFile, FakePost, FakeWebex, FakeWebhook, FileState,
    Posted,
};

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::slack::SlackClientConfig;

/// The kind of a seeded token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A bot token (`xoxb-`).
    Bot,
    /// A user token (`xoxp-`).
    User,
}

/// A token the fake accepts.
#[derive(Clone, Debug)]
pub struct FakeToken {
    /// The token string.
    pub token: String,
    /// Bot or user.
    pub kind: TokenKind,
    /// The bot user or the user the token acts as.
    pub user_id: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// A workspace admin (may delete other members' messages and files).
    pub admin: bool,
}

impl FakeToken {
    /// A bot token for bot user `user_id`.
    pub fn bot(token: &str, user_id: &str, scopes: &[&str]) -> Self {
        Self::new(token, TokenKind::Bot, user_id, scopes)
    }

    /// A (non-admin) user token for `user_id`.
    pub fn user(token: &str, user_id: &str, scopes: &[&str]) -> Self {
        Self::new(token, TokenKind::User, user_id, scopes)
    }

    /// The same token, its user a workspace admin.
    pub fn admin(mut self) -> Self {
        self.admin = true;
        self
    }

    fn new(token: &str, kind: TokenKind, user_id: &str, scopes: &[&str]) -> Self {
        FakeToken {
            token: token.into(),
            kind,
            user_id: user_id.into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            admin: false,
        }
    }
}

/// A message in the fake workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeMessage {
    /// Channel id.
    pub channel: String,
    /// Message `ts`.
    pub ts: String,
    /// Author user id.
    pub user: String,
    /// Text.
    pub text: String,
    /// Parent `ts` when in a thread.
    pub thread_ts: Option<String>,
}

impl FakeMessage {
    /// A top-level message.
    pub fn new(channel: &str, ts: &str, user: &str, text: &str) -> Self {
        FakeMessage {
            channel: channel.into(),
            ts: ts.into(),
            user: user.into(),
            text: text.into(),
            thread_ts: None,
        }
    }

    /// The same message as a reply in the thread of `parent_ts`.
    pub fn in_thread(mut self, parent_ts: &str) -> Self {
        self.thread_ts = Some(parent_ts.into());
        self
    }
}

/// A file in the fake workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeFile {
    /// `F…`.
    pub id: String,
    /// File name.
    pub name: String,
    /// Declared MIME type.
    pub mimetype: String,
    /// Uploader user id.
    pub user: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// One recorded request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// Web API method (`chat.delete`), or `files.download` for a file download.
    pub method: String,
    /// The kind of the (valid) bearer token; `None` without one or for an unknown one.
    pub token: Option<TokenKind>,
    /// Form, JSON and query parameters (string values).
    pub params: BTreeMap<String, String>,
}

/// What `oauth.v2.access` grants for a seeded code.
#[derive(Clone, Debug)]
pub struct FakeGrant {
    /// The `redirect_uri` the exchange must repeat.
    pub redirect_uri: String,
    /// Workspace id.
    pub team_id: String,
    /// Workspace name.
    pub team_name: String,
    /// The bot token to issue.
    pub bot: FakeToken,
    /// The installing user's token to issue (`authed_user`).
    pub user: Option<FakeToken>,
}

#[derive(Default)]
pub(crate) struct State {
    pub base: String,
    pub tokens: HashMap<String, FakeToken>,
    pub channels: HashMap<String, Vec<FakeMessage>>,
    pub files: HashMap<String, FakeFile>,
    pub calls: Vec<Call>,
    pub rate_limits: HashMap<String, (u32, u64)>,
    pub oauth_client: Option<(String, String)>,
    pub oauth_codes: HashMap<String, FakeGrant>,
    pub next_ts: u64,
    pub chunked_downloads: bool,
}

/// A running fake Slack; stops when dropped.
pub struct FakeSlack {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeSlack {
    /// Starts the fake on `127.0.0.1` at a free port (needs a tokio runtime).
    pub async fn start() -> std::io::Result<FakeSlack> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = State {
            base: format!("http://{addr}"),
            next_ts: 1,
            ..State::default()
        };
        let state = Arc::new(Mutex::new(state));
        let task = tokio::spawn(server::serve(listener, Arc::clone(&state)));
        Ok(FakeSlack { addr, state, task })
    }

    /// The origin, `http://127.0.0.1:PORT`; the Web API is under `/api`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Client settings pointing at this fake (API and file host).
    pub fn client_config(&self) -> SlackClientConfig {
        SlackClientConfig::at(&self.base_url())
    }

    /// Accepts `token` from now on.
    pub fn add_token(&self, token: FakeToken) {
        self.lock().tokens.insert(token.token.clone(), token);
    }

    /// Creates an empty channel.
    pub fn add_channel(&self, id: &str) {
        self.lock().channels.entry(id.into()).or_default();
    }

    /// Adds a message (and its channel).
    pub fn add_message(&self, message: FakeMessage) {
        self.lock()
            .channels
            .entry(message.channel.clone())
            .or_default()
            .push(message);
    }

    /// Adds a file; returns its `url_private_download`.
    pub fn add_file(&self, file: FakeFile) -> String {
        let mut state = self.lock();
        let url = methods::download_url(&state.base, &file);
        state.files.insert(file.id.clone(), file);
        url
    }

    /// The next `times` calls of `method` (`files.download` for downloads, `*` for any)
    /// answer HTTP 429 with `Retry-After: retry_after_secs`.
    pub fn rate_limit(&self, method: &str, times: u32, retry_after_secs: u64) {
        self.lock()
            .rate_limits
            .insert(method.into(), (times, retry_after_secs));
    }

    /// Whether downloads are sent in chunks without `Content-Length`, so a client's byte
    /// limit must hold while streaming, not only against the declared length.
    pub fn set_chunked_downloads(&self, chunked: bool) {
        self.lock().chunked_downloads = chunked;
    }

    /// The app's OAuth client credentials.
    pub fn set_oauth_client(&self, client_id: &str, client_secret: &str) {
        self.lock().oauth_client = Some((client_id.into(), client_secret.into()));
    }

    /// A single-use install `code` and what exchanging it grants.
    pub fn add_oauth_code(&self, code: &str, grant: FakeGrant) {
        self.lock().oauth_codes.insert(code.into(), grant);
    }

    /// Every request so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// The requests to `method`, in order.
    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.method == method)
            .cloned()
            .collect()
    }

    /// The message `ts` in `channel`, if it still exists.
    pub fn message(&self, channel: &str, ts: &str) -> Option<FakeMessage> {
        let state = self.lock();
        state
            .channels
            .get(channel)?
            .iter()
            .find(|m| m.ts == ts)
            .cloned()
    }

    /// The messages of `channel`, in order of posting.
    pub fn messages(&self, channel: &str) -> Vec<FakeMessage> {
        self.lock()
            .channels
            .get(channel)
            .cloned()
            .unwrap_or_default()
    }

    /// Whether file `id` still exists.
    pub fn has_file(&self, id: &str) -> bool {
        self.lock().files.contains_key(id)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
