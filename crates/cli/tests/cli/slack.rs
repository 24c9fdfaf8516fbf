//! Slack end to end (issue 5): the real `leakwall serve` (embedded store, queue and workers)
//! configured for one workspace against the fake Slack of the connectors crate, fed signed
//! Events API deliveries as Slack sends them.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use leakwall_connectors::fake::{
    envelope, message_event, EventSender, FakeFile, FakeMessage, FakeSlack, FakeToken, TokenKind,
};
use leakwall_connectors::Token;
use serde_json::{json, Value};

use crate::support::{tempdir, write, CARD};

const SECRET: &str = "e2e-signing-secret";
const KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
const TEAM: &str = "T1";
const APP: &str = "A0OURAPP";
const BOT: &str = "xoxb-e2e-bot";
const ADMIN: &str = "xoxp-e2e-admin";
const BOT_USER: &str = "UBOT";
const AUTHOR: &str = "UAUTHOR";
const CHANNEL: &str = "C100";
const LEAK_TS: &str = "1699999999.000100";
const DOCX_TS: &str = "1699999999.000200";

/// A running `leakwall serve`; killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
    pub(crate) key: String,
    _stdout: BufReader<ChildStdout>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `leakwall serve` on a free port (or the `--listen` of `extra`) and waits until it
/// listens.
#[allow(clippy::zombie_processes)]
pub(crate) fn serve(dir: &Path, config: &Path, extra: &[&str]) -> Server {
    let db = format!("sqlite://{}", dir.join("leakwall.db").display());
    let config = config.to_str().expect("path");
    let mut args = vec!["serve", "--database", &db, "--config", config];
    if !extra.contains(&"--listen") {
        args.extend_from_slice(&["--listen", "127.0.0.1:0"]);
    }
    args.extend_from_slice(extra);
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakwall"))
        .args(args)
        .current_dir(dir)
        .env("LEAKWALL_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start leakwall serve");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut printed = String::new();
    loop {
        let mut line = String::new();
        let n = stdout.read_line(&mut line).expect("read stdout");
        assert!(n > 0, "serve exited before listening:\n{printed}");
        printed.push_str(&line);
        if let Some(base) = line.trim().strip_prefix("Leakwall is listening on ") {
            let key = printed
                .split_whitespace()
                .find(|w| w.starts_with("lw_"))
                .expect("the first admin key")
                .to_owned();
            return Server {
                child,
                base: base.to_owned(),
                key,
                _stdout: stdout,
            };
        }
    }
}

async fn workspace() -> FakeSlack {
    let fake = FakeSlack::start().await.expect("fake Slack");
    fake.add_token(FakeToken::bot(BOT, BOT_USER, &["chat:write", "files:read"]));
    fake.add_token(FakeToken::user(ADMIN, "UADMIN", &["chat:write", "files:write"]).admin());
    let leak = format!("my card is {CARD}");
    fake.add_message(FakeMessage::new(CHANNEL, LEAK_TS, AUTHOR, &leak));
    fake.add_message(FakeMessage::new(CHANNEL, DOCX_TS, AUTHOR, "the report"));
    fake
}

fn config(dir: &Path, fake: &FakeSlack) -> std::path::PathBuf {
    let base = fake.base_url();
    let yaml = format!(
        "slack:\n  signing_secret: {SECRET}\n  token_key: '{KEY}'\n  api_base: {base}/api\n  \
         file_hosts: ['{base}']\n  max_body_bytes: 65536\n  team:\n    id: {TEAM}\n    \
         bot_token: {BOT}\n    user_token: {ADMIN}\n"
    );
    write(dir, "leakwall.yaml", yaml)
}

/// A minimal DOCX whose body says `text`.
pub(crate) fn docx(text: &str) -> Vec<u8> {
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

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

async fn incidents(server: &Server) -> Vec<Value> {
    let answer: Value = reqwest::Client::new()
        .get(format!("{}/api/incidents?source=slack", server.base))
        .bearer_auth(&server.key)
        .send()
        .await
        .expect("list incidents")
        .json()
        .await
        .expect("json");
    answer["items"].as_array().cloned().unwrap_or_default()
}

/// Waits until `done` holds for the incidents (at most 20 s).
async fn wait_for(server: &Server, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let found = incidents(server).await;
        if done(&found) {
            return found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no {what} after 20 s: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn post_raw(url: &str, body: Vec<u8>, signature: &str, timestamp: i64) -> u16 {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("x-slack-signature", signature)
        .header("x-slack-request-timestamp", timestamp.to_string())
        .body(body)
        .send()
        .await
        .expect("post")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_events_are_blocked_once_and_forgeries_refused() {
    let dir = tempdir();
    let fake = workspace().await;
    let server = serve(dir.path(), &config(dir.path(), &fake), &[]);
    let url = format!("{}/webhooks/slack/events", server.base);
    let sender = EventSender::new(Token::new(SECRET));

    // A card number, delivered three times as Slack's retries would be.
    let leak = format!("my card is {CARD}");
    let body = envelope(
        TEAM,
        APP,
        "EvCard",
        BOT_USER,
        message_event(CHANNEL, LEAK_TS, AUTHOR, &leak),
    );
    let first = sender.send(&url, &body).await;
    assert_eq!(first.status, Some(200), "{first:?}");
    for n in 1..=2 {
        let retry = sender
            .send_at(&url, &body, now(), Some((n, "http_timeout")))
            .await;
        assert_eq!(retry.status, Some(200), "{retry:?}");
    }
    let found = wait_for(&server, "card incident", |i| !i.is_empty()).await;
    assert_eq!(found[0]["detector"], "credit_card");
    assert_eq!(found[0]["channel"], CHANNEL);
    assert_eq!(found[0]["message"], LEAK_TS);
    assert_eq!(found[0]["action"], "block");
    assert_eq!(found[0]["outcome"], "removed; notice posted");
    assert!(
        fake.message(CHANNEL, LEAK_TS).is_none(),
        "the message is deleted"
    );
    let notices: Vec<_> = fake
        .messages(CHANNEL)
        .into_iter()
        .filter(|m| m.user == BOT_USER)
        .collect();
    assert_eq!(notices.len(), 1);
    assert!(notices[0].text.contains("<@UAUTHOR>"), "{:?}", notices[0]);

    // A DOCX with an AWS key, shared with a message.
    let download = fake.add_file(FakeFile {
        id: "FDOCX".into(),
        name: "report.docx".into(),
        mimetype: "application/vnd.openxmlformats-officedocument.wordprocessingml.document".into(),
        user: AUTHOR.into(),
        bytes: docx("deploy with key AKIAQWERTYUIOPASDFGH please"),
    });
    let mut shared = message_event(CHANNEL, DOCX_TS, AUTHOR, "the report");
    shared["subtype"] = json!("file_share");
    shared["files"] = json!([{"id": "FDOCX", "name": "report.docx",
        "url_private_download": download}]);
    let body = envelope(TEAM, APP, "EvDocx", BOT_USER, shared);
    assert_eq!(sender.send(&url, &body).await.status, Some(200));
    let found = wait_for(&server, "DOCX incident", |i| {
        i.iter().any(|i| i["file"] == "report.docx")
    })
    .await;
    let docx: Vec<_> = found
        .iter()
        .filter(|i| i["file"] == "report.docx")
        .collect();
    assert!(
        docx.iter().any(|i| i["detector"] == "aws_access_key"),
        "{docx:?}"
    );
    assert!(!fake.has_file("FDOCX"), "the file is deleted");

    // Forged, stale, malformed and huge deliveries are refused.
    let calls = fake.calls().len();
    let count = incidents(&server).await.len();
    let body = envelope(
        TEAM,
        APP,
        "EvForged",
        BOT_USER,
        message_event(CHANNEL, "1700000000.000009", AUTHOR, &leak),
    );
    let forged = leakwall_connectors::slack::sign(&Token::new("not-it"), now(), &body);
    assert_eq!(post_raw(&url, body.clone(), &forged, now()).await, 401);
    let old = sender.send_at(&url, &body, now() - 301, None).await;
    assert_eq!(old.status, Some(401), "a timestamp 301 s old");
    let malformed = sender.send(&url, b"{\"type\":\"event_callback\",").await;
    assert_eq!(malformed.status, Some(400));
    let huge = format!(
        "{{\"type\":\"event_callback\",\"pad\":\"{}\"}}",
        "x".repeat(70_000)
    );
    let huge = sender.send(&url, huge.as_bytes()).await;
    assert_eq!(huge.status, Some(413));

    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        incidents(&server).await.len(),
        count,
        "nothing new recorded"
    );
    assert_eq!(fake.calls().len(), calls, "nothing new sent to Slack");
    let deletes = fake.calls_to("chat.delete");
    assert_eq!(deletes.len(), 2, "one deletion per event: {deletes:?}");
    assert!(deletes.iter().all(|d| d.token == Some(TokenKind::User)));
    let card = incidents(&server).await;
    let card: Vec<_> = card.iter().filter(|i| i["message"] == LEAK_TS).collect();
    assert_eq!(card.len(), 1, "three deliveries, one incident: {card:?}");
}

/// Percentile `p` (0–100) of sorted `values`, in milliseconds.
pub(crate) fn percentile(values: &[Duration], p: usize) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let at = (values.len() * p / 100).min(values.len() - 1);
    values[at].as_secs_f64() * 1000.0
}

/// A number from the environment, else `default`.
pub(crate) fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// When the fake Slack first saw a `chat.delete` of each message `ts` (polled every 2 ms
/// while the events are sent), until `total` were seen or 60 s passed.
async fn watch_deletes(
    fake: std::sync::Arc<FakeSlack>,
    total: u64,
    active: bool,
) -> std::collections::HashMap<String, Instant> {
    let mut seen = std::collections::HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut read = 0;
    while active && (seen.len() as u64) < total && Instant::now() < deadline {
        let calls = fake.calls();
        for call in calls.iter().skip(read) {
            if call.method == "chat.delete" {
                if let Some(ts) = call.params.get("ts") {
                    seen.entry(ts.clone()).or_insert_with(Instant::now);
                }
            }
        }
        read = calls.len();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    seen
}

/// One phase: `rate` signed card-number events a second for `seconds` (open loop) against a
/// fresh `leakwall serve`; the webhook's answer time per event and, when `actions`, the time
/// from sending an event until the fake Slack saw its `chat.delete`.
async fn load_phase(rate: u64, seconds: u64, actions: bool, workers: bool) {
    let dir = tempdir();
    let fake = workspace().await;
    let total = rate * seconds;
    let ts = |n: u64| format!("1700001000.{n:06}");
    for n in 0..total {
        fake.add_message(FakeMessage::new(
            CHANNEL,
            &ts(n),
            AUTHOR,
            "card 4111 1111 1111 1111",
        ));
    }
    let extra: &[&str] = if workers { &[] } else { &["--no-workers"] };
    let server = serve(dir.path(), &config(dir.path(), &fake), extra);
    let fake = std::sync::Arc::new(fake);
    let watcher = tokio::spawn(watch_deletes(fake.clone(), total, actions));
    let url = format!("{}/webhooks/slack/events", server.base);
    let sender = EventSender::new(Token::new(SECRET));
    let sent_at = std::sync::Arc::new(std::sync::Mutex::new(vec![None; total as usize]));
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    let mut answers = tokio::task::JoinSet::new();
    let started = Instant::now();
    for n in 0..total {
        ticker.tick().await;
        let body = envelope(
            TEAM,
            APP,
            &format!("EvLoad{n}"),
            BOT_USER,
            message_event(CHANNEL, &ts(n), AUTHOR, "card 4111 1111 1111 1111"),
        );
        let (sender, url, sent_at) = (sender.clone(), url.clone(), sent_at.clone());
        answers.spawn(async move {
            let at = Instant::now();
            sent_at.lock().expect("lock")[n as usize] = Some(at);
            let attempt = sender.send(&url, &body).await;
            (attempt.status, at.elapsed())
        });
    }
    let sending = started.elapsed();
    let mut webhook = Vec::new();
    let mut failed = 0;
    while let Some(joined) = answers.join_next().await {
        let (status, took) = joined.expect("join");
        if status == Some(200) {
            webhook.push(took);
        } else {
            failed += 1;
        }
    }
    webhook.sort();
    println!(
        "slack webhook{}: {total} events at {rate}/s for {seconds} s (sent in {:.1} s, \
         {:.0}/s): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {failed} not 200",
        if workers { "" } else { " (--no-workers)" },
        sending.as_secs_f64(),
        total as f64 / sending.as_secs_f64(),
        percentile(&webhook, 50),
        percentile(&webhook, 99),
        percentile(&webhook, 100),
    );
    if !actions {
        return;
    }
    let seen = watcher.await.expect("watcher");
    let sent_at = sent_at.lock().expect("lock").clone();
    let mut action: Vec<Duration> = (0..total)
        .filter_map(|n| Some(seen.get(&ts(n))?.duration_since(sent_at[n as usize]?)))
        .collect();
    action.sort();
    println!(
        "slack event-to-action (chat.delete seen by the fake): {} of {total} acted on: \
         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        action.len(),
        percentile(&action, 50),
        percentile(&action, 99),
        percentile(&action, 100),
    );
}

/// The figures of `bench/slack.sh` (ignored: a benchmark, not a test; run it in release).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: bench/slack.sh"]
async fn slack_load_figures() {
    let seconds = env_number("SLACK_BENCH_SECONDS", 5);
    let webhook_rate = env_number("SLACK_BENCH_WEBHOOK_RATE", 1000);
    load_phase(webhook_rate, seconds, false, true).await;
    load_phase(webhook_rate, seconds, false, false).await;
    load_phase(
        env_number("SLACK_BENCH_ACTION_RATE", 200),
        seconds,
        true,
        true,
    )
    .await;
}
