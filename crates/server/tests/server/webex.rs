//! Webex (issue 8) through the server, against the connectors crate's fake Webex: orgs are
//! installed through the real OAuth flow (which creates our signed org-wide webhook), the fake
//! posts files and delivers to the server over HTTP, and the `webex_event` task approves or
//! rejects each file and records it.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use leakwall_connectors::fake::{FakePost, FakeWebex, FakeWebexFile as FakeFile, Posted};
use leakwall_connectors::webex::Verdict;
use leakwall_connectors::Token;
use leakwall_queue::embedded::EmbeddedQueue;
use leakwall_queue::worker::Worker;
use leakwall_queue::Queue;
use leakwall_server::config::ServerConfig;
use leakwall_server::webex::{OrgConfig, WebexConfig};
use leakwall_server::Config;
use serde_json::Value;

use crate::support::{Db, TestServer};

const CLIENT_ID: &str = "C_LEAKWALL";
const CLIENT_SECRET: &str = "leakwall-client-secret";
const APP: &str = "Y2lzY29zcGFyazovL3VzL0FQUExJQ0FUSU9OL2xlYWt3YWxs";
const ORG: &str = "ORG_ACME";
const OTHER_ORG: &str = "ORG_GLOBEX";
const ROOM: &str = "ROOM_1";
const AUTHOR: &str = "PERSON_ALICE";
const CARD: &str = "the card is 4111 1111 1111 1111 thanks";
const SCOPES: &[&str] = &[
    "spark-compliance:messages_read",
    "spark-compliance:messages_write",
    "spark-compliance:webhooks_read",
    "spark-compliance:webhooks_write",
    "spark:messages_write",
];
/// A PNG signature and an empty IHDR chunk: enough for the type to be told.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde";

pub struct Webex {
    pub server: TestServer,
    pub queue: Arc<dyn Queue>,
    pub fake: FakeWebex,
    pub url: String,
    http: tokio::task::JoinHandle<()>,
}

impl Drop for Webex {
    fn drop(&mut self) {
        self.http.abort();
    }
}

fn key() -> String {
    base64::engine::general_purpose::STANDARD.encode([9u8; 32])
}

async fn start(orgs: &[&str], tweak: impl FnOnce(&mut WebexConfig)) -> Webex {
    start_with(orgs, |config| tweak(&mut config.webex)).await
}

/// [`start`] with a hook on the whole configuration (e.g. the antivirus).
async fn start_with(orgs: &[&str], tweak: impl FnOnce(&mut Config)) -> Webex {
    let fake = FakeWebex::start().await.expect("fake Webex");
    fake.set_integration(CLIENT_ID, CLIENT_SECRET, APP);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let webex = WebexConfig {
        client_id: CLIENT_ID.into(),
        client_secret: Some(Token::new(CLIENT_SECRET)),
        integration_id: APP.into(),
        api_base: fake.base_url(),
        ..WebexConfig::default()
    };
    let mut config = Config {
        server: ServerConfig {
            public_url: url.clone(),
            token_key: Some(Token::new(key())),
            ..ServerConfig::default()
        },
        webex,
        ..Config::default()
    };
    tweak(&mut config);
    let mut server = TestServer::start(Db::Sqlite, config).await.expect("server");
    let db = server.state.settings.database_url.clone();
    let queue: Arc<dyn Queue> = Arc::new(EmbeddedQueue::open(&db, "tasks").await.expect("queue"));
    server.state = server.state.clone().with_queue(Arc::clone(&queue));
    let app = leakwall_server::routes::router(server.state.clone())
        .into_make_service_with_connect_info::<SocketAddr>();
    let http = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let webex = Webex {
        server,
        queue,
        fake,
        url,
        http,
    };
    for org in orgs {
        let installed = webex.install(org).await;
        assert_eq!(installed["installed"], true, "{installed}");
    }
    webex
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a redirect")
        .to_owned()
}

impl Webex {
    /// A compliance officer of `org` installs Leakwall: our install link, Webex's consent
    /// page, the callback.
    pub async fn install(&self, org: &str) -> Value {
        self.fake.add_code(&format!("code-{org}"), org, SCOPES);
        let http = no_redirects();
        let ours = http
            .get(format!("{}/oauth/webex/install", self.url))
            .send()
            .await
            .expect("install");
        assert_eq!(ours.status(), 302);
        let consent = http.get(location(&ours)).send().await.expect("authorize");
        assert_eq!(consent.status(), 302);
        let back = http.get(location(&consent)).send().await.expect("callback");
        back.json().await.expect("json")
    }

    async fn post(&self, org: &str, room_type: &str, files: Vec<FakeFile>) -> Posted {
        self.post_text(org, room_type, None, files).await
    }

    async fn post_text(
        &self,
        org: &str,
        room_type: &str,
        text: Option<&str>,
        files: Vec<FakeFile>,
    ) -> Posted {
        self.fake
            .post_file(FakePost {
                org_id: org.into(),
                room_id: ROOM.into(),
                room_type: room_type.into(),
                person_id: AUTHOR.into(),
                person_email: "alice@acme.example".into(),
                text: text.map(str::to_owned),
                files,
            })
            .await
    }

    async fn ready(&self) -> u64 {
        self.queue.stats().await.expect("stats").ready
    }

    /// Runs the worker until the queue has nothing ready; returns how many tasks ran.
    async fn work(&self) -> usize {
        let registry = leakwall_server::tasks::shared_registry(&self.server.state);
        let config = leakwall_server::queue::worker_config(&self.server.state.settings.queue);
        let worker = Worker::new(Arc::clone(&self.queue), registry, config);
        let mut handled = 0;
        for _ in 0..20 {
            let n = worker.tick().await.expect("tick");
            handled += n;
            if n == 0 {
                break;
            }
        }
        handled
    }

    fn verdict(&self, content: &str) -> Option<Verdict> {
        self.fake.file(content).verdict
    }

    async fn incidents(&self) -> Vec<Value> {
        let listed = self
            .server
            .store
            .list(
                &leakwall_store::INCIDENTS,
                &None,
                &[],
                &leakwall_store::Page::default(),
            )
            .await
            .expect("incidents");
        listed.items.into_iter().map(Value::Object).collect()
    }

    /// The approvals in the decision log.
    async fn approvals(&self) -> Vec<Value> {
        // The writes go straight to the table: no batching to wait for.
        let listed = self
            .server
            .store
            .list(
                &leakwall_store::DECISIONS,
                &None,
                &[],
                &leakwall_store::Page::default(),
            )
            .await
            .expect("decisions");
        listed
            .items
            .into_iter()
            .map(Value::Object)
            .filter(|d| d["origin"] == "webex")
            .collect()
    }

    /// `org`'s current access token, opened.
    async fn access_token(&self, org: &str) -> Token {
        let webex = self.server.state.settings.webex.as_ref().expect("webex");
        let (_, token) =
            leakwall_server::webex::tokens::access_token(&self.server.state, webex, org)
                .await
                .expect("token");
        token
    }
}

fn file(name: &str, content_type: &str, bytes: &[u8]) -> FakeFile {
    FakeFile {
        name: name.into(),
        content_type: content_type.into(),
        bytes: bytes.to_vec(),
    }
}

/// A minimal DOCX whose body says `text`.
pub fn docx(text: &str) -> Vec<u8> {
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"#
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, part) in [
        ("[Content_Types].xml", types.to_owned()),
        ("word/document.xml", body),
    ] {
        zip.start_file(name, options).expect("zip entry");
        zip.write_all(part.as_bytes()).expect("zip write");
    }
    zip.finish().expect("zip").into_inner()
}

const DOCX_TYPE: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

fn bomb() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/extract/bomb.zip"
    );
    std::fs::read(path).expect("bomb.zip")
}

/// A PE header: what an executable starts with.
fn executable() -> Vec<u8> {
    let mut exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec();
    exe.resize(512, 0);
    exe
}

#[tokio::test]
async fn install_creates_one_signed_org_webhook_and_shows_no_token() {
    let webex = start(&[ORG], |_| {}).await;
    let hooks = webex.fake.webhooks(ORG);
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    let hook = &hooks[0];
    assert_eq!(hook.owned_by, "org");
    assert_eq!(hook.app_id, APP);
    assert_eq!(hook.target_url, format!("{}/webhooks/webex", webex.url));
    assert!(hook.secret.as_deref().is_some_and(|s| s.len() >= 32));
    // Installing again replaces our webhook (and its secret), it does not add one.
    webex.install(ORG).await;
    let again = webex.fake.webhooks(ORG);
    assert_eq!(again.len(), 1);
    assert_ne!(again[0].secret, hook.secret, "a fresh secret");

    let key = webex.admin_key().await;
    let auth = format!("Bearer {key}");
    let (status, listed) = webex
        .server
        .call(
            "GET",
            "/api/webex/installations",
            &[("authorization", &auth)],
            None,
        )
        .await;
    assert_eq!(status, 200, "{listed}");
    let item = &listed["items"][0];
    assert_eq!(item["org_id"], ORG);
    assert_eq!(item["webhook_status"], "active");
    assert!(item["access_expires_at"].is_string());
    let text = listed.to_string();
    let token = webex.access_token(ORG).await;
    assert!(!text.contains(token.expose()), "no token in the view");
    assert!(!text.contains(again[0].secret.as_deref().unwrap_or("-")));
    let (status, _) = webex
        .server
        .call("GET", "/api/webex/installations", &[], None)
        .await;
    assert_eq!(status, 401, "admin routes need a caller");
}

impl Webex {
    async fn admin_key(&self) -> String {
        leakwall_server::first_admin_key(&self.server.store)
            .await
            .expect("key")
            .expect("a first key")
    }
}

#[tokio::test]
async fn a_forged_or_replayed_state_is_refused() {
    let webex = start(&[], |_| {}).await;
    let http = no_redirects();
    let forged = http
        .get(format!(
            "{}/oauth/webex/callback?code=x&state=9999999999.00.00",
            webex.url
        ))
        .send()
        .await
        .expect("callback");
    assert_eq!(forged.status(), 400);
    webex.fake.add_code("code-1", ORG, SCOPES);
    let ours = http
        .get(format!("{}/oauth/webex/install", webex.url))
        .send()
        .await
        .expect("install");
    let consent = http.get(location(&ours)).send().await.expect("authorize");
    let back = location(&consent);
    let forged_state = back.replace("state=", "state=1");
    let refused = http.get(&forged_state).send().await.expect("callback");
    assert_eq!(refused.status(), 400, "an altered state");
    assert!(webex.fake.webhooks(ORG).is_empty(), "nothing installed");
    let first = http.get(&back).send().await.expect("callback");
    assert_eq!(first.status(), 200);
    let replay = http.get(&back).send().await.expect("callback");
    assert_eq!(replay.status(), 400, "a used state");
}

#[tokio::test]
async fn a_clean_png_is_approved_and_logged_as_a_decision() {
    let webex = start(&[ORG], |_| {}).await;
    let posted = webex
        .post(ORG, "direct", vec![file("cat.png", "image/png", PNG)])
        .await;
    assert_eq!(posted.deliveries[0].1, Ok(200), "{:?}", posted.deliveries);
    assert_eq!(webex.work().await, 1);
    let content = &posted.content_ids[0];
    assert_eq!(webex.verdict(content), Some(Verdict::Approve));
    assert!(webex.fake.file(content).first_touch.is_some());
    assert!(webex.incidents().await.is_empty());
    let approvals = webex.approvals().await;
    assert_eq!(approvals.len(), 1, "{approvals:?}");
    let input = &approvals[0]["input"];
    assert_eq!(input["org"], ORG);
    assert_eq!(input["file"]["name"], "cat.png");
    assert_eq!(input["file"]["real"], "image/png");
    assert_eq!(approvals[0]["allowed"], true);
}

#[tokio::test]
async fn a_docx_with_a_card_number_is_rejected_and_recorded() {
    let webex = start(&[ORG], |_| {}).await;
    let bytes = docx(CARD);
    let posted = webex
        .post(ORG, "group", vec![file("q3.docx", DOCX_TYPE, &bytes)])
        .await;
    webex.work().await;
    assert_eq!(webex.verdict(&posted.content_ids[0]), Some(Verdict::Reject));
    let incidents = webex.incidents().await;
    let card: Vec<_> = incidents
        .iter()
        .filter(|i| i["detector"] == "credit_card")
        .collect();
    assert_eq!(card.len(), 1, "{incidents:?}");
    let i = card[0];
    assert_eq!(i["source"], "webex");
    assert_eq!(i["channel"], ROOM);
    assert_eq!(i["author"], AUTHOR);
    assert_eq!(i["file"], "q3.docx");
    assert_eq!(i["action"], "reject");
    let location = i["location"].as_str().unwrap_or_default();
    assert!(
        location.contains(&format!("{} bytes", bytes.len())),
        "{location}"
    );
    assert!(
        location.contains(DOCX_TYPE),
        "declared and real: {location}"
    );
    assert!(location.contains(ORG), "{location}");
    assert!(i["outcome"]
        .as_str()
        .unwrap_or_default()
        .starts_with("rejected"));
    assert!(!i.to_string().contains("4111 1111 1111 1111"), "masked");
    assert!(webex.approvals().await.is_empty());
}

#[tokio::test]
async fn an_executable_named_png_is_rejected_as_a_type_mismatch() {
    let webex = start(&[ORG], |_| {}).await;
    let posted = webex
        .post(
            ORG,
            "group",
            vec![file("cat.png", "image/png", &executable())],
        )
        .await;
    webex.work().await;
    assert_eq!(webex.verdict(&posted.content_ids[0]), Some(Verdict::Reject));
    let incidents = webex.incidents().await;
    assert!(
        incidents.iter().any(|i| i["detector"] == "type_mismatch"),
        "{incidents:?}"
    );
}

#[tokio::test]
async fn a_type_outside_the_allow_list_is_rejected() {
    let webex = start(&[ORG], |w| w.allowed_mime_types = "^image/.*$".into()).await;
    let posted = webex
        .post(
            ORG,
            "group",
            vec![file("q3.docx", DOCX_TYPE, &docx("hello"))],
        )
        .await;
    webex.work().await;
    assert_eq!(webex.verdict(&posted.content_ids[0]), Some(Verdict::Reject));
    let incidents = webex.incidents().await;
    assert!(incidents
        .iter()
        .any(|i| i["detector"] == "mime_not_allowed"));
}

#[tokio::test]
async fn a_zip_bomb_is_rejected_as_unscannable_unless_the_org_fails_open() {
    let webex = start(&[ORG, OTHER_ORG], |w| {
        w.orgs.insert(
            OTHER_ORG.into(),
            OrgConfig {
                fail_mode: Some(leakwall_server::webex::FailMode::Approve),
                ..OrgConfig::default()
            },
        );
    })
    .await;
    let closed = webex
        .post(
            ORG,
            "group",
            vec![file("a.zip", "application/zip", &bomb())],
        )
        .await;
    let open = webex
        .post(
            OTHER_ORG,
            "group",
            vec![file("a.zip", "application/zip", &bomb())],
        )
        .await;
    assert_eq!(webex.work().await, 2);
    assert_eq!(webex.verdict(&closed.content_ids[0]), Some(Verdict::Reject));
    assert_eq!(webex.verdict(&open.content_ids[0]), Some(Verdict::Approve));
    let incidents = webex.incidents().await;
    let unscannable: Vec<_> = incidents
        .iter()
        .filter(|i| i["detector"] == "unscannable")
        .collect();
    assert!(!unscannable.is_empty(), "{incidents:?}");
    let outcome = unscannable[0]["outcome"].as_str().unwrap_or_default();
    assert!(outcome.contains("fail mode reject"), "{outcome}");
    let approvals = webex.approvals().await;
    assert_eq!(approvals.len(), 1);
    let reason = approvals[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("unscannable") && reason.contains("fail mode approve"));
}

#[tokio::test]
async fn a_file_not_decided_within_the_budget_follows_the_fail_mode() {
    let webex = start(&[ORG], |w| w.decision_budget_ms = 100).await;
    let posted = webex
        .post(ORG, "group", vec![file("cat.png", "image/png", PNG)])
        .await;
    // The workers get to it only after the budget has run out.
    tokio::time::sleep(Duration::from_millis(300)).await;
    webex.work().await;
    let content = &posted.content_ids[0];
    assert_eq!(webex.verdict(content), Some(Verdict::Reject));
    assert!(
        webex.fake.file(content).first_touch.is_some(),
        "held by the fast path"
    );
    let incidents = webex.incidents().await;
    let late: Vec<_> = incidents
        .iter()
        .filter(|i| i["detector"] == "deadline")
        .collect();
    assert_eq!(late.len(), 1, "{incidents:?}");
    let outcome = late[0]["outcome"].as_str().unwrap_or_default();
    assert!(outcome.contains("not decided within 100 ms"), "{outcome}");
}

#[tokio::test]
async fn a_forged_signature_is_refused_and_nothing_is_touched() {
    let webex = start(&[ORG], |_| {}).await;
    let posted = webex
        .post(ORG, "group", vec![file("cat.png", "image/png", PNG)])
        .await;
    let mut delivery = webex
        .fake
        .delivery(ORG, &posted.message_id)
        .expect("delivery");
    // Only the real delivery's effects are in the queue so far: drop them.
    assert_eq!(webex.ready().await, 1);
    webex.work().await;
    let touches = webex.fake.file(&posted.content_ids[0]).touches;

    for (name, value) in delivery.headers.iter_mut() {
        if name.eq_ignore_ascii_case("x-spark-signature") {
            *value = "0".repeat(40);
        }
    }
    let forged = delivery.clone();
    assert_eq!(webex.fake.send_delivery(&forged).await, Ok(401));
    let mut stripped = delivery.clone();
    stripped
        .headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("x-spark-signature"));
    assert_eq!(webex.fake.send_delivery(&stripped).await, Ok(401));
    let mut unknown = webex
        .fake
        .delivery(ORG, &posted.message_id)
        .expect("delivery");
    unknown.body = String::from_utf8(unknown.body)
        .expect("utf-8")
        .replace(ORG, "ORG_NOBODY")
        .into_bytes();
    assert_eq!(webex.fake.send_delivery(&unknown).await, Ok(401));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(webex.ready().await, 0, "nothing enqueued");
    assert_eq!(
        webex.fake.file(&posted.content_ids[0]).touches,
        touches,
        "nothing touched"
    );
}

#[tokio::test]
async fn a_duplicate_delivery_gets_one_verdict() {
    let webex = start(&[ORG], |_| {}).await;
    let posted = webex
        .post(ORG, "group", vec![file("q3.docx", DOCX_TYPE, &docx(CARD))])
        .await;
    let delivery = webex
        .fake
        .delivery(ORG, &posted.message_id)
        .expect("delivery");
    for _ in 0..2 {
        assert_eq!(webex.fake.send_delivery(&delivery).await, Ok(200));
    }
    assert_eq!(webex.ready().await, 1, "one task for three deliveries");
    webex.work().await;
    let puts = webex
        .fake
        .calls()
        .into_iter()
        .filter(|c| c.method == "PUT")
        .count();
    assert_eq!(puts, 1);
    let card = webex
        .incidents()
        .await
        .into_iter()
        .filter(|i| i["detector"] == "credit_card")
        .count();
    assert_eq!(card, 1);
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_and_the_flow_completes() {
    let webex = start(&[ORG], |_| {}).await;
    let before = webex
        .server
        .store
        .webex_installation(ORG)
        .await
        .expect("read");
    let old = webex.access_token(ORG).await;
    webex.fake.expire_token(old.expose());
    let posted = webex
        .post(ORG, "group", vec![file("cat.png", "image/png", PNG)])
        .await;
    webex.work().await;
    assert_eq!(
        webex.verdict(&posted.content_ids[0]),
        Some(Verdict::Approve)
    );
    let new = webex.access_token(ORG).await;
    assert_ne!(new.expose(), old.expose());
    let after = webex
        .server
        .store
        .webex_installation(ORG)
        .await
        .expect("read");
    let (before, after) = (before.expect("installed"), after.expect("installed"));
    assert_ne!(
        before.refresh_token, after.refresh_token,
        "the rotated refresh token is stored"
    );
}

#[tokio::test]
async fn tokens_close_to_expiry_are_refreshed_by_maintenance() {
    let webex = start(&[], |_| {}).await;
    // Granted for 30 minutes: less than the hour maintenance keeps ahead.
    webex
        .fake
        .set_token_lifetimes(Duration::from_secs(1800), Duration::from_secs(86_400));
    webex.install(ORG).await;
    webex.install(OTHER_ORG).await;
    webex.fake.set_token_lifetimes(
        Duration::from_secs(14 * 86_400),
        Duration::from_secs(86_400),
    );
    let before = webex.access_token(ORG).await;
    let settings = webex.server.state.settings.webex.as_ref().expect("webex");
    leakwall_server::webex::tokens::refresh_expiring(&webex.server.state, settings).await;
    let after = webex.access_token(ORG).await;
    assert_ne!(before.expose(), after.expose(), "refreshed");
    let row = webex
        .server
        .store
        .webex_installation(ORG)
        .await
        .expect("read")
        .expect("installed");
    assert!(row.access_expires_at > leakwall_server::webex::tokens::unix_now() + 13 * 86_400);
    // Fresh tokens are left alone.
    leakwall_server::webex::tokens::refresh_expiring(&webex.server.state, settings).await;
    assert_eq!(webex.access_token(ORG).await.expose(), after.expose());
    assert_ne!(
        webex.access_token(OTHER_ORG).await.expose(),
        after.expose(),
        "each org its own"
    );
}

#[tokio::test]
async fn a_429_on_the_verdict_reschedules_and_the_verdict_still_lands() {
    let webex = start(&[ORG], |_| {}).await;
    webex.fake.rate_limit("PUT", "/v1/contents", 1, 1);
    let posted = webex
        .post(ORG, "group", vec![file("cat.png", "image/png", PNG)])
        .await;
    webex.work().await;
    let content = &posted.content_ids[0];
    assert_eq!(webex.verdict(content), None, "rate limited");
    let deadline = Instant::now() + Duration::from_secs(10);
    while webex.verdict(content).is_none() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        webex.work().await;
    }
    assert_eq!(webex.verdict(content), Some(Verdict::Approve));
    assert_eq!(webex.approvals().await.len(), 1, "recorded once");
}

#[tokio::test]
async fn two_organizations_keep_their_tokens_and_secrets_apart() {
    let webex = start(&[ORG, OTHER_ORG], |_| {}).await;
    let a = webex.fake.webhooks(ORG);
    let b = webex.fake.webhooks(OTHER_ORG);
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_ne!(a[0].secret, b[0].secret);
    assert_ne!(
        webex.access_token(ORG).await.expose(),
        webex.access_token(OTHER_ORG).await.expose()
    );
    // A delivery of one org signed with the other org's secret is refused.
    let posted = webex
        .post(OTHER_ORG, "group", vec![file("cat.png", "image/png", PNG)])
        .await;
    webex.work().await;
    let mut delivery = webex
        .fake
        .delivery(OTHER_ORG, &posted.message_id)
        .expect("delivery");
    let body = String::from_utf8(delivery.body.clone())
        .expect("utf-8")
        .replace(OTHER_ORG, ORG)
        .replace(&posted.message_id, "MSG_NEW");
    let secret = Token::new(b[0].secret.clone().unwrap_or_default());
    let signature = leakwall_connectors::webex::sign(&secret, body.as_bytes());
    delivery.body = body.into_bytes();
    for (name, value) in delivery.headers.iter_mut() {
        if name.eq_ignore_ascii_case("x-spark-signature") {
            *value = signature.clone();
        }
    }
    assert_eq!(webex.fake.send_delivery(&delivery).await, Ok(401));
    // Each org's files are judged with its own token: both verdicts land.
    let first = webex
        .post(ORG, "group", vec![file("a.docx", DOCX_TYPE, &docx(CARD))])
        .await;
    let second = webex
        .post(OTHER_ORG, "direct", vec![file("b.png", "image/png", PNG)])
        .await;
    webex.work().await;
    assert_eq!(webex.verdict(&first.content_ids[0]), Some(Verdict::Reject));
    assert_eq!(
        webex.verdict(&second.content_ids[0]),
        Some(Verdict::Approve)
    );
}

#[tokio::test]
async fn message_text_with_a_card_is_recorded_deleted_and_the_author_told() {
    let webex = start(&[ORG], |w| w.delete_messages = true).await;
    let posted = webex
        .post_text(
            ORG,
            "group",
            Some(CARD),
            vec![file("cat.png", "image/png", PNG)],
        )
        .await;
    webex.work().await;
    assert_eq!(
        webex.verdict(&posted.content_ids[0]),
        Some(Verdict::Approve)
    );
    assert!(webex.fake.messages_deleted().contains(&posted.message_id));
    let told = webex.fake.messages_posted();
    assert!(
        told.iter()
            .any(|(to, text)| to == AUTHOR && text.contains("credit_card")),
        "{told:?}"
    );
    let incidents = webex.incidents().await;
    let text: Vec<_> = incidents
        .iter()
        .filter(|i| i["detector"] == "credit_card" && i["file"].is_null())
        .collect();
    assert_eq!(text.len(), 1, "{incidents:?}");
    assert_eq!(text[0]["status"], "resolved");
}

#[tokio::test]
async fn the_first_touch_lands_well_under_a_second_while_workers_are_busy() {
    let webex = start(&[ORG], |_| {}).await;
    // Busy workers: large files are being scanned by a worker of one slot.
    let large = docx(&"lorem ipsum dolor sit amet ".repeat(200_000));
    for _ in 0..3 {
        webex
            .post(ORG, "group", vec![file("big.docx", DOCX_TYPE, &large)])
            .await;
    }
    let state = webex.server.state.clone();
    let queue = Arc::clone(&webex.queue);
    let busy = tokio::spawn(async move {
        let registry = leakwall_server::tasks::shared_registry(&state);
        let mut config = leakwall_server::queue::worker_config(&state.settings.queue);
        config.concurrency = 1;
        let worker = Worker::new(queue, registry, config);
        for _ in 0..10 {
            let _ = worker.tick().await;
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut touches = Vec::new();
    for n in 0..5 {
        let posted = webex
            .post(
                ORG,
                "group",
                vec![file(&format!("p{n}.png"), "image/png", PNG)],
            )
            .await;
        touches.push(posted.content_ids[0].clone());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for content in &touches {
        let touched = webex.fake.file(content).first_touch.expect("touched");
        assert!(touched < Duration::from_millis(500), "{touched:?}");
    }
    busy.abort();
}

/// The chain of the issue: Webex files go through DLP and a real clamd; a file the antivirus
/// catches is rejected and recorded with the signature as the detector, a clean one approved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_with_malware_are_rejected_through_clamd_with_the_signature_recorded() {
    use leakwall_antivirus::testing::{ClamdDaemon, EICAR, PATTERN_SIGNATURE, TEST_PATTERN};
    let clamd = tokio::task::block_in_place(ClamdDaemon::start);
    let url = clamd.tcp_url();
    let webex = start_with(&[ORG], move |config| config.antivirus.clamd = url).await;
    let pattern = docx(&format!("Minutes. {TEST_PATTERN}."));
    let clean = docx("The plan for the quarter.");
    let posted = webex
        .post(
            ORG,
            "group",
            vec![
                file("minutes.docx", DOCX_TYPE, &pattern),
                file("plan.docx", DOCX_TYPE, &clean),
                file("eicar.txt", "text/plain", EICAR),
            ],
        )
        .await;
    webex.work().await;
    let verdicts: Vec<_> = posted
        .content_ids
        .iter()
        .map(|c| webex.verdict(c))
        .collect();
    assert_eq!(
        verdicts,
        [
            Some(Verdict::Reject),
            Some(Verdict::Approve),
            Some(Verdict::Reject)
        ]
    );
    let incidents = webex.incidents().await;
    let minutes: Vec<_> = incidents
        .iter()
        .filter(|i| i["file"] == "minutes.docx")
        .collect();
    assert_eq!(minutes.len(), 1, "{incidents:?}");
    assert_eq!(minutes[0]["detector"], PATTERN_SIGNATURE);
    assert_eq!(minutes[0]["category"], "malware");
    assert_eq!(minutes[0]["source"], "webex");
    assert!(
        incidents
            .iter()
            .any(|i| i["file"] == "eicar.txt" && i["category"] == "malware"),
        "{incidents:?}"
    );
    assert!(!incidents.iter().any(|i| i["file"] == "plan.docx"));
}
