//! `leakwall serve`, `migrate` and `admin create-key` as a user runs them: the real binary on a
//! free port over a temporary SQLite database, driven with an HTTP client.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

use crate::support::{run, tempdir, CARD};

/// A running `leakwall serve`; killed when dropped.
struct Server {
    child: Child,
    base: String,
    printed: Vec<String>,
    _stdout: BufReader<ChildStdout>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn database(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("leakwall.db").display())
}

/// Starts the server and reads its stdout up to the line with the address. The returned
/// `Server` kills and waits for the child when dropped.
fn serve(dir: &Path) -> Server {
    serve_with(dir, &[])
}

/// Like [`serve`], with extra arguments.
#[allow(clippy::zombie_processes)]
fn serve_with(dir: &Path, extra: &[&str]) -> Server {
    let db = database(dir);
    let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--database", &db];
    args.extend_from_slice(extra);
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakwall"))
        .args(&args)
        .current_dir(dir)
        .env("LEAKWALL_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start leakwall serve");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut printed = Vec::new();
    loop {
        let mut line = String::new();
        let n = stdout.read_line(&mut line).expect("read stdout");
        assert!(
            n > 0,
            "serve exited before listening; printed:\n{}",
            printed.join("")
        );
        if let Some(base) = line.trim().strip_prefix("Leakwall is listening on ") {
            let base = base.to_owned();
            printed.push(line);
            return Server {
                child,
                base,
                printed,
                _stdout: stdout,
            };
        }
        printed.push(line);
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn get(server: &Server, key: &str, path: &str) -> (u16, Value) {
    let resp = client()
        .get(format!("{}{path}", server.base))
        .bearer_auth(key)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn post(server: &Server, key: &str, path: &str, body: Value) -> (u16, Value) {
    let resp = client()
        .post(format!("{}{path}", server.base))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn detectors(scan: &Value) -> Vec<String> {
    scan["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["detector"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_prints_an_admin_key_once_and_the_api_works_with_it() {
    let dir = tempdir();
    let server = serve(dir.path());
    let text = server.printed.join("");
    let key = text
        .split_whitespace()
        .find(|w| w.starts_with("lw_"))
        .unwrap_or_else(|| panic!("no key printed:\n{text}"))
        .to_owned();
    assert!(text.contains("/api/"), "{text}");

    let (status, user) = get(&server, &key, "/api/user").await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["identities"][0]["groups"], json!(["admin"]));
    let (status, _) = get(&server, "lw_wrong", "/api/user").await;
    assert_eq!(status, 401);
    let anonymous = client()
        .get(format!("{}/api/incidents", server.base))
        .send()
        .await
        .expect("get");
    assert_eq!(anonymous.status().as_u16(), 401);

    // A custom detector is used by the next scan, without a restart.
    let body = json!({"text": format!("badge EMP-123456 and card {CARD}")});
    let (status, before) = post(&server, &key, "/v1/scan", body.clone()).await;
    assert_eq!(status, 200, "{before}");
    assert!(
        !detectors(&before).contains(&"employee_id".to_owned()),
        "{before}"
    );
    assert_eq!(before["verdict"], "block", "{before}");
    let detector = json!({"name": "employee_id", "pattern": "EMP-[0-9]{6}", "keywords": ["EMP-"]});
    let (status, created) = post(&server, &key, "/api/detectors", detector).await;
    assert_eq!(status, 201, "{created}");
    let (_, after) = post(&server, &key, "/v1/scan", body).await;
    let found = detectors(&after);
    assert!(found.contains(&"employee_id".to_owned()), "{after}");
    assert!(found.contains(&"credit_card".to_owned()), "{after}");
    assert!(
        !after.to_string().contains(CARD),
        "secrets are masked: {after}"
    );

    // A file upload, streamed through the extraction engine.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"key AKIAQWERTYUIOPASDFGH here".to_vec())
            .file_name("notes.txt"),
    );
    let resp = client()
        .post(format!("{}/v1/scan", server.base))
        .bearer_auth(&key)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(resp.status().as_u16(), 200);
    let upload: Value = resp.json().await.expect("json");
    assert_eq!(detectors(&upload), ["aws_access_key"], "{upload}");
    assert_eq!(upload["findings"][0]["path"], "notes.txt");

    let metrics = client()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .expect("metrics");
    let metrics = metrics.text().await.expect("text");
    assert!(
        metrics.contains("leakwall_http_requests_total"),
        "{metrics}"
    );
    assert!(metrics.contains("leakwall_scans_total"), "{metrics}");
    drop(server);

    // Restarted on the same database: no second key.
    let again = serve(dir.path());
    let text = again.printed.join("");
    assert!(!text.contains("lw_"), "a key was printed again:\n{text}");
    let (status, _) = get(&again, &key, "/api/user").await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_key_prints_only_the_key_and_migrate_is_idempotent() {
    let dir = tempdir();
    let db = database(dir.path());
    let first = run(dir.path(), &["migrate", "--database", &db]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stdout.contains("applied migrations: 1, 2"),
        "{}",
        first.stdout
    );
    let second = run(dir.path(), &["migrate", "--database", &db]);
    assert!(second.stdout.contains("up to date"), "{}", second.stdout);

    let created = run(
        dir.path(),
        &[
            "admin",
            "create-key",
            "--database",
            &db,
            "--name",
            "ci",
            "--group",
            "admin",
        ],
    );
    assert_eq!(created.code, 0, "{}", created.stderr);
    let key = created.stdout.trim().to_owned();
    assert_eq!(created.stdout, format!("{key}\n"), "only the key on stdout");
    assert!(key.starts_with("lw_"));
    let bad = run(
        dir.path(),
        &[
            "admin",
            "create-key",
            "--database",
            &db,
            "--name",
            "x",
            "--group",
            "ghost",
        ],
    );
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("ghost"), "{}", bad.stderr);

    let server = serve(dir.path());
    assert!(
        !server.printed.join("").contains("lw_"),
        "a key existed already"
    );
    let (status, page) = get(&server, &key, "/api/audit?action=CREATE&method=CLI").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"][0]["resource"], "principals", "{page}");
    assert_eq!(page["items"][0]["body"]["name"], "ci", "{page}");
    let (status, _) = get(&server, &key, "/readyz").await;
    assert_eq!(status, 200);
}

/// `serve` runs queue workers in-process; `--no-workers` leaves the tasks for `leakwall worker`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_queued_tasks_unless_told_not_to() {
    use leakwall_queue::{embedded::EmbeddedQueue, worker::Producer, Envelope, Queue};
    let dir = tempdir();
    let db = database(dir.path());
    let migrated = run(dir.path(), &["migrate", "--database", &db]);
    assert_eq!(migrated.code, 0, "{}", migrated.stderr);
    let queue = std::sync::Arc::new(EmbeddedQueue::open(&db, "tasks").await.expect("queue"));
    let task = Envelope::new("scan_text").kwarg("text", json!(format!("card {CARD}")));
    Producer::new(queue.clone())
        .enqueue(&task)
        .await
        .expect("enqueue");

    let idle = serve_with(dir.path(), &["--no-workers"]);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        queue.stats().await.expect("stats").ready,
        1,
        "--no-workers ran a task"
    );
    drop(idle);

    let busy = serve(dir.path());
    let mut left = 1;
    for _ in 0..100 {
        left = queue.stats().await.expect("stats").ready;
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0, "serve's workers took the task");
    drop(busy);
}

/// Regression: the SIGTERM handler was installed only once HTTP was serving, so a SIGTERM
/// during start-up (opening and migrating the store) killed the process outright.
#[test]
fn sigterm_during_start_up_still_shuts_down_gracefully() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = crate::support::tempdir();
    let db = format!("sqlite://{}", dir.path().join("early.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakwall"))
        .args(["serve", "--database", &db, "--listen", "127.0.0.1:0"])
        .env("LEAKWALL_LOG", "info")
        .env("LEAKWALL_GRPC_LISTEN", "")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut log = String::new();
    for line in lines.by_ref() {
        let line = line.expect("line");
        log.push_str(&line);
        log.push('\n');
        if line.contains("starting") {
            break;
        }
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(killed.is_ok_and(|s| s.success()));
    for line in lines {
        log.push_str(&line.expect("line"));
        log.push('\n');
    }
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "exit {status:?}:\n{log}");
    assert!(
        log.contains("shutting down") && log.contains("stopped"),
        "{log}"
    );
}
