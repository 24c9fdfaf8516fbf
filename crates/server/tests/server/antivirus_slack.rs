//! Slack files through the scanner chain (DLP and a real clamd): EICAR and the DOCX test
//! pattern are blocked (file deleted, notice, incident with the signature name), a clean file
//! passes, and with clamd stopped the task waits (fail mode `closed`) and blocks once clamd is
//! back.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use leakwall_antivirus::testing::{
    docx, ClamdDaemon, EICAR, EICAR_SIGNATURE, PATTERN_SIGNATURE, TEST_PATTERN,
};
use leakwall_connectors::fake::{
    envelope, message_event, FakeFile, FakeMessage, FakeSlack, FakeToken,
};
use leakwall_connectors::slack::sign;
use leakwall_connectors::Token;
use leakwall_queue::embedded::EmbeddedQueue;
use leakwall_queue::worker::Worker;
use leakwall_queue::Queue;
use leakwall_server::slack::{SlackConfig, StaticTeam};
use leakwall_server::Config;
use serde_json::{json, Value};

use crate::support::{Db, TestServer};

const SECRET: &str = "antivirus-signing-secret";
const TEAM: &str = "T1";
const BOT: &str = "xoxb-av-bot";
const ADMIN: &str = "xoxp-av-admin";
const AUTHOR: &str = "UAUTHOR";
const CHANNEL: &str = "C200";

struct Workspace {
    server: TestServer,
    queue: Arc<dyn Queue>,
    worker: Worker,
    fake: FakeSlack,
}

async fn workspace(clamd: &ClamdDaemon) -> Workspace {
    let fake = FakeSlack::start().await.expect("fake Slack");
    fake.add_token(FakeToken::bot(BOT, "UBOT", &["chat:write", "files:read"]));
    fake.add_token(FakeToken::user(ADMIN, "UADMIN", &["chat:write", "files:write"]).admin());
    let base = fake.base_url();
    let mut config = Config {
        slack: SlackConfig {
            signing_secret: Some(Token::new(SECRET)),
            token_key: Some(Token::new("KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=")),
            api_base: format!("{base}/api"),
            file_hosts: vec![base.clone()],
            team: Some(StaticTeam {
                id: TEAM.into(),
                bot_token: Token::new(BOT),
                user_token: Some(Token::new(ADMIN)),
            }),
            ..SlackConfig::default()
        },
        ..Config::default()
    };
    config.antivirus.clamd = clamd.tcp_url();
    // Attempts to spare: a task waiting for clamd must not reach its last attempt in a test.
    config.queue.max_attempts = 50;
    let mut server = TestServer::start(Db::Sqlite, config).await.expect("server");
    let url = server.state.settings.database_url.clone();
    let queue: Arc<dyn Queue> = Arc::new(EmbeddedQueue::open(&url, "tasks").await.unwrap());
    server.state = server.state.clone().with_queue(Arc::clone(&queue));
    let registry = leakwall_server::tasks::shared_registry(&server.state);
    let mut worker_config = leakwall_server::queue::worker_config(&server.state.settings.queue);
    worker_config.backoff_base = Duration::from_millis(100);
    worker_config.backoff_max = Duration::from_millis(200);
    let worker = Worker::new(Arc::clone(&queue), registry, worker_config);
    Workspace {
        server,
        queue,
        worker,
        fake,
    }
}

impl Workspace {
    /// Shares `bytes` as file `id` in a message `ts`, through a signed event delivery.
    async fn share(&self, id: &str, name: &str, ts: &str, bytes: Vec<u8>) {
        self.fake
            .add_message(FakeMessage::new(CHANNEL, ts, AUTHOR, "see attached"));
        let url = self.fake.add_file(FakeFile {
            id: id.into(),
            name: name.into(),
            mimetype: "application/octet-stream".into(),
            user: AUTHOR.into(),
            bytes,
        });
        let mut event = message_event(CHANNEL, ts, AUTHOR, "see attached");
        event["subtype"] = json!("file_share");
        event["files"] = json!([{"id": id, "name": name, "url_private_download": url}]);
        let body = envelope(TEAM, "A0APP", &format!("Ev{id}"), "UBOT", event);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let signature = sign(&Token::new(SECRET), now, &body);
        let headers = [
            ("x-slack-signature", signature.as_str()),
            ("x-slack-request-timestamp", &now.to_string()),
        ];
        let body = String::from_utf8(body).unwrap();
        let (status, answer) = self
            .server
            .call("POST", "/webhooks/slack/events", &headers, Some(&body))
            .await;
        assert_eq!(status, 200, "{answer}");
    }

    async fn work(&self) {
        for _ in 0..10 {
            if self.worker.tick().await.expect("tick") == 0 {
                break;
            }
        }
    }

    async fn incidents(&self, file: &str) -> Vec<Value> {
        let condition = leakwall_store::Condition {
            field: "file".into(),
            op: leakwall_store::Op::Eq,
            value: file.into(),
        };
        let page = leakwall_store::Page::default();
        let listed = self
            .server
            .store
            .list(&leakwall_store::INCIDENTS, &None, &[condition], &page)
            .await
            .expect("incidents");
        listed.items.into_iter().map(Value::Object).collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_files_go_through_dlp_and_the_antivirus() {
    let clamd = tokio::task::block_in_place(ClamdDaemon::start);
    let slack = workspace(&clamd).await;
    slack
        .share("FE", "eicar.com", "1700000000.000001", EICAR.to_vec())
        .await;
    let report = docx(&format!("Minutes. {TEST_PATTERN}."));
    slack
        .share("FD", "minutes.docx", "1700000000.000002", report)
        .await;
    slack
        .share("FC", "plan.docx", "1700000000.000003", docx("The plan."))
        .await;
    slack.work().await;

    for (id, name, signature) in [
        ("FE", "eicar.com", EICAR_SIGNATURE),
        ("FD", "minutes.docx", PATTERN_SIGNATURE),
    ] {
        assert!(!slack.fake.has_file(id), "{name} is deleted");
        let incidents = slack.incidents(name).await;
        assert_eq!(incidents.len(), 1, "{incidents:?}");
        let i = &incidents[0];
        assert_eq!(
            (&i["detector"], &i["category"]),
            (&json!(signature), &json!("malware"))
        );
        assert_eq!(
            (&i["action"], &i["source"]),
            (&json!("block"), &json!("slack"))
        );
    }
    assert!(slack.fake.has_file("FC"), "the clean file stays");
    assert!(slack.incidents("plan.docx").await.is_empty());
    let notices = slack.fake.calls_to("chat.postMessage");
    assert!(
        notices
            .iter()
            .any(|c| c.params["text"].contains(EICAR_SIGNATURE)),
        "the notice names the signature"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_clamd_down_a_slack_file_waits_then_is_blocked_when_it_is_back() {
    let mut clamd = tokio::task::block_in_place(ClamdDaemon::start);
    let slack = workspace(&clamd).await;
    tokio::task::block_in_place(|| clamd.stop());
    slack
        .share("FW", "eicar.txt", "1700000000.000009", EICAR.to_vec())
        .await;
    slack.work().await;
    assert!(slack.fake.has_file("FW"), "not decided while clamd is down");
    assert!(slack.incidents("eicar.txt").await.is_empty());
    let stats = slack.queue.stats().await.expect("stats");
    assert_eq!(
        (stats.dead, stats.ready + stats.delayed),
        (0, 1),
        "the task waits: {stats:?}"
    );

    tokio::task::block_in_place(|| clamd.restart());
    tokio::time::sleep(Duration::from_millis(300)).await;
    slack.work().await;
    assert!(!slack.fake.has_file("FW"), "blocked once clamd answers");
    let incidents = slack.incidents("eicar.txt").await;
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0]["detector"], EICAR_SIGNATURE);
}
