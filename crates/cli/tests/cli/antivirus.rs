//! The antivirus end to end (issue 11): the real `leakwall serve` (embedded store, queue and
//! workers) with `antivirus.clamd` pointing at a real clamd started for the test, Slack files
//! shared through the fake Slack: EICAR is blocked with the signature name, a clean DOCX
//! stays; clamd's health is in `/readyz` and `/metrics`; `virusscan` without clamd stops the
//! process with the key named.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use leakwall_antivirus::testing::{docx, ClamdDaemon, EICAR, EICAR_SIGNATURE};
use leakwall_connectors::fake::{
    envelope, message_event, EventSender, FakeFile, FakeMessage, FakeSlack, FakeToken,
};
use leakwall_connectors::Token;
use serde_json::{json, Value};

use crate::support::{run, tempdir, write};

const SECRET: &str = "av-e2e-secret";
const KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
const BOT: &str = "xoxb-av-e2e-bot";
const ADMIN: &str = "xoxp-av-e2e-admin";
const CHANNEL: &str = "C300";

/// `leakwall serve` on a free port; killed when dropped.
struct Serve {
    child: Child,
    base: String,
    key: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The child is waited for when `Serve` is dropped.
#[allow(clippy::zombie_processes)]
fn start(dir: &Path, yaml: String) -> Serve {
    let config = write(dir, "leakwall.yaml", yaml);
    let db = format!("sqlite://{}", dir.join("av.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakwall"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db,
            "--config",
        ])
        .arg(&config)
        .env("LEAKWALL_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start leakwall serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut key = None;
    while let Some(Ok(line)) = lines.next() {
        // The first `lw_` word is the key; later ones are examples (`Bearer lw_...`).
        if let (None, Some(k)) = (&key, line.split_whitespace().find(|w| w.starts_with("lw_"))) {
            key = Some(k.to_owned());
        }
        if let Some(base) = line.trim().strip_prefix("Leakwall is listening on ") {
            // Keep reading stdout so the server never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            let key = key.expect("the first admin key");
            return Serve {
                child,
                base: base.to_owned(),
                key,
            };
        }
    }
    panic!("leakwall serve exited before listening");
}

async fn get(serve: &Serve, path: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", serve.base))
        .bearer_auth(&serve.key)
        .send()
        .await
        .expect("GET");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_blocks_a_slack_file_with_eicar_through_a_real_clamd() {
    let clamd = tokio::task::block_in_place(ClamdDaemon::start);
    let fake = FakeSlack::start().await.expect("fake Slack");
    fake.add_token(FakeToken::bot(BOT, "UBOT", &["chat:write", "files:read"]));
    fake.add_token(FakeToken::user(ADMIN, "UADMIN", &["chat:write", "files:write"]).admin());
    let dir = tempdir();
    let base = fake.base_url();
    let yaml = format!(
        "slack:\n  signing_secret: {SECRET}\n  token_key: '{KEY}'\n  api_base: {base}/api\n  \
         file_hosts: ['{base}']\n  team: {{id: T1, bot_token: {BOT}, user_token: {ADMIN}}}\n\
         antivirus:\n  clamd: {}\n  pool_size: 2\n",
        clamd.unix_url()
    );
    let serve = start(dir.path(), yaml);
    let (status, ready) = get(&serve, "/readyz").await;
    let ready: Value = serde_json::from_str(&ready).expect("JSON");
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["checks"]["antivirus"]["status"], "ok", "{ready}");

    let sender = EventSender::new(Token::new(SECRET));
    let url = format!("{}/webhooks/slack/events", serve.base);
    for (id, name, ts, bytes) in [
        ("FEICAR", "eicar.com", "1700000000.000001", EICAR.to_vec()),
        (
            "FPLAN",
            "plan.docx",
            "1700000000.000002",
            docx("The plan for the quarter."),
        ),
    ] {
        let download = fake.add_file(FakeFile {
            id: id.into(),
            name: name.into(),
            mimetype: "application/octet-stream".into(),
            user: "UAUTHOR".into(),
            bytes,
        });
        fake.add_message(FakeMessage::new(CHANNEL, ts, "UAUTHOR", "attached"));
        let mut event = message_event(CHANNEL, ts, "UAUTHOR", "attached");
        event["subtype"] = json!("file_share");
        event["files"] = json!([{"id": id, "name": name, "url_private_download": download}]);
        let body = envelope("T1", "A0APP", &format!("Ev{id}"), "UBOT", event);
        assert_eq!(sender.send(&url, &body).await.status, Some(200));
    }

    let started = Instant::now();
    let incident = loop {
        let (_, body) = get(&serve, "/api/incidents?category=malware").await;
        let body: Value = serde_json::from_str(&body).expect("JSON");
        if let Some(found) = body["items"].as_array().and_then(|i| i.first()).cloned() {
            break found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no malware incident: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(incident["detector"], EICAR_SIGNATURE);
    assert_eq!(
        (&incident["file"], &incident["action"]),
        (&json!("eicar.com"), &json!("block"))
    );
    assert!(!fake.has_file("FEICAR"), "the file is deleted");
    let wait = Instant::now();
    while fake.calls_to("files.download").len() < 2 && wait.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(fake.has_file("FPLAN"), "the clean file stays");

    let (_, metrics) = get(&serve, "/metrics").await;
    let up = format!("leakwall_antivirus_up{{clamd=\"{}\"}} 1", clamd.unix_url());
    assert!(metrics.contains(&up), "{metrics}");
    assert!(
        metrics.contains("leakwall_antivirus_scans_total{result=\"infected\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("leakwall_antivirus_scans_total{result=\"clean\"} 1"),
        "{metrics}"
    );
}

#[test]
fn virusscan_without_clamd_stops_serve_naming_the_key() {
    let dir = tempdir();
    let config = write(
        dir.path(),
        "c.yaml",
        "postprocessing: {steps: [policies, dlp, virusscan]}\n",
    );
    let db = format!("sqlite://{}", dir.path().join("x.db").display());
    let out = run(
        dir.path(),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db,
            "--config",
            config.to_str().expect("path"),
        ],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("antivirus.clamd"), "{}", out.stderr);
}
