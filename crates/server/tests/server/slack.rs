//! Slack (issue 5) through the server, against the connectors crate's fake Slack: the webhook's
//! refusals enqueue nothing, retries are dropped, the `slack_event` task blocks (delete with the
//! admin's user token, notice, private note) or falls back to notices, a 429 reschedules the
//! task, edits and deletions are followed, and the install flow stores tokens sealed.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use http_body_util::BodyExt;
use leakwall_connectors::fake::{
    envelope, message_event, FakeFile, FakeGrant, FakeMessage, FakeSlack, FakeToken, TokenKind,
};
use leakwall_connectors::slack::sign;
use leakwall_connectors::Token;
use leakwall_queue::embedded::EmbeddedQueue;
use leakwall_queue::postgres::PostgresQueue;
use leakwall_queue::worker::Worker;
use leakwall_queue::Queue;
use leakwall_server::slack::{SlackConfig, StaticTeam};
use leakwall_server::Config;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::both;
use crate::support::{Db, TestServer};

const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const TEAM: &str = "T1";
const APP: &str = "A0OURAPP";
const BOT: &str = "xoxb-static-bot-token";
const ADMIN: &str = "xoxp-static-admin-token";
const MEMBER: &str = "xoxp-static-member-token";
const BOT_USER: &str = "UBOT";
const AUTHOR: &str = "UAUTHOR";
const CHANNEL: &str = "C100";
const LEAK_TS: &str = "1699999999.000100";
const CARD: &str = "my card is 4111 1111 1111 1111";
const EVENTS: &str = "/webhooks/slack/events";

struct Slack {
    server: TestServer,
    queue: Arc<dyn Queue>,
    fake: FakeSlack,
}

/// Which tokens the hand-configured workspace has.
#[derive(Clone, Copy, PartialEq)]
enum Install {
    BotAndAdmin,
    BotOnly,
    /// A user token of a member who is not an admin: Slack refuses to delete others' messages.
    BotAndMember,
    /// No static workspace; the OAuth flow is configured.
    OAuth,
}

fn key() -> String {
    base64::engine::general_purpose::STANDARD.encode([42u8; 32])
}

async fn fake() -> FakeSlack {
    let fake = FakeSlack::start().await.expect("fake Slack");
    fake.add_token(FakeToken::bot(BOT, BOT_USER, &["chat:write", "files:read"]));
    fake.add_token(FakeToken::user(ADMIN, "UADMIN", &["chat:write", "files:write"]).admin());
    fake.add_token(FakeToken::user(
        MEMBER,
        "UMEMBER",
        &["chat:write", "files:write"],
    ));
    fake.add_message(FakeMessage::new(CHANNEL, LEAK_TS, AUTHOR, CARD));
    fake
}

fn config(fake: &FakeSlack, install: Install) -> Config {
    let base = fake.base_url();
    let team = (install != Install::OAuth).then(|| StaticTeam {
        id: TEAM.into(),
        bot_token: Token::new(BOT),
        user_token: match install {
            Install::BotAndAdmin => Some(Token::new(ADMIN)),
            Install::BotAndMember => Some(Token::new(MEMBER)),
            _ => None,
        },
    });
    let oauth = install == Install::OAuth;
    let slack = SlackConfig {
        signing_secret: Some(Token::new(SECRET)),
        token_key: Some(Token::new(key())),
        api_base: format!("{base}/api"),
        file_hosts: vec![base.clone()],
        authorize_url: format!("{base}/oauth/v2/authorize"),
        client_id: if oauth { "CID".into() } else { String::new() },
        client_secret: oauth.then(|| Token::new("CSECRET")),
        redirect_uri: "http://127.0.0.1/oauth/slack/callback".into(),
        max_body_bytes: 64 * 1024,
        team,
        ..SlackConfig::default()
    };
    Config {
        slack,
        ..Config::default()
    }
}

async fn start(db: Db, install: Install) -> Option<Slack> {
    let fake = fake().await;
    let mut server = TestServer::start(db, config(&fake, install)).await?;
    let url = server.state.settings.database_url.clone();
    let queue: Arc<dyn Queue> = match db {
        Db::Sqlite => Arc::new(EmbeddedQueue::open(&url, "tasks").await.expect("queue")),
        Db::Postgres => Arc::new(PostgresQueue::open(&url, "tasks").await.expect("queue")),
    };
    server.state = server.state.clone().with_queue(Arc::clone(&queue));
    Some(Slack {
        server,
        queue,
        fake,
    })
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

impl Slack {
    /// POSTs `body` signed at `timestamp` with `secret`.
    async fn post_signed(&self, body: &[u8], timestamp: i64, secret: &str) -> (StatusCode, Value) {
        let signature = sign(&Token::new(secret), timestamp, body);
        let ts = timestamp.to_string();
        let headers = [
            ("x-slack-signature", signature.as_str()),
            ("x-slack-request-timestamp", ts.as_str()),
        ];
        let body = String::from_utf8(body.to_vec()).expect("utf-8 body");
        self.server
            .call("POST", EVENTS, &headers, Some(&body))
            .await
    }

    async fn post(&self, body: &[u8]) -> (StatusCode, Value) {
        self.post_signed(body, now(), SECRET).await
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
}

fn message(event_id: &str, text: &str) -> Vec<u8> {
    envelope(
        TEAM,
        APP,
        event_id,
        BOT_USER,
        message_event(CHANNEL, LEAK_TS, AUTHOR, text),
    )
}

async fn refusals_enqueue_nothing(db: Db) {
    let Some(slack) = start(db, Install::BotAndAdmin).await else {
        return;
    };
    let body = message("Ev1", CARD);
    let (status, _) = slack.post_signed(&body, now(), "not-the-secret").await;
    assert_eq!(status, 401, "forged signature");
    let (status, _) = slack.post_signed(&body, now() - 301, SECRET).await;
    assert_eq!(status, 401, "timestamp 301 s old");
    let mut changed = body.clone();
    let at = changed.len() - 3;
    changed[at] ^= 1;
    let signature = sign(&Token::new(SECRET), now(), &body);
    let ts = now().to_string();
    let headers = [
        ("x-slack-signature", signature.as_str()),
        ("x-slack-request-timestamp", ts.as_str()),
    ];
    let changed = String::from_utf8(changed).expect("utf-8");
    let (status, _) = slack
        .server
        .call("POST", EVENTS, &headers, Some(&changed))
        .await;
    assert_eq!(status, 401, "one byte changed");
    let (status, _) = slack.server.call("POST", EVENTS, &[], Some("{}")).await;
    assert_eq!(status, 401, "no signature at all");
    let (status, _) = slack.post(b"{\"type\": \"event_callback\", ").await;
    assert_eq!(status, 400, "malformed JSON");
    let (status, _) = slack.post(br#"{"type": "event_callback"}"#).await;
    assert_eq!(status, 400, "an envelope without its fields");
    let huge = format!(
        "{{\"type\":\"event_callback\",\"pad\":\"{}\"}}",
        "x".repeat(70 * 1024)
    );
    let (status, _) = slack.post(huge.as_bytes()).await;
    assert_eq!(status, 413, "a body over slack.max_body_bytes");
    assert_eq!(slack.ready().await, 0, "nothing enqueued");
    assert!(slack.fake.calls().is_empty());
    slack.server.finish().await;
}
both!(refusals_enqueue_nothing);

#[tokio::test]
async fn the_url_verification_challenge_is_answered() {
    let slack = start(Db::Sqlite, Install::BotOnly).await.expect("server");
    let body = br#"{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let (status, answer) = slack.post(body).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer["challenge"],
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
    let (status, _) = slack.post_signed(body, now(), "wrong").await;
    assert_eq!(status, 401, "the challenge too is verified first");
    assert_eq!(slack.ready().await, 0);
}

async fn retries_are_enqueued_once(db: Db) {
    let Some(slack) = start(db, Install::BotAndAdmin).await else {
        return;
    };
    for _ in 0..3 {
        let (status, _) = slack.post(&message("EvRetried", CARD)).await;
        assert_eq!(status, 200);
    }
    assert_eq!(slack.ready().await, 1, "one task for three deliveries");
    let (status, _) = slack.post(&message("EvOther", CARD)).await;
    assert_eq!(status, 200);
    assert_eq!(slack.ready().await, 2, "another event id is another task");
    slack.server.finish().await;
}
both!(retries_are_enqueued_once);

#[tokio::test]
async fn our_own_messages_and_rate_limit_notices_enqueue_nothing() {
    let slack = start(Db::Sqlite, Install::BotAndAdmin)
        .await
        .expect("server");
    let own = envelope(
        TEAM,
        APP,
        "EvOwn",
        BOT_USER,
        message_event(CHANNEL, "1700000000.000001", BOT_USER, CARD),
    );
    let (status, _) = slack.post(&own).await;
    assert_eq!(status, 200);
    let mut own_app = message_event(CHANNEL, "1700000000.000002", "UOTHER", CARD);
    own_app["bot_id"] = json!("B1");
    own_app["app_id"] = json!(APP);
    let (status, _) = slack
        .post(&envelope(TEAM, APP, "EvOwnApp", BOT_USER, own_app))
        .await;
    assert_eq!(status, 200);
    let limited = json!({"token": "t", "type": "app_rate_limited", "team_id": TEAM,
        "minute_rate_limited": 1_518_467_820, "api_app_id": APP});
    let (status, _) = slack.post(limited.to_string().as_bytes()).await;
    assert_eq!(status, 200);
    assert_eq!(slack.ready().await, 0);
    let (_, metrics) = slack.server.call("GET", "/metrics", &[], None).await;
    let metrics = metrics.as_str().unwrap_or_default().to_owned();
    assert!(
        metrics.contains("leakwall_slack_app_rate_limited_total"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_card_number_is_deleted_noticed_and_recorded() {
    let slack = start(Db::Sqlite, Install::BotAndAdmin)
        .await
        .expect("server");
    let (status, _) = slack.post(&message("EvCard", CARD)).await;
    assert_eq!(status, 200);
    assert_eq!(slack.work().await, 1);

    assert!(slack.fake.message(CHANNEL, LEAK_TS).is_none(), "deleted");
    let deletes = slack.fake.calls_to("chat.delete");
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].token, Some(TokenKind::User), "the admin's token");
    let notices: Vec<_> = slack
        .fake
        .messages(CHANNEL)
        .into_iter()
        .filter(|m| m.user == BOT_USER)
        .collect();
    assert_eq!(notices.len(), 1, "one notice in the channel");
    assert_eq!(
        notices[0].text,
        "A message from <@UAUTHOR> was blocked by Leakwall: it contained credit_card"
    );
    let private = slack.fake.calls_to("chat.postEphemeral");
    assert_eq!(private.len(), 1);
    assert_eq!(private[0].params["user"], AUTHOR);
    assert!(private[0].params["text"].contains("credit_card"));

    let incidents = slack.incidents().await;
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    let i = &incidents[0];
    assert_eq!(i["source"], "slack");
    assert_eq!(i["channel"], CHANNEL);
    assert_eq!(i["author"], AUTHOR);
    assert_eq!(i["message"], LEAK_TS);
    assert_eq!(i["detector"], "credit_card");
    assert_eq!(i["action"], "block");
    assert_eq!(i["outcome"], "removed; notice posted");
    assert!(!i.to_string().contains("4111 1111 1111 1111"), "{i}");
}

#[tokio::test]
async fn without_a_user_token_the_leak_stays_visible_and_is_recorded_so() {
    let slack = start(Db::Sqlite, Install::BotOnly).await.expect("server");
    slack.post(&message("EvBotOnly", CARD)).await;
    assert_eq!(slack.work().await, 1);
    assert!(
        slack.fake.message(CHANNEL, LEAK_TS).is_some(),
        "a bot token cannot delete"
    );
    assert_eq!(slack.fake.calls_to("chat.postMessage").len(), 1);
    assert_eq!(slack.fake.calls_to("chat.postEphemeral").len(), 1);
    let incidents = slack.incidents().await;
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0]["action"], "block");
    assert_eq!(incidents[0]["status"], "open");
    let outcome = incidents[0]["outcome"].as_str().unwrap_or_default();
    assert!(outcome.starts_with("leak stayed visible"), "{outcome}");
}

#[tokio::test]
async fn a_rate_limit_reschedules_the_task_instead_of_sleeping() {
    let slack = start(Db::Sqlite, Install::BotAndAdmin)
        .await
        .expect("server");
    slack.fake.rate_limit("chat.delete", 1, 2);
    slack.post(&message("EvLimited", CARD)).await;
    let started = Instant::now();
    assert_eq!(slack.work().await, 1);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "the worker did not wait out Retry-After: {:?}",
        started.elapsed()
    );
    let stats = slack.queue.stats().await.expect("stats");
    assert_eq!(
        (stats.ready, stats.delayed, stats.dead),
        (0, 1, 0),
        "{stats:?}"
    );
    assert!(slack.incidents().await.is_empty(), "not decided yet");
    assert!(slack.fake.message(CHANNEL, LEAK_TS).is_some());

    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(slack.work().await, 1, "the rescheduled task runs once due");
    assert!(slack.fake.message(CHANNEL, LEAK_TS).is_none());
    let incidents = slack.incidents().await;
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0]["outcome"], "removed; notice posted");
    assert_eq!(slack.fake.calls_to("chat.delete").len(), 2);
}

#[tokio::test]
async fn an_edit_that_adds_a_secret_is_caught() {
    let slack = start(Db::Sqlite, Install::BotAndAdmin)
        .await
        .expect("server");
    let edit = json!({
        "type": "message", "subtype": "message_changed", "hidden": true,
        "channel": CHANNEL, "channel_type": "channel", "ts": "1700000001.000001",
        "event_ts": "1700000001.000001",
        "message": {"type": "message", "user": AUTHOR, "text": CARD, "ts": LEAK_TS,
                    "edited": {"user": AUTHOR, "ts": "1700000001.000000"}},
        "previous_message": {"type": "message", "user": AUTHOR, "text": "see below",
                             "ts": LEAK_TS},
    });
    slack
        .post(&envelope(TEAM, APP, "EvEdit", BOT_USER, edit))
        .await;
    assert_eq!(slack.work().await, 1);
    assert!(
        slack.fake.message(CHANNEL, LEAK_TS).is_none(),
        "the edited message is deleted"
    );
    let incidents = slack.incidents().await;
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0]["message"], LEAK_TS);
    assert_eq!(incidents[0]["detector"], "credit_card");
}

#[tokio::test]
async fn a_deleted_message_resolves_its_open_incidents() {
    let slack = start(Db::Sqlite, Install::BotOnly).await.expect("server");
    slack.post(&message("EvLeak", CARD)).await;
    slack.work().await;
    assert_eq!(slack.incidents().await[0]["status"], "open");
    let deleted = json!({
        "type": "message", "subtype": "message_deleted", "hidden": true,
        "channel": CHANNEL, "channel_type": "channel", "ts": "1700000002.000001",
        "deleted_ts": LEAK_TS, "event_ts": "1700000002.000001",
        "previous_message": {"type": "message", "user": AUTHOR, "text": CARD, "ts": LEAK_TS},
    });
    slack
        .post(&envelope(TEAM, APP, "EvDeleted", BOT_USER, deleted))
        .await;
    assert_eq!(slack.work().await, 1);
    let incidents = slack.incidents().await;
    assert_eq!(incidents.len(), 1, "closing records nothing new");
    assert_eq!(incidents[0]["status"], "resolved");
    let outcome = incidents[0]["outcome"].as_str().unwrap_or_default();
    assert!(outcome.ends_with("; message deleted"), "{outcome}");
}

#[tokio::test]
async fn a_shared_file_with_a_key_is_caught_and_deleted() {
    let slack = start(Db::Sqlite, Install::BotAndAdmin)
        .await
        .expect("server");
    let url = slack.fake.add_file(FakeFile {
        id: "F1".into(),
        name: "deploy.txt".into(),
        mimetype: "text/plain".into(),
        user: AUTHOR.into(),
        bytes: b"aws_access_key_id = AKIAIOSFODNN7EXAMPLQ\n".to_vec(),
    });
    let mut event = message_event(CHANNEL, LEAK_TS, AUTHOR, "here is the config");
    event["subtype"] = json!("file_share");
    event["files"] = json!([{"id": "F1", "name": "deploy.txt", "mimetype": "text/plain",
        "size": 41, "url_private_download": url}]);
    slack
        .post(&envelope(TEAM, APP, "EvFile", BOT_USER, event))
        .await;
    assert_eq!(slack.work().await, 1);
    let downloads = slack.fake.calls_to("files.download");
    assert_eq!(downloads.len(), 1);
    assert_eq!(downloads[0].token, Some(TokenKind::Bot));
    assert!(!slack.fake.has_file("F1"), "the file is deleted");
    let incidents = slack.incidents().await;
    assert!(!incidents.is_empty());
    assert!(
        incidents.iter().all(|i| i["file"] == "deploy.txt"),
        "{incidents:?}"
    );
    assert!(
        incidents.iter().any(|i| i["category"] == "credential"),
        "{incidents:?}"
    );
}

#[tokio::test]
async fn a_file_over_the_limit_is_unscannable_not_clean() {
    let fake = fake().await;
    let mut config = config(&fake, Install::BotOnly);
    config.slack.max_file_bytes = 1024;
    let mut server = TestServer::start(Db::Sqlite, config).await.expect("server");
    let url = server.state.settings.database_url.clone();
    let queue: Arc<dyn Queue> = Arc::new(EmbeddedQueue::open(&url, "tasks").await.expect("q"));
    server.state = server.state.clone().with_queue(Arc::clone(&queue));
    let slack = Slack {
        server,
        queue,
        fake,
    };
    let url = slack.fake.add_file(FakeFile {
        id: "FBIG".into(),
        name: "big.bin".into(),
        mimetype: "application/octet-stream".into(),
        user: AUTHOR.into(),
        bytes: vec![b'x'; 4096],
    });
    let mut event = message_event(CHANNEL, LEAK_TS, AUTHOR, "");
    event["subtype"] = json!("file_share");
    event["files"] = json!([{"id": "FBIG", "name": "big.bin", "url_private_download": url}]);
    slack
        .post(&envelope(TEAM, APP, "EvBig", BOT_USER, event))
        .await;
    assert_eq!(slack.work().await, 1);
    let incidents = slack.incidents().await;
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0]["detector"], "unscannable");
    assert_eq!(incidents[0]["file"], "big.bin");
}

/// Sends a GET through the router and returns the status, the `Location` and the body.
async fn get(server: &TestServer, path: &str) -> (StatusCode, Option<String>, Value) {
    let app = leakwall_server::routes::router(server.state.clone()).layer(MockConnectInfo(
        "127.0.0.1:40000"
            .parse::<std::net::SocketAddr>()
            .expect("peer"),
    ));
    let request = Request::get(path).body(Body::empty()).expect("request");
    let response = app.oneshot(request).await.expect("response");
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, location, body)
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

async fn install_flow_stores_tokens_sealed(db: Db) {
    let Some(slack) = start(db, Install::OAuth).await else {
        return;
    };
    let (bot, user) = (
        "xoxb-installed-bot-0123456789",
        "xoxp-installed-admin-0123456789",
    );
    slack.fake.set_oauth_client("CID", "CSECRET");
    slack.fake.add_oauth_code(
        "code-1",
        FakeGrant {
            redirect_uri: "http://127.0.0.1/oauth/slack/callback".into(),
            team_id: TEAM.into(),
            team_name: "Acme".into(),
            bot: FakeToken::bot(bot, BOT_USER, &["chat:write", "files:read"]),
            user: Some(FakeToken::user(user, "UADMIN", &["chat:write", "files:write"]).admin()),
        },
    );
    let (status, location, _) = get(&slack.server, "/oauth/slack/install").await;
    assert_eq!(status, 302);
    let location = location.expect("a redirect");
    assert!(location.starts_with(&format!("{}/oauth/v2/authorize?", slack.fake.base_url())));
    assert_eq!(query_param(&location, "client_id").as_deref(), Some("CID"));
    assert!(query_param(&location, "user_scope").is_some_and(|s| s.contains("chat:write")));
    let state = query_param(&location, "state").expect("a state");

    let (status, _, body) = get(
        &slack.server,
        "/oauth/slack/callback?code=code-1&state=forged",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let signer = &slack
        .server
        .state
        .settings
        .slack
        .as_ref()
        .expect("slack")
        .states;
    let old = signer
        .issue(
            SystemTime::now() - Duration::from_secs(3600),
            Duration::from_secs(600),
        )
        .expect("state");
    let path = format!("/oauth/slack/callback?code=code-1&state={old}");
    let (status, _, body) = get(&slack.server, &path).await;
    assert_eq!(status, 400, "an expired state: {body}");
    assert!(slack
        .server
        .store
        .installation("slack", TEAM)
        .await
        .expect("read")
        .is_none());

    let enc = percent_encoding::utf8_percent_encode(&state, percent_encoding::NON_ALPHANUMERIC);
    let path = format!("/oauth/slack/callback?code=code-1&state={enc}");
    let (status, _, body) = get(&slack.server, &path).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["team"]["id"], TEAM);
    assert_eq!(body["user_token"], true);
    assert!(!body.to_string().contains("xox"), "{body}");
    let (status, _, _) = get(&slack.server, &path).await;
    assert_eq!(status, 400, "a state is used once");

    let stored = slack
        .server
        .store
        .installation("slack", TEAM)
        .await
        .expect("read")
        .expect("installed");
    assert!(!stored.bot_token.contains("xox"));
    assert!(stored
        .user_token
        .as_deref()
        .is_some_and(|t| !t.contains("xox")));
    if let Db::Sqlite = db {
        let url = &slack.server.state.settings.database_url;
        let path = url.trim_start_matches("sqlite://");
        for file in [path.to_owned(), format!("{path}-wal")] {
            let bytes = std::fs::read(&file).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(bot) && !text.contains(user),
                "{file} holds a raw token"
            );
        }
    }

    // The installed workspace is served: the stored admin token deletes, the bot notices.
    slack.post(&message("EvInstalled", CARD)).await;
    assert_eq!(slack.work().await, 1);
    assert!(slack.fake.message(CHANNEL, LEAK_TS).is_none());
    let deletes = slack.fake.calls_to("chat.delete");
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].token, Some(TokenKind::User));
    slack.server.finish().await;
}
both!(install_flow_stores_tokens_sealed);

#[tokio::test]
async fn an_event_of_an_unknown_workspace_is_dead_lettered_not_retried() {
    let slack = start(Db::Sqlite, Install::OAuth).await.expect("server");
    slack.post(&message("EvNobody", CARD)).await;
    assert_eq!(slack.work().await, 1);
    let stats = slack.queue.stats().await.expect("stats");
    assert_eq!(stats.dead, 1, "{stats:?}");
    assert!(slack.fake.calls().is_empty());
}

#[test]
fn slack_settings_need_a_valid_token_key() {
    let yaml = |extra: &str| format!("slack: {{signing_secret: s3cret{extra}}}");
    let err = serde_yaml::from_str::<Config>(&yaml(""))
        .expect("yaml")
        .validate()
        .expect_err("no key");
    assert!(err.to_string().contains("slack.token_key"), "{err}");
    let err = serde_yaml::from_str::<Config>(&yaml(", token_key: c2hvcnQ="))
        .expect("yaml")
        .validate()
        .expect_err("short key");
    assert!(err.to_string().contains("slack.token_key"), "{err}");
    let good = serde_yaml::from_str::<Config>(&yaml(&format!(", token_key: '{}'", key())))
        .expect("yaml")
        .validate()
        .expect("valid");
    assert!(good.slack.is_some());
    let debug = format!("{:?}", good.slack);
    assert!(
        !debug.contains("s3cret") && !debug.contains(&key()),
        "{debug}"
    );
    let off = Config::default().validate().expect("valid");
    assert!(off.slack.is_none(), "Slack is off without a signing secret");
}

#[tokio::test]
async fn a_file_announced_twice_is_scanned_and_acted_on_once() {
    let slack = start(Db::Sqlite, Install::BotAndAdmin)
        .await
        .expect("server");
    let url = slack.fake.add_file(FakeFile {
        id: "F2".into(),
        name: "keys.txt".into(),
        mimetype: "text/plain".into(),
        user: AUTHOR.into(),
        bytes: b"aws_access_key_id = AKIAIOSFODNN7EXAMPLQ\n".to_vec(),
    });
    let shared = json!({"type": "file_shared", "channel_id": CHANNEL, "file_id": "F2",
        "user_id": AUTHOR, "file": {"id": "F2"}, "event_ts": "1700000003.000001"});
    slack
        .post(&envelope(TEAM, APP, "EvShared", BOT_USER, shared))
        .await;
    let mut event = message_event(CHANNEL, LEAK_TS, AUTHOR, "");
    event["subtype"] = json!("file_share");
    event["files"] = json!([{"id": "F2", "name": "keys.txt", "url_private_download": url}]);
    slack
        .post(&envelope(TEAM, APP, "EvFileShare", BOT_USER, event))
        .await;
    assert_eq!(slack.ready().await, 2, "two events, two tasks");
    assert_eq!(slack.work().await, 2);
    assert_eq!(
        slack.fake.calls_to("files.download").len(),
        1,
        "downloaded once"
    );
    assert_eq!(
        slack.fake.calls_to("chat.postMessage").len(),
        1,
        "one notice"
    );
    assert!(!slack.fake.has_file("F2"));
    let incidents = slack.incidents().await;
    let keys: Vec<_> = incidents
        .iter()
        .filter(|i| i["file"] == "keys.txt")
        .collect();
    assert!(!keys.is_empty(), "{incidents:?}");
    let detectors: std::collections::BTreeSet<_> =
        keys.iter().map(|i| i["detector"].to_string()).collect();
    assert_eq!(
        detectors.len(),
        keys.len(),
        "each finding recorded once: {keys:?}"
    );
}

#[tokio::test]
async fn a_refused_deletion_is_recorded_and_not_retried() {
    let slack = start(Db::Sqlite, Install::BotAndMember)
        .await
        .expect("server");
    slack.post(&message("EvRefused", CARD)).await;
    assert_eq!(slack.work().await, 1);
    assert!(slack.fake.message(CHANNEL, LEAK_TS).is_some());
    assert_eq!(slack.fake.calls_to("chat.delete").len(), 1, "tried once");
    assert_eq!(
        slack.fake.calls_to("chat.postMessage").len(),
        1,
        "the notice still"
    );
    let stats = slack.queue.stats().await.expect("stats");
    assert_eq!(
        (stats.ready, stats.delayed, stats.dead),
        (0, 0, 0),
        "{stats:?}"
    );
    let incidents = slack.incidents().await;
    assert_eq!(incidents.len(), 1);
    let outcome = incidents[0]["outcome"].as_str().unwrap_or_default();
    assert!(
        outcome.starts_with("leak stayed visible") && outcome.contains("cant_delete_message"),
        "{outcome}"
    );
}
