//! Post-processing through the queue: `POST /v1/postprocessing` enqueues an upload, the
//! worker runs the configured steps in order (the example `postprocessing` policy, which
//! downloads and sniffs the file, then DLP), the first delete stops the chain, and the outcome
//! reaches the callback.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use leakwall_queue::embedded::EmbeddedQueue;
use leakwall_queue::worker::Worker;
use leakwall_queue::Queue;
use leakwall_server::Config;
use serde_json::{json, Value};

use crate::support::{Db, TestServer};

#[derive(Clone, Default)]
struct Uploads {
    files: Arc<HashMap<&'static str, Vec<u8>>>,
    outcomes: Arc<Mutex<Vec<Value>>>,
}

/// A data gateway serving `files` under `/files/NAME`, and the callback at `/done`.
async fn gateway(files: HashMap<&'static str, Vec<u8>>) -> (String, Uploads) {
    let uploads = Uploads {
        files: Arc::new(files),
        outcomes: Arc::default(),
    };
    async fn file(
        State(u): State<Uploads>,
        Path(name): Path<String>,
    ) -> Result<Vec<u8>, StatusCode> {
        u.files
            .get(name.as_str())
            .cloned()
            .ok_or(StatusCode::NOT_FOUND)
    }
    async fn done(State(u): State<Uploads>, Json(outcome): Json<Value>) {
        u.outcomes.lock().unwrap().push(outcome);
    }
    let app = Router::new()
        .route("/files/{name}", get(file))
        .route("/done", post(done))
        .with_state(uploads.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, uploads)
}

async fn start(steps: &[&str], query: &str) -> (TestServer, String, Worker) {
    let mut config = Config::default();
    let policies = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies"));
    config.policies.engine.policies = vec![policies];
    config.postprocessing.steps = steps.iter().map(|s| s.to_string()).collect();
    config.postprocessing.query = query.into();
    let mut server = TestServer::start(Db::Sqlite, config).await.expect("server");
    let url = server.state.settings.database_url.clone();
    let queue: Arc<dyn Queue> = Arc::new(EmbeddedQueue::open(&url, "tasks").await.unwrap());
    server.state = server
        .state
        .clone()
        .with_queue(Arc::clone(&queue))
        .with_policies()
        .await;
    let registry = leakwall_server::tasks::shared_registry(&server.state);
    let config = leakwall_server::queue::worker_config(&server.state.settings.queue);
    let worker = Worker::new(queue, registry, config);
    let (_, key) = server
        .store
        .create_api_key("p", "p", &["admin".into()], None)
        .await
        .unwrap();
    (server, format!("Bearer {key}"), worker)
}

fn upload(base: &str, id: &str, name: &str, size: usize) -> String {
    json!({"upload_id": id, "resource": {"name": name, "url": format!("{base}/files/{name}"),
        "size": size}, "user": {"username": "ann", "mail": "ann@corp.example"},
        "callback": format!("{base}/done")})
    .to_string()
}

/// Runs the worker until `n` outcomes arrived; returns them by upload id.
async fn outcomes(worker: &Worker, uploads: &Uploads, n: usize) -> HashMap<String, Value> {
    for _ in 0..200 {
        worker.tick().await.expect("tick");
        let got = uploads.outcomes.lock().unwrap().clone();
        if got.len() >= n {
            let by_id = got
                .into_iter()
                .map(|o| (o["upload_id"].as_str().unwrap().to_owned(), o));
            return by_id.collect();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("fewer than {n} outcomes arrived");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_run_in_order_and_the_first_delete_stops_the_chain() {
    let mut files = HashMap::new();
    files.insert("report.txt", b"quarterly numbers, nothing secret".to_vec());
    files.insert(
        "keys.txt",
        b"aws_access_key_id = AKIAQWERTYUIOPASDFGH".to_vec(),
    );
    files.insert(
        "invoice.pdf",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec(),
    );
    let (base, uploads) = gateway(files).await;
    let (server, bearer, worker) = start(&["policies", "dlp"], "data.postprocessing.granted").await;
    let h = [("authorization", bearer.as_str())];
    for (id, name) in [
        ("u1", "report.txt"),
        ("u2", "keys.txt"),
        ("u3", "invoice.pdf"),
        ("u4", "setup.exe"),
        ("u5", "gone.txt"),
    ] {
        let (status, body) = server
            .call(
                "POST",
                "/v1/postprocessing",
                &h,
                Some(&upload(&base, id, name, 40)),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        assert_eq!(body["steps"], json!(["policies", "dlp"]));
    }
    let got = outcomes(&worker, &uploads, 5).await;
    assert_eq!(got["u1"]["outcome"], "continue", "{:?}", got["u1"]);
    assert_eq!(
        (&got["u2"]["outcome"], &got["u2"]["step"]),
        (&json!("delete"), &json!("dlp"))
    );
    assert!(
        got["u2"]["reason"].as_str().unwrap().contains("aws"),
        "{:?}",
        got["u2"]
    );
    assert_eq!(
        got["u3"]["step"], "policies",
        "a renamed executable: {:?}",
        got["u3"]
    );
    assert_eq!(
        got["u4"]["step"], "policies",
        "an extension not allowed: {:?}",
        got["u4"]
    );
    assert_eq!(
        got["u5"]["step"], "policies",
        "a download that fails denies: {:?}",
        got["u5"]
    );
    assert!(!got
        .values()
        .any(|o| o.to_string().contains("AKIAQWERTYUIOPASDFGH")));

    let (_, incidents) = server
        .call("GET", "/api/incidents?source=postprocessing", &h, None)
        .await;
    let items = incidents["items"].as_array().expect("items");
    assert_eq!(
        items.len(),
        1,
        "only the DLP delete is an incident: {incidents}"
    );
    assert_eq!(
        (&items[0]["file"], &items[0]["author"]),
        (&json!("keys.txt"), &json!("ann"))
    );
    let (_, decided) = server
        .call("GET", "/api/decisions?origin=postprocessing", &h, None)
        .await;
    assert!(
        decided["items"].as_array().is_some_and(|d| !d.is_empty()),
        "{decided}"
    );
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_query_continues_and_bad_uploads_are_refused() {
    let mut files = HashMap::new();
    files.insert("setup.exe", b"MZ\x90\x00 plain enough".to_vec());
    let (base, uploads) = gateway(files).await;
    let (server, bearer, worker) = start(&["policies", "dlp"], "").await;
    let h = [("authorization", bearer.as_str())];
    let (status, _) = server
        .call(
            "POST",
            "/v1/postprocessing",
            &h,
            Some(&upload(&base, "e1", "setup.exe", 9)),
        )
        .await;
    assert_eq!(status, 202);
    let got = outcomes(&worker, &uploads, 1).await;
    assert_eq!(
        got["e1"]["outcome"], "continue",
        "no query: the policies step continues"
    );

    let no_url =
        json!({"upload_id": "x", "resource": {"name": "a.txt", "url": "file:///etc/passwd"}});
    let (status, _) = server
        .call("POST", "/v1/postprocessing", &h, Some(&no_url.to_string()))
        .await;
    assert_eq!(status, 400);
    let extra = json!({"upload_id": "x", "resource": {"name": "a", "url": "http://h/"}, "x": 1});
    let (status, _) = server
        .call("POST", "/v1/postprocessing", &h, Some(&extra.to_string()))
        .await;
    assert_eq!(status, 400, "unknown fields are refused");
    let (status, _) = server
        .call("POST", "/v1/postprocessing", &[], Some("{}"))
        .await;
    assert_eq!(status, 401);
    server.finish().await;
}

#[test]
fn unknown_steps_stop_the_process_with_their_name() {
    let mut config = Config::default();
    config.postprocessing.steps = vec!["policies".into(), "antivirus".into()];
    let error = config.validate().expect_err("an unknown step").to_string();
    assert!(error.contains("antivirus"), "{error}");
    let env = |k: &str| (k == "POSTPROCESSING_STEPS").then(|| "dlp, policies".to_owned());
    let settings = Config::default().with_env(env).validate().expect("valid");
    assert_eq!(settings.postprocessing.steps, ["dlp", "policies"]);
}
