//! A fake Webex REST API for tests (feature `fake`), behaving as spec §5 and §6 describe.
//!
//! [`FakeWebex::start`] listens on `127.0.0.1:0` (hyper 1). Tests seed organizations, the
//! integration (client id, secret, app id), access tokens with compliance scopes and OAuth
//! codes; [`FakeWebex::post_file`] then plays a user posting files: the fake creates the
//! message and its contents, holds them in real-time quarantine and POSTs a signed
//! `messages`/`created` delivery (`X-Spark-Signature`) to every active webhook of the org.
//!
//! Rules, as Webex answers them (`{"message", "errors", "trackingId"}` bodies, a `Trackingid`
//! header on every answer):
//! - Every endpoint but `/v1/authorize` and `/v1/access_token` needs `Authorization: Bearer`:
//!   401 when missing, unknown or expired; 403 when a scope is missing. Scopes:
//!   contents HEAD/GET and `GET /v1/messages/{id}` `spark-compliance:messages_read`;
//!   contents PUT and `DELETE /v1/messages/{id}` `spark-compliance:messages_write`;
//!   `POST /v1/messages` `spark:messages_write`; webhooks GET `spark-compliance:webhooks_read`,
//!   POST/DELETE `spark-compliance:webhooks_write` (an org webhook on `messages` also needs
//!   `spark-compliance:messages_read`).
//! - Organizations are kept apart: a token of one org asking for another org's content,
//!   message or webhook gets **404**, as for an id that does not exist (the fake's choice:
//!   it does not disclose that the resource exists).
//! - Contents: a HEAD/GET with `allow` holding `dlpUnchecked` is the first touch (recorded
//!   with its time since the post) and answers the headers (`Content-Type` as declared by the
//!   uploader, `Content-Length`, `Content-Disposition` with the file name) or the bytes. A file
//!   nobody touched within [`FakeWebex::set_unscanned_after`] (10 s by default) is posted
//!   "unscanned". `PUT ?result=approve|reject` settles it once: the same verdict again is
//!   200, the other one 409, a PUT later than [`FakeWebex::set_decision_deadline`] after the
//!   touch (10 s by default; the real deadline is unknown, spec §7) 409 and not recorded.
//!   Without `dlpUnchecked`, a held file answers 423 and a rejected one 403.
//! - `/v1/webhooks` lists a page of `max` (default 100) with `Link: <…>; rel="next"`.
//! - `/v1/access_token` (form-encoded) exchanges a seeded code (single use; bound to the
//!   `redirect_uri` given to `/v1/authorize`) and refreshes: each refresh rotates both tokens
//!   and the old refresh token is refused (400). Bad client credentials give 401.
//! - [`FakeWebex::rate_limit`] answers 429 with `Retry-After` the next N matching calls.

mod contents;
mod oauth;
mod routes;
mod server;
mod state;
mod webhooks;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::webex::{Verdict, WebexClientConfig};

use state::{AccessToken, State};

/// A file in a [`FakePost`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeFile {
    /// The file name (`Content-Disposition`).
    pub name: String,
    /// The type the uploader declared (`Content-Type`).
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// A user posting a message with files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakePost {
    /// The organization.
    pub org_id: String,
    /// The room.
    pub room_id: String,
    /// `group` or `direct`.
    pub room_type: String,
    /// The author.
    pub person_id: String,
    /// The author's e-mail address.
    pub person_email: String,
    /// The message text, if any.
    pub text: Option<String>,
    /// The files.
    pub files: Vec<FakeFile>,
}

/// What [`FakeWebex::post_file`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posted {
    /// The new message id.
    pub message_id: String,
    /// One content id per file, in order.
    pub content_ids: Vec<String>,
    /// Each webhook's target URL and how it answered: the HTTP status or a transport error.
    pub deliveries: Vec<(String, Result<u16, String>)>,
}

/// One delivery as it was sent, to replay (duplicates) or tamper with (forged signatures).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeDelivery {
    /// The webhook's target URL.
    pub url: String,
    /// The request headers (`content-type`, `x-spark-signature` when the webhook has a
    /// secret).
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

/// What happened to one held file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileState {
    /// When it was first touched with `dlpUnchecked`, since the post.
    pub first_touch: Option<Duration>,
    /// The verdict, once settled.
    pub verdict: Option<Verdict>,
    /// When the verdict arrived, since the post.
    pub verdict_after: Option<Duration>,
    /// Posted "not scanned": the timer ran out before any `dlpUnchecked` touch.
    pub unscanned: bool,
    /// Touched, but no verdict within the decision deadline.
    pub decision_missed: bool,
    /// HEAD/GET requests with `dlpUnchecked`.
    pub touches: usize,
}

/// A webhook as the fake keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeWebhook {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Where deliveries go.
    pub target_url: String,
    /// `messages`.
    pub resource: String,
    /// `created`.
    pub event: String,
    /// The signing secret, if set.
    pub secret: Option<String>,
    /// `org` or `creator`.
    pub owned_by: String,
    /// The organization.
    pub org_id: String,
    /// The integration that created it.
    pub app_id: String,
    /// `active` or `inactive`.
    pub status: String,
}

/// One recorded request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeCall {
    /// `GET`, `HEAD`, `PUT`, …
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The answer's status.
    pub status: u16,
    /// When it arrived, since the fake started.
    pub when: Duration,
}

/// A running fake Webex; stops when dropped.
pub struct FakeWebex {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
    http: reqwest::Client,
}

impl Drop for FakeWebex {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeWebex {
    /// Starts the fake on `127.0.0.1` at a free port (needs a tokio runtime).
    pub async fn start() -> std::io::Result<FakeWebex> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::new(format!("http://{addr}"))));
        let task = tokio::spawn(server::serve(listener, Arc::clone(&state)));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(std::io::Error::other)?;
        Ok(FakeWebex {
            addr,
            state,
            task,
            http,
        })
    }

    /// The origin, `http://127.0.0.1:PORT`; the API is under `/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Client settings pointing at this fake.
    pub fn client_config(&self) -> WebexClientConfig {
        WebexClientConfig {
            base_url: self.base_url(),
            ..WebexClientConfig::default()
        }
    }

    /// The OAuth integration: its client credentials and the `appId` its webhooks carry.
    pub fn set_integration(&self, client_id: &str, client_secret: &str, app_id: &str) {
        let mut state = self.lock();
        state.client = Some((client_id.into(), client_secret.into()));
        state.app_id = app_id.into();
    }

    /// Creates an organization.
    pub fn add_org(&self, org_id: &str) {
        self.lock().orgs.insert(org_id.into());
    }

    /// Accepts `token` for `org_id` (created if needed) with `scopes` for `lifetime`.
    pub fn add_token(&self, org_id: &str, token: &str, scopes: &[&str], lifetime: Duration) {
        let mut state = self.lock();
        state.orgs.insert(org_id.into());
        let expires = Instant::now() + lifetime;
        state
            .tokens
            .insert(token.into(), AccessToken::new(org_id, scopes, expires));
    }

    /// Makes `token` expired: it answers 401 from now on.
    pub fn expire_token(&self, token: &str) {
        if let Some(t) = self.lock().tokens.get_mut(token) {
            t.expires = Instant::now();
        }
    }

    /// A single-use authorization code granting `scopes` in `org_id` (created if needed).
    pub fn add_code(&self, code: &str, org_id: &str, scopes: &[&str]) {
        let mut state = self.lock();
        state.orgs.insert(org_id.into());
        state.codes.push(state::Code::new(code, org_id, scopes));
    }

    /// Lifetimes of the tokens `/v1/access_token` issues (14 days and 90 days by default).
    pub fn set_token_lifetimes(&self, access: Duration, refresh: Duration) {
        let mut state = self.lock();
        state.access_lifetime = access;
        state.refresh_lifetime = refresh;
    }

    /// How long a file may stay untouched before it is posted "unscanned" (10 s by default).
    pub fn set_unscanned_after(&self, after: Duration) {
        self.lock().unscanned_after = after;
    }

    /// How long after the first touch a verdict is still taken (10 s by default).
    pub fn set_decision_deadline(&self, deadline: Duration) {
        self.lock().decision_deadline = deadline;
    }

    /// The next `times` calls of `method` (`*` for any) to a path starting with
    /// `path_prefix` answer 429 with `Retry-After: retry_after_secs`.
    pub fn rate_limit(&self, method: &str, path_prefix: &str, times: usize, retry_after_secs: u64) {
        self.lock().rate_limits.push(state::RateLimit {
            method: method.to_ascii_uppercase(),
            path_prefix: path_prefix.into(),
            remaining: times,
            retry_after_secs,
        });
    }

    /// A user posts a message with files: the fake stores it, holds the files and POSTs a
    /// signed delivery to every active webhook of the org, one after the other.
    pub async fn post_file(&self, post: FakePost) -> Posted {
        let (message_id, content_ids, sends) = self.lock().post(post);
        let mut deliveries = Vec::with_capacity(sends.len());
        for delivery in sends {
            let answer = self.send_delivery(&delivery).await;
            deliveries.push((delivery.url, answer));
        }
        Posted {
            message_id,
            content_ids,
            deliveries,
        }
    }

    /// Sends `delivery` (again, or altered): the status, or the transport error.
    pub async fn send_delivery(&self, delivery: &FakeDelivery) -> Result<u16, String> {
        let mut request = self.http.post(&delivery.url).body(delivery.body.clone());
        for (name, value) in &delivery.headers {
            request = request.header(name, value);
        }
        match request.send().await {
            Ok(response) => Ok(response.status().as_u16()),
            Err(e) if e.is_timeout() => Err("timeout".into()),
            Err(_) => Err("connection failed".into()),
        }
    }

    /// The first delivery of `message_id` in `org_id`, as sent.
    pub fn delivery(&self, org_id: &str, message_id: &str) -> Option<FakeDelivery> {
        self.deliveries(org_id, message_id).into_iter().next()
    }

    /// Every delivery of `message_id` in `org_id` (one per webhook), as sent.
    pub fn deliveries(&self, org_id: &str, message_id: &str) -> Vec<FakeDelivery> {
        self.lock()
            .deliveries
            .iter()
            .filter(|(org, message, _)| org == org_id && message == message_id)
            .map(|(_, _, d)| d.clone())
            .collect()
    }

    /// What happened to content `content_id` (all `None`/`false` for an unknown id).
    pub fn file(&self, content_id: &str) -> FileState {
        let state = self.lock();
        let now = Instant::now();
        state.contents.get(content_id).map_or(
            FileState {
                first_touch: None,
                verdict: None,
                verdict_after: None,
                unscanned: false,
                decision_missed: false,
                touches: 0,
            },
            |c| c.view(now, state.unscanned_after, state.decision_deadline),
        )
    }

    /// The webhooks of `org_id`, in order of creation.
    pub fn webhooks(&self, org_id: &str) -> Vec<FakeWebhook> {
        self.lock()
            .webhooks
            .iter()
            .filter(|w| w.org_id == org_id)
            .cloned()
            .collect()
    }

    /// Adds a webhook directly (one an older install left behind, or another app's).
    pub fn add_webhook(&self, webhook: FakeWebhook) {
        self.lock().webhooks.push(webhook);
    }

    /// The ids of the messages deleted through the API, in order.
    pub fn messages_deleted(&self) -> Vec<String> {
        self.lock().deleted.clone()
    }

    /// Messages posted through the API: (recipient — person id, e-mail or room id — , text).
    pub fn messages_posted(&self) -> Vec<(String, String)> {
        self.lock().posted.clone()
    }

    /// Whether message `id` exists (not deleted).
    pub fn has_message(&self, id: &str) -> bool {
        self.lock().messages.contains_key(id)
    }

    /// Every request so far, in order.
    pub fn calls(&self) -> Vec<FakeCall> {
        self.lock().calls.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
