//! The antivirus in the scanner chain (issue 11), against a real clamd started for each test
//! with signatures made at test time: the post-processing chain in the configured order
//! (`policies,dlp,virusscan`), Slack files through DLP and the antivirus, clamd stopped (the
//! fail modes, nothing passed silently, recovery), and clamd's health in `/readyz` and
//! `/metrics`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use leakwall_antivirus::testing::{
    docx, zip, ClamdDaemon, EICAR, EICAR_SIGNATURE, PATTERN_SIGNATURE, STREAM_MAX_BYTES,
    TEST_PATTERN,
};
use leakwall_queue::embedded::EmbeddedQueue;
use leakwall_queue::worker::Worker;
use leakwall_queue::Queue;
use leakwall_server::antivirus::FailMode;
use leakwall_server::Config;
use serde_json::{json, Value};

use crate::support::{Db, TestServer};

const AWS: &[u8] = b"aws_access_key_id = AKIAQWERTYUIOPASDFGH\n";

/// Uploaded files served at `/files/NAME`; outcomes POSTed to `/done`.
#[derive(Clone, Default)]
struct Gateway {
    files: Arc<HashMap<String, Vec<u8>>>,
    outcomes: Arc<Mutex<HashMap<String, Value>>>,
}

async fn serve_files(files: &[(&str, Vec<u8>)]) -> (String, Gateway) {
    let gateway = Gateway {
        files: Arc::new(
            files
                .iter()
                .map(|(n, b)| (n.to_string(), b.clone()))
                .collect(),
        ),
        outcomes: Arc::default(),
    };
    async fn file(
        State(g): State<Gateway>,
        Path(name): Path<String>,
    ) -> Result<Vec<u8>, StatusCode> {
        g.files.get(&name).cloned().ok_or(StatusCode::NOT_FOUND)
    }
    async fn done(State(g): State<Gateway>, Json(outcome): Json<Value>) {
        let id = outcome["upload_id"].as_str().unwrap_or_default().to_owned();
        g.outcomes.lock().unwrap().insert(id, outcome);
    }
    let app = Router::new()
        .route("/files/{name}", get(file))
        .route("/done", post(done))
        .with_state(gateway.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, gateway)
}

/// A server with the example policies, the given steps and clamd, its queue and a worker.
struct Chain {
    server: TestServer,
    queue: Arc<dyn Queue>,
    worker: Worker,
    bearer: String,
}

async fn start_chain(clamd: &ClamdDaemon, steps: &str, tune: impl FnOnce(&mut Config)) -> Chain {
    let env = |k: &str| match k {
        "POSTPROCESSING_STEPS" => Some(steps.to_owned()),
        "LEAKWALL_ANTIVIRUS_CLAMD" => Some(clamd.tcp_url()),
        _ => None,
    };
    let mut config = Config::default().with_env(env);
    let policies = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies"));
    config.policies.engine.policies = vec![policies];
    config.antivirus.read_timeout_ms = 5_000;
    tune(&mut config);
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
    let mut worker_config = leakwall_server::queue::worker_config(&server.state.settings.queue);
    worker_config.backoff_base = Duration::from_millis(100);
    worker_config.backoff_max = Duration::from_millis(200);
    let worker = Worker::new(Arc::clone(&queue), registry, worker_config);
    let (_, key) = server
        .store
        .create_api_key("av", "av", &["admin".into()], None)
        .await
        .unwrap();
    Chain {
        server,
        queue,
        worker,
        bearer: format!("Bearer {key}"),
    }
}

impl Chain {
    async fn upload(&self, base: &str, name: &str) {
        let body = json!({"upload_id": name, "resource": {"name": name,
            "url": format!("{base}/files/{name}")}, "user": {"username": "ann"},
            "callback": format!("{base}/done")});
        let h = [("authorization", self.bearer.as_str())];
        let (status, answer) = self
            .server
            .call("POST", "/v1/postprocessing", &h, Some(&body.to_string()))
            .await;
        assert_eq!(status, 202, "{answer}");
    }

    /// Runs the worker until `n` outcomes arrived (at most ~5 s).
    async fn outcomes(&self, gateway: &Gateway, n: usize) -> HashMap<String, Value> {
        for _ in 0..250 {
            self.worker.tick().await.expect("tick");
            let got = gateway.outcomes.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "fewer than {n} outcomes: {:?}",
            gateway.outcomes.lock().unwrap()
        );
    }

    async fn get(&self, path: &str) -> Value {
        let h = [("authorization", self.bearer.as_str())];
        let (status, body) = self.server.call("GET", path, &h, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    }
}

fn start_clamd() -> ClamdDaemon {
    tokio::task::block_in_place(ClamdDaemon::start)
}

fn deleted_by<'a>(outcomes: &'a HashMap<String, Value>, id: &str, step: &str) -> &'a str {
    let o = &outcomes[id];
    assert_eq!(
        (&o["outcome"], &o["step"]),
        (&json!("delete"), &json!(step)),
        "{id}: {o}"
    );
    o["reason"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_post_processing_chain_runs_in_the_configured_order_and_blocks_malware() {
    let clamd = start_clamd();
    let files = [
        ("notes.txt", b"quarterly numbers, nothing secret".to_vec()),
        ("eicar.txt", EICAR.to_vec()),
        (
            "tools.zip",
            zip(&[("readme.txt", b"tools"), ("bin/eicar.com", EICAR)]),
        ),
        ("report.docx", docx(&format!("Plan. {TEST_PATTERN}. End."))),
        ("clean.docx", docx("Plan for the quarter.")),
        ("keys.txt", AWS.to_vec()),
        ("both.zip", zip(&[("keys.txt", AWS), ("eicar.com", EICAR)])),
        ("big.log", vec![b'a'; STREAM_MAX_BYTES + 4096]),
    ];
    let (base, gateway) = serve_files(&files).await;
    let chain = start_chain(&clamd, "policies,dlp,virusscan", |_| {}).await;
    for (name, _) in &files {
        chain.upload(&base, name).await;
    }
    let got = chain.outcomes(&gateway, files.len()).await;
    for clean in ["notes.txt", "clean.docx"] {
        assert_eq!(got[clean]["outcome"], "continue", "{clean}: {}", got[clean]);
    }
    for (id, signature) in [
        ("eicar.txt", EICAR_SIGNATURE),
        ("tools.zip", EICAR_SIGNATURE),
        ("report.docx", PATTERN_SIGNATURE),
    ] {
        let reason = deleted_by(&got, id, "virusscan");
        assert!(
            reason.contains(&format!("malware found: {signature}")),
            "{id}: {reason}"
        );
    }
    assert!(deleted_by(&got, "keys.txt", "dlp").contains("aws"));
    deleted_by(&got, "both.zip", "dlp");
    let reason = deleted_by(&got, "big.log", "virusscan");
    assert!(reason.contains("not scanned by the antivirus"), "{reason}");

    let incidents = chain.get("/api/incidents?category=malware&limit=100").await;
    let items = incidents["items"].as_array().expect("items");
    let by_file: HashMap<&str, &Value> = items
        .iter()
        .map(|i| (i["file"].as_str().unwrap_or_default(), i))
        .collect();
    assert_eq!(by_file.len(), 4, "{incidents}");
    let eicar = by_file["eicar.txt"];
    assert_eq!(
        (
            &eicar["detector"],
            &eicar["source"],
            &eicar["action"],
            &eicar["author"]
        ),
        (
            &json!(EICAR_SIGNATURE),
            &json!("postprocessing"),
            &json!("block"),
            &json!("ann")
        )
    );
    assert_eq!(by_file["report.docx"]["detector"], PATTERN_SIGNATURE);
    assert_eq!(by_file["big.log"]["detector"], "unscannable");
    // The decision log is written in the background: wait for the antivirus step's decisions.
    let mut seen = String::new();
    for _ in 0..100 {
        seen = chain.get("/api/decisions?limit=100").await.to_string();
        if seen.contains(EICAR_SIGNATURE) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        seen.contains(EICAR_SIGNATURE) && seen.contains("\"malware\""),
        "policies saw the malware findings: {seen}"
    );

    // The other order: the antivirus first stops the chain before DLP.
    let (base, gateway) = serve_files(&files[6..7]).await;
    let reversed = start_chain(&clamd, "virusscan,dlp", |_| {}).await;
    reversed.upload(&base, "both.zip").await;
    let got = reversed.outcomes(&gateway, 1).await;
    deleted_by(&got, "both.zip", "virusscan");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_clamd_down_an_upload_waits_and_is_scanned_when_it_is_back() {
    let mut clamd = start_clamd();
    let (base, gateway) = serve_files(&[("eicar.txt", EICAR.to_vec())]).await;
    // Attempts to spare: the waiting task must not reach its last attempt here.
    let chain = start_chain(&clamd, "dlp,virusscan", |c| c.queue.max_attempts = 50).await;
    tokio::task::block_in_place(|| clamd.stop());
    chain.upload(&base, "eicar.txt").await;
    for _ in 0..5 {
        chain.worker.tick().await.expect("tick");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        gateway.outcomes.lock().unwrap().is_empty(),
        "nothing decided while clamd is down"
    );
    let stats = chain.queue.stats().await.expect("stats");
    assert_eq!(
        (stats.dead, stats.ready + stats.delayed),
        (0, 1),
        "{stats:?}"
    );

    let (_, ready) = chain.server.call("GET", "/readyz", &[], None).await;
    assert_eq!(
        ready["checks"]["antivirus"]["status"], "unreachable",
        "{ready}"
    );
    let metrics = chain.server.call("GET", "/metrics", &[], None).await.1;
    let metrics = metrics.as_str().unwrap_or_default();
    let down = format!("leakwall_antivirus_up{{clamd=\"{}\"}} 0", clamd.tcp_url());
    assert!(metrics.contains(&down), "{down}: {metrics}");

    tokio::task::block_in_place(|| clamd.restart());
    let got = chain.outcomes(&gateway, 1).await;
    assert!(deleted_by(&got, "eicar.txt", "virusscan").contains(EICAR_SIGNATURE));
    let (status, ready) = chain.server.call("GET", "/readyz", &[], None).await;
    assert_eq!(status, 200);
    assert_eq!(ready["checks"]["antivirus"]["status"], "ok", "{ready}");
    assert!(ready["checks"]["antivirus"]["version"]
        .as_str()
        .is_some_and(|v| v.starts_with("ClamAV")));
    let metrics = chain.server.call("GET", "/metrics", &[], None).await.1;
    let metrics = metrics.as_str().unwrap_or_default();
    let up = format!("leakwall_antivirus_up{{clamd=\"{}\"}} 1", clamd.tcp_url());
    for line in [
        up.as_str(),
        "leakwall_antivirus_scans_total{result=\"infected\"}",
        "leakwall_antivirus_scans_total{result=\"unavailable\"}",
        "leakwall_antivirus_scan_duration_seconds",
    ] {
        assert!(metrics.contains(line), "{line}: {metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_clamd_down_the_fail_modes_reject_or_pass_never_silently() {
    let mut clamd = start_clamd();
    let (base, gateway) = serve_files(&[("a.txt", b"hello".to_vec())]).await;
    let closed = start_chain(&clamd, "virusscan", |c| c.queue.max_attempts = 1).await;
    let open = start_chain(&clamd, "virusscan", |c| {
        c.antivirus.fail_mode.postprocessing = FailMode::Open;
    })
    .await;
    tokio::task::block_in_place(|| clamd.stop());
    closed.upload(&base, "a.txt").await;
    let got = closed.outcomes(&gateway, 1).await;
    let reason = deleted_by(&got, "a.txt", "virusscan");
    assert!(
        reason.contains("not scanned by the antivirus"),
        "the last attempt rejects: {reason}"
    );
    let incidents = closed.get("/api/incidents?file=a.txt").await;
    let masked = incidents["items"][0]["excerpt"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        masked.contains("antivirus unavailable"),
        "recorded with the reason: {incidents}"
    );

    gateway.outcomes.lock().unwrap().clear();
    open.upload(&base, "a.txt").await;
    let got = open.outcomes(&gateway, 1).await;
    assert_eq!(
        got["a.txt"]["outcome"], "continue",
        "fail-open lets it through"
    );
    let metrics = open.server.call("GET", "/metrics", &[], None).await.1;
    assert!(
        metrics
            .as_str()
            .unwrap_or_default()
            .contains("leakwall_antivirus_failed_open_total{connector=\"postprocessing\"}"),
        "and counts it"
    );
}

#[test]
fn virusscan_needs_clamd_and_the_settings_name_their_key() {
    let mut config = Config::default();
    config.postprocessing.steps = vec!["dlp".into(), "virusscan".into()];
    let error = config.clone().validate().expect_err("no clamd").to_string();
    assert!(error.contains("antivirus.clamd"), "{error}");
    config.antivirus.clamd = "tcp://127.0.0.1:3310".into();
    let settings = config.clone().validate().expect("valid");
    assert!(settings.antivirus.is_some());
    config.antivirus.clamd = "clamd.local:3310".into();
    let error = config.validate().expect_err("no scheme").to_string();
    assert!(error.contains("antivirus.clamd"), "{error}");
    let yaml = "antivirus: {clamd: 'unix:///run/clamav/clamd.ctl', fail_mode: {slack: sometimes}}";
    assert!(serde_yaml::from_str::<Config>(yaml).is_err());
}
