//! Webex end to end (issue 8): the real `leakwall serve` (embedded store, queue and workers)
//! installed by a compliance officer through the OAuth flow of the fake Webex, which then
//! posts files and delivers signed webhooks to it over HTTP.
//!
//! Also the figures of `bench/webex.sh` (an ignored test: run it in release).

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use leakwall_connectors::fake::{FakePost, FakeWebex, FakeWebexFile, Posted};
use leakwall_connectors::webex::Verdict;
use leakwall_connectors::Token;
use serde_json::Value;

use crate::slack::{docx, env_number, percentile, serve, Server};
use crate::support::{tempdir, write, CARD};

const KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
const CLIENT_ID: &str = "C_E2E";
const CLIENT_SECRET: &str = "e2e-client-secret";
const APP: &str = "APP_E2E";
const ORG: &str = "ORG_E2E";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const SCOPES: &[&str] = &[
    "spark-compliance:messages_read",
    "spark-compliance:messages_write",
    "spark-compliance:webhooks_read",
    "spark-compliance:webhooks_write",
    "spark:messages_write",
];
/// A PNG signature and an empty IHDR chunk.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde";

/// A free local port (bound and released: the server's public URL must be known before it
/// starts, since the webhook Webex calls is created at install time).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn fake() -> FakeWebex {
    let fake = FakeWebex::start().await.expect("fake Webex");
    fake.set_integration(CLIENT_ID, CLIENT_SECRET, APP);
    fake
}

/// `leakwall serve` for the fake Webex, listening on `port`.
fn start(dir: &Path, fake: &FakeWebex, port: u16) -> Server {
    let yaml = format!(
        "server:\n  public_url: http://127.0.0.1:{port}\n  token_key: '{KEY}'\n\
         webex:\n  client_id: {CLIENT_ID}\n  client_secret: {CLIENT_SECRET}\n  \
         integration_id: {APP}\n  api_base: {}\n",
        fake.base_url()
    );
    let config = write(dir, "leakwall.yaml", yaml);
    let listen = format!("127.0.0.1:{port}");
    serve(dir, &config, &["--listen", &listen])
}

/// The compliance officer of `org` installs Leakwall: our link, Webex's consent, the callback.
async fn install(server: &Server, fake: &FakeWebex, org: &str) {
    fake.add_code(&format!("code-{org}"), org, SCOPES);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut url = format!("{}/oauth/webex/install", server.base);
    for _ in 0..2 {
        let answer = http.get(&url).send().await.expect("redirect");
        assert_eq!(answer.status(), 302);
        url = answer
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("location")
            .to_owned();
    }
    let installed: Value = http
        .get(&url)
        .send()
        .await
        .expect("callback")
        .json()
        .await
        .expect("json");
    assert_eq!(installed["installed"], true, "{installed}");
}

async fn post(fake: &FakeWebex, room_type: &str, name: &str, kind: &str, bytes: &[u8]) -> Posted {
    post_in(fake, ORG, room_type, name, kind, bytes).await
}

/// A user of `org` posts one file.
async fn post_in(
    fake: &FakeWebex,
    org: &str,
    room_type: &str,
    name: &str,
    kind: &str,
    bytes: &[u8],
) -> Posted {
    fake.post_file(FakePost {
        org_id: org.into(),
        room_id: "ROOM_E2E".into(),
        room_type: room_type.into(),
        person_id: "PERSON_E2E".into(),
        person_email: "bob@e2e.example".into(),
        text: None,
        files: vec![FakeWebexFile {
            name: name.into(),
            content_type: kind.into(),
            bytes: bytes.to_vec(),
        }],
    })
    .await
}

/// Waits (at most 20 s) for the verdict on `content`.
async fn verdict(fake: &FakeWebex, content: &str) -> Option<Verdict> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if let Some(verdict) = fake.file(content).verdict {
            return Some(verdict);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

async fn incidents(server: &Server) -> Vec<Value> {
    let answer: Value = reqwest::Client::new()
        .get(format!("{}/api/incidents?source=webex", server.base))
        .bearer_auth(&server.key)
        .send()
        .await
        .expect("list incidents")
        .json()
        .await
        .expect("json");
    answer["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_approved_or_rejected_and_forgeries_refused() {
    let dir = tempdir();
    let fake = fake().await;
    let server = start(dir.path(), &fake, free_port());
    install(&server, &fake, ORG).await;

    let clean = post(&fake, "direct", "cat.png", "image/png", PNG).await;
    assert_eq!(clean.deliveries[0].1, Ok(200), "{:?}", clean.deliveries);
    let content = &clean.content_ids[0];
    assert_eq!(verdict(&fake, content).await, Some(Verdict::Approve));
    let touched = fake.file(content).first_touch.expect("touched");
    assert!(touched < Duration::from_secs(1), "{touched:?}");

    let leak = docx(&format!("card {CARD}"));
    let rejected = post(&fake, "group", "q3.docx", DOCX, &leak).await;
    let content = &rejected.content_ids[0];
    assert_eq!(verdict(&fake, content).await, Some(Verdict::Reject));
    let found = incidents(&server).await;
    let card: Vec<_> = found
        .iter()
        .filter(|i| i["detector"] == "credit_card")
        .collect();
    assert_eq!(card.len(), 1, "{found:?}");
    assert_eq!(card[0]["file"], "q3.docx");
    assert_eq!(card[0]["action"], "reject");

    // The same delivery with a forged signature: 401, nothing touched or recorded.
    let posted = post(&fake, "group", "again.docx", DOCX, &leak).await;
    let mut forged = fake.delivery(ORG, &posted.message_id).expect("delivery");
    for (name, value) in forged.headers.iter_mut() {
        if name.eq_ignore_ascii_case("x-spark-signature") {
            *value = "f".repeat(40);
        }
    }
    let content = &posted.content_ids[0];
    assert_eq!(verdict(&fake, content).await, Some(Verdict::Reject));
    let (touches, count) = (fake.file(content).touches, incidents(&server).await.len());
    assert_eq!(fake.send_delivery(&forged).await, Ok(401));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(fake.file(content).touches, touches, "nothing touched");
    assert_eq!(incidents(&server).await.len(), count, "nothing recorded");
}

/// A PE header: what an executable starts with.
fn executable() -> Vec<u8> {
    let mut exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec();
    exe.resize(512, 0);
    exe
}

/// The zip bomb of `testdata/extract`.
fn bomb() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/extract/bomb.zip"
    );
    std::fs::read(path).expect("bomb.zip")
}

/// The verdict PUTs the fake saw for `content`: their statuses, in order.
fn puts(fake: &FakeWebex, content: &str) -> Vec<u16> {
    fake.calls()
        .into_iter()
        .filter(|c| c.method == "PUT" && c.path.ends_with(content))
        .map(|c| c.status)
        .collect()
}

/// The incidents of `detector` on file `name`.
fn incidents_of<'a>(found: &'a [Value], detector: &str, name: &str) -> Vec<&'a Value> {
    found
        .iter()
        .filter(|i| i["detector"] == detector && i["file"] == name)
        .collect()
}

/// One server for the hostile files, the duplicate delivery and the rate-limited verdict
/// (each case posts its own file, one after the other).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_files_duplicates_and_rate_limits() {
    let dir = tempdir();
    let fake = fake().await;
    let server = start(dir.path(), &fake, free_port());
    install(&server, &fake, ORG).await;

    // 1. An executable named `.png`, declared image/png: rejected as a type mismatch.
    let exe = post(&fake, "group", "evil.png", "image/png", &executable()).await;
    let content = &exe.content_ids[0];
    assert_eq!(verdict(&fake, content).await, Some(Verdict::Reject));
    let found = incidents(&server).await;
    let mismatch = incidents_of(&found, "type_mismatch", "evil.png");
    assert_eq!(mismatch.len(), 1, "{found:?}");
    assert_eq!(mismatch[0]["action"], "reject");

    // 2. A zip bomb: rejected as unscannable, the reason recorded.
    let bombed = post(&fake, "group", "a.zip", "application/zip", &bomb()).await;
    let content = &bombed.content_ids[0];
    assert_eq!(verdict(&fake, content).await, Some(Verdict::Reject));
    let found = incidents(&server).await;
    let unscannable = incidents_of(&found, "unscannable", "a.zip");
    assert_eq!(unscannable.len(), 1, "{found:?}");
    let outcome = unscannable[0]["outcome"].as_str().unwrap_or_default();
    assert!(outcome.contains("fail mode reject"), "{outcome}");

    // 3. The same delivery three times: one verdict PUT, one incident.
    let leak = docx(&format!("card {CARD}"));
    let posted = post(&fake, "group", "dup.docx", DOCX, &leak).await;
    let delivery = fake.delivery(ORG, &posted.message_id).expect("delivery");
    for _ in 0..2 {
        assert_eq!(fake.send_delivery(&delivery).await, Ok(200));
    }
    let content = &posted.content_ids[0];
    assert_eq!(verdict(&fake, content).await, Some(Verdict::Reject));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(puts(&fake, content), vec![204], "exactly one verdict PUT");
    let found = incidents(&server).await;
    assert_eq!(
        incidents_of(&found, "credit_card", "dup.docx").len(),
        1,
        "{found:?}"
    );

    // 5. A 429 on the verdict: retried after Retry-After, the verdict still lands.
    fake.rate_limit("PUT", "/v1/contents", 1, 1);
    let limited = post(&fake, "direct", "late.png", "image/png", PNG).await;
    let content = &limited.content_ids[0];
    assert_eq!(verdict(&fake, content).await, Some(Verdict::Approve));
    assert_eq!(puts(&fake, content), vec![429, 204]);
}

/// The number of token grants (codes and refreshes) the fake answered with 200.
fn grants(fake: &FakeWebex) -> usize {
    fake.calls()
        .iter()
        .filter(|c| c.method == "POST" && c.path == "/v1/access_token" && c.status == 200)
        .count()
}

/// The access token has expired when the file arrives (the binary's token is not visible
/// from outside, so the fake grants it for 2 s instead of `expire_token`): Webex answers
/// 401, the binary refreshes it, and the verdict lands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_is_refreshed_and_the_verdict_lands() {
    let dir = tempdir();
    let fake = fake().await;
    fake.set_token_lifetimes(Duration::from_secs(2), Duration::from_secs(90 * 86_400));
    let server = start(dir.path(), &fake, free_port());
    install(&server, &fake, ORG).await;
    fake.set_token_lifetimes(
        Duration::from_secs(14 * 86_400),
        Duration::from_secs(90 * 86_400),
    );
    let granted = grants(&fake);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let posted = post(&fake, "group", "cat.png", "image/png", PNG).await;
    let content = &posted.content_ids[0];
    assert_eq!(verdict(&fake, content).await, Some(Verdict::Approve));
    assert!(grants(&fake) > granted, "refreshed: {:?}", fake.calls());
    // Maintenance refreshes ahead only every 5 minutes: the expired token was really used.
    let refused = fake
        .calls()
        .iter()
        .any(|c| c.path.starts_with("/v1/contents/") && c.status == 401);
    assert!(refused, "the expired token was refused: {:?}", fake.calls());
}

/// Two organizations, each with its own tokens and webhook secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_organizations_keep_their_tokens_and_secrets_apart() {
    const ORG_B: &str = "ORG_E2E_B";
    let dir = tempdir();
    let fake = fake().await;
    let server = start(dir.path(), &fake, free_port());
    install(&server, &fake, ORG).await;
    install(&server, &fake, ORG_B).await;
    let (a, b) = (fake.webhooks(ORG), fake.webhooks(ORG_B));
    assert_eq!((a.len(), b.len()), (1, 1));
    let secret_a = Token::new(a[0].secret.clone().expect("A's secret"));
    let secret_b = Token::new(b[0].secret.clone().expect("B's secret"));
    assert_ne!(secret_a.expose(), secret_b.expose());

    // A delivery for org B signed with org A's secret, and one claiming org A signed with
    // B's: both refused.
    let posted = post_in(&fake, ORG_B, "group", "b0.png", "image/png", PNG).await;
    let original = fake.delivery(ORG_B, &posted.message_id).expect("delivery");
    let text = String::from_utf8(original.body.clone()).expect("utf-8");
    for (body, secret) in [
        (text.replace(&posted.message_id, "MSG_NEW_B"), &secret_a),
        (
            text.replace(ORG_B, ORG)
                .replace(&posted.message_id, "MSG_NEW_A"),
            &secret_b,
        ),
    ] {
        let mut forged = original.clone();
        let signature = leakwall_connectors::webex::sign(secret, body.as_bytes());
        forged.body = body.into_bytes();
        for (name, value) in forged.headers.iter_mut() {
            if name.eq_ignore_ascii_case("x-spark-signature") {
                *value = signature.clone();
            }
        }
        assert_eq!(fake.send_delivery(&forged).await, Ok(401));
    }

    // Each org's file is judged through its own token (the fake only shows a content to a
    // token of its org): both verdicts land.
    let leak = docx(&format!("card {CARD}"));
    let first = post_in(&fake, ORG, "group", "a.docx", DOCX, &leak).await;
    let second = post_in(&fake, ORG_B, "direct", "b.png", "image/png", PNG).await;
    assert_eq!(
        verdict(&fake, &first.content_ids[0]).await,
        Some(Verdict::Reject)
    );
    assert_eq!(
        verdict(&fake, &second.content_ids[0]).await,
        Some(Verdict::Approve)
    );
    assert_eq!(
        verdict(&fake, &posted.content_ids[0]).await,
        Some(Verdict::Approve)
    );
    for content in [&first.content_ids[0], &second.content_ids[0]] {
        assert_eq!(
            puts(&fake, content),
            vec![204],
            "no 404 from a wrong org's token"
        );
    }
    let found = incidents(&server).await;
    assert_eq!(
        incidents_of(&found, "credit_card", "a.docx").len(),
        1,
        "{found:?}"
    );
}

/// Posts `count` files at `rate` a second (open loop), each made by `file(n)`; returns what
/// each post answered.
async fn post_at(
    fake: &Arc<FakeWebex>,
    rate: u64,
    count: u64,
    file: impl Fn(u64) -> (String, &'static str, Arc<Vec<u8>>),
) -> Vec<Posted> {
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    let mut posts = tokio::task::JoinSet::new();
    for n in 0..count {
        ticker.tick().await;
        let (name, kind, bytes) = file(n);
        let fake = fake.clone();
        posts.spawn(async move { post(&fake, "group", &name, kind, &bytes).await });
    }
    let mut posted = Vec::new();
    while let Some(done) = posts.join_next().await {
        posted.push(done.expect("join"));
    }
    posted
}

/// A DOCX of about `bytes` bytes that compresses poorly and holds nothing to find: words of
/// 16 letters from a simple generator (letters only, so no digit run looks like a card).
fn large_docx(bytes: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut text = String::with_capacity(bytes * 2);
    while text.len() < bytes * 2 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        text.extend((0..16).map(|i| char::from(b'a' + ((x >> (i * 4)) & 0xf) as u8)));
        text.push(' ');
    }
    docx(&text)
}

/// Waits for every verdict; the sorted first-touch and verdict times since each post.
async fn times(fake: &FakeWebex, posted: &[Posted]) -> (Vec<Duration>, Vec<Duration>) {
    let (mut touch, mut decided) = (Vec::new(), Vec::new());
    for p in posted {
        for content in &p.content_ids {
            verdict(fake, content).await;
            let state = fake.file(content);
            touch.extend(state.first_touch);
            decided.extend(state.verdict_after);
        }
    }
    touch.sort();
    decided.sort();
    (touch, decided)
}

/// How many files of `posted` were approved.
fn approved(fake: &FakeWebex, posted: &[Posted]) -> usize {
    posted
        .iter()
        .flat_map(|p| &p.content_ids)
        .filter(|c| fake.file(c).verdict == Some(Verdict::Approve))
        .count()
}

/// The figures of `bench/webex.sh` (ignored: a benchmark, not a test; run it in release).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: bench/webex.sh"]
async fn webex_load_figures() {
    let seconds = env_number("WEBEX_BENCH_SECONDS", 10);
    let rate = env_number("WEBEX_BENCH_RATE", 50);
    let large_mb = env_number("WEBEX_BENCH_LARGE_MB", 10) as usize;
    let dir = tempdir();
    let fake = Arc::new(fake().await);
    let server = start(dir.path(), &fake, free_port());
    install(&server, &fake, ORG).await;
    let large = Arc::new(large_docx(large_mb << 20));

    // 1. Small files at `rate`/s while a large DOCX arrives every second.
    let background = {
        let (fake, large) = (fake.clone(), large.clone());
        tokio::spawn(async move {
            post_at(&fake, 1, seconds, |n| {
                (format!("big{n}.docx"), DOCX, large.clone())
            })
            .await
        })
    };
    let small = Arc::new(PNG.to_vec());
    let posted = post_at(&fake, rate, rate * seconds, |n| {
        (format!("p{n}.png"), "image/png", small.clone())
    })
    .await;
    let big = background.await.expect("background");
    let (touch, _) = times(&fake, &posted).await;
    let (big_touch, big_decided) = times(&fake, &big).await;
    println!(
        "webex first touch: {} PNG at {rate}/s for {seconds} s ({} approved) while a \
         {large_mb} MB DOCX arrives every second ({} large, {} approved): p50 {:.1} ms, p99 \
         {:.1} ms, max {:.1} ms; large files touched p99 {:.1} ms, decided p50 {:.0} ms p99 \
         {:.0} ms",
        touch.len(),
        approved(&fake, &posted),
        big.len(),
        approved(&fake, &big),
        percentile(&touch, 50),
        percentile(&touch, 99),
        percentile(&touch, 100),
        percentile(&big_touch, 99),
        percentile(&big_decided, 50),
        percentile(&big_decided, 99),
    );

    // 2. One large DOCX at a time: time from the post to the verdict.
    let mut decided = Vec::new();
    let mut posted_large = Vec::new();
    for n in 0..env_number("WEBEX_BENCH_LARGE_COUNT", 20) {
        let p = post(&fake, "group", &format!("alone{n}.docx"), DOCX, &large).await;
        let (_, d) = times(&fake, std::slice::from_ref(&p)).await;
        decided.extend(d);
        posted_large.push(p);
    }
    let approved = approved(&fake, &posted_large);
    decided.sort();
    println!(
        "webex time to verdict, {large_mb} MB DOCX ({} bytes) one at a time, {} files \
         ({approved} approved): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        large.len(),
        decided.len(),
        percentile(&decided, 50),
        percentile(&decided, 99),
        percentile(&decided, 100),
    );
}
