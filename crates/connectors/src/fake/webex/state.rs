//! The fake's state: organizations, tokens, codes, messages, contents, webhooks, records.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use serde_json::json;

use super::{FakeCall, FakeDelivery, FakePost, FakeWebhook, FileState};
use crate::secret::Token;
use crate::webex::{sign, Verdict};

/// Webex's default access-token lifetime (14 days).
const ACCESS_LIFETIME: Duration = Duration::from_secs(14 * 24 * 3600);
/// Webex's default refresh-token lifetime (90 days).
const REFRESH_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);
/// The real-time DLP timer (spec §5.3.3).
const DLP_TIMER: Duration = Duration::from_secs(10);

/// An access token.
#[derive(Clone, Debug)]
pub(crate) struct AccessToken {
    pub org: String,
    pub scopes: BTreeSet<String>,
    pub expires: Instant,
}

impl AccessToken {
    pub fn new(org: &str, scopes: &[&str], expires: Instant) -> Self {
        AccessToken {
            org: org.into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            expires,
        }
    }
}

/// A seeded authorization code.
#[derive(Clone, Debug)]
pub(crate) struct Code {
    pub code: String,
    pub org: String,
    pub scopes: Vec<String>,
    /// Set when `/v1/authorize` handed the code out; the exchange must repeat it.
    pub redirect_uri: Option<String>,
    pub issued: bool,
}

impl Code {
    pub fn new(code: &str, org: &str, scopes: &[&str]) -> Self {
        Code {
            code: code.into(),
            org: org.into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            redirect_uri: None,
            issued: false,
        }
    }
}

/// A message in a room.
#[derive(Clone, Debug)]
pub(crate) struct Message {
    pub org: String,
    pub room_id: String,
    pub room_type: String,
    pub person_id: String,
    pub person_email: String,
    pub text: Option<String>,
    pub files: Vec<String>,
    pub created: String,
}

/// A held file.
#[derive(Clone, Debug)]
pub(crate) struct Content {
    pub org: String,
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub posted: Instant,
    pub first_touch: Option<Instant>,
    pub touches: usize,
    pub verdict: Option<(Verdict, Instant)>,
}

impl Content {
    /// The file's state at `now` under the two timers.
    pub fn view(&self, now: Instant, unscanned_after: Duration, deadline: Duration) -> FileState {
        let since = |t: Instant| t.saturating_duration_since(self.posted);
        let timer_end = self.posted + unscanned_after;
        let unscanned = match self.first_touch {
            Some(touch) => touch > timer_end,
            None => now > timer_end,
        };
        let decision_missed = !unscanned
            && self.verdict.is_none()
            && self.first_touch.is_some_and(|t| now > t + deadline);
        FileState {
            first_touch: self.first_touch.map(since),
            verdict: self.verdict.map(|(v, _)| v),
            verdict_after: self.verdict.map(|(_, t)| since(t)),
            unscanned,
            decision_missed,
            touches: self.touches,
        }
    }
}

/// A rule of [`super::FakeWebex::rate_limit`].
#[derive(Clone, Debug)]
pub(crate) struct RateLimit {
    pub method: String,
    pub path_prefix: String,
    pub remaining: usize,
    pub retry_after_secs: u64,
}

pub(crate) struct State {
    pub base: String,
    pub started: Instant,
    pub client: Option<(String, String)>,
    pub app_id: String,
    pub orgs: BTreeSet<String>,
    pub tokens: HashMap<String, AccessToken>,
    /// Refresh token → its grant (same shape as an access token).
    pub refresh_tokens: HashMap<String, AccessToken>,
    pub codes: Vec<Code>,
    pub access_lifetime: Duration,
    pub refresh_lifetime: Duration,
    pub unscanned_after: Duration,
    pub decision_deadline: Duration,
    pub messages: HashMap<String, Message>,
    pub contents: HashMap<String, Content>,
    pub webhooks: Vec<FakeWebhook>,
    /// (org, message id, delivery).
    pub deliveries: Vec<(String, String, FakeDelivery)>,
    pub deleted: Vec<String>,
    pub posted: Vec<(String, String)>,
    pub calls: Vec<FakeCall>,
    pub rate_limits: Vec<RateLimit>,
    next_id: u64,
}

impl State {
    pub fn new(base: String) -> Self {
        State {
            base,
            started: Instant::now(),
            client: None,
            app_id: "fake-app".into(),
            orgs: BTreeSet::new(),
            tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            codes: Vec::new(),
            access_lifetime: ACCESS_LIFETIME,
            refresh_lifetime: REFRESH_LIFETIME,
            unscanned_after: DLP_TIMER,
            decision_deadline: DLP_TIMER,
            messages: HashMap::new(),
            contents: HashMap::new(),
            webhooks: Vec::new(),
            deliveries: Vec::new(),
            deleted: Vec::new(),
            posted: Vec::new(),
            calls: Vec::new(),
            rate_limits: Vec::new(),
            next_id: 1,
        }
    }

    /// A new id of `kind` (`MESSAGE`, `CONTENT`, `WEBHOOK`, …), base64url like Webex's.
    pub fn id(&mut self, kind: &str) -> String {
        let n = self.next_id;
        self.next_id += 1;
        let uri = format!("ciscospark://us/{kind}/fake-{n}");
        URL_SAFE_NO_PAD.encode(uri)
    }

    /// A new opaque token or tracking id.
    pub fn serial(&mut self, prefix: &str) -> String {
        let n = self.next_id;
        self.next_id += 1;
        format!("{prefix}_{n}")
    }

    /// Now as RFC 3339 (`2026-11-23T10:00:00.000Z`), for `created` fields.
    pub fn created(&self) -> String {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        rfc3339(secs)
    }

    /// Stores a post and builds its signed deliveries: (message id, content ids, deliveries).
    pub fn post(&mut self, post: FakePost) -> (String, Vec<String>, Vec<FakeDelivery>) {
        let message_id = self.id("MESSAGE");
        let now = Instant::now();
        let mut content_ids = Vec::new();
        let mut urls = Vec::new();
        for file in post.files {
            let id = self.id("CONTENT");
            urls.push(format!(
                "{}/v1/contents/{id}?allow=dlpEvaluating",
                self.base
            ));
            self.contents.insert(
                id.clone(),
                Content {
                    org: post.org_id.clone(),
                    name: file.name,
                    content_type: file.content_type,
                    bytes: file.bytes,
                    posted: now,
                    first_touch: None,
                    touches: 0,
                    verdict: None,
                },
            );
            content_ids.push(id);
        }
        let message = Message {
            org: post.org_id.clone(),
            room_id: post.room_id,
            room_type: post.room_type,
            person_id: post.person_id,
            person_email: post.person_email,
            text: post.text,
            files: urls,
            created: self.created(),
        };
        let deliveries = self.deliveries_of(&message_id, &message);
        for d in &deliveries {
            self.deliveries
                .push((post.org_id.clone(), message_id.clone(), d.clone()));
        }
        self.messages.insert(message_id.clone(), message);
        (message_id, content_ids, deliveries)
    }

    /// One signed `messages`/`created` delivery per active webhook of the message's org.
    fn deliveries_of(&self, message_id: &str, m: &Message) -> Vec<FakeDelivery> {
        self.webhooks
            .iter()
            .filter(|w| w.org_id == m.org && w.status == "active" && w.resource == "messages")
            .map(|w| {
                let body = json!({
                    "id": w.id, "name": w.name, "targetUrl": w.target_url,
                    "resource": "messages", "event": "created", "orgId": m.org,
                    "createdBy": "fake-compliance-officer", "appId": w.app_id,
                    "ownedBy": w.owned_by, "status": "active", "created": m.created,
                    "actorId": m.person_id,
                    "data": {
                        "id": message_id, "roomId": m.room_id, "roomType": m.room_type,
                        "personId": m.person_id, "personEmail": m.person_email,
                        "created": m.created, "files": m.files,
                    },
                })
                .to_string()
                .into_bytes();
                let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
                if let Some(secret) = &w.secret {
                    let signature = sign(&Token::new(secret.clone()), &body);
                    headers.push(("x-spark-signature".to_owned(), signature));
                }
                FakeDelivery {
                    url: w.target_url.clone(),
                    headers,
                    body,
                }
            })
            .collect()
    }
}

/// Seconds since the epoch as RFC 3339 UTC (civil from days, Howard Hinnant's algorithm).
fn rfc3339(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rest = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20.000Z");
        assert_eq!(rfc3339(951_825_600), "2000-02-29T12:00:00.000Z");
    }
}
