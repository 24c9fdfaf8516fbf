//! The gRPC policy API of `leakwall serve` as a caller such as the oCIS proxy uses it: the real
//! binary with the example proxy policy and `grpc.listen: 127.0.0.1:0` in its YAML file; the
//! port is read from the "gRPC listening on ADDR" log line, then `Evaluate` is called with a
//! tonic client, and SIGTERM stops the process cleanly.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use leakwall_server::grpc::{
    Environment, EvaluateRequest, PoliciesProviderClient, Request, Resource, Stage,
};
use tonic::Code;

use crate::support::{tempdir, write};

fn example(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "../../policies", name]
        .iter()
        .collect();
    path.display().to_string()
}

fn upload(name: &str) -> EvaluateRequest {
    EvaluateRequest {
        query: "data.proxy.granted".into(),
        environment: Some(Environment {
            stage: Stage::Http as i32,
            request: Some(Request {
                method: "PUT".into(),
                path: format!("/dav/files/alice/{name}"),
            }),
            resource: Some(Resource {
                name: name.into(),
                ..Resource::default()
            }),
            user: None,
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_evaluate_over_grpc_on_the_configured_port() {
    let dir = tempdir();
    let config = format!(
        "policies:\n  engine:\n    policies: ['{}', '{}']\ngrpc:\n  listen: '127.0.0.1:0'\n",
        example("utils.rego"),
        example("proxy.rego")
    );
    let config = write(dir.path(), "leakwall.yaml", config);
    let db = format!("sqlite://{}", dir.path().join("leakwall.db").display());
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
        .current_dir(dir.path())
        .env("LEAKWALL_LOG", "info")
        .env_remove("LEAKWALL_GRPC_LISTEN")
        .env_remove("POLICIES_GRPC_ADDR")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start leakwall serve");
    // Read the log on a thread (to the end, so the child never blocks on a full pipe), passing
    // on the gRPC address and the HTTP one.
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let (found, addrs) = mpsc::channel();
    let log = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in stderr.lines().map_while(Result::ok) {
            for (kind, marker) in [("grpc", "gRPC listening on "), ("http", "serving addr=")] {
                if let Some((_, rest)) = line.split_once(marker) {
                    let addr = rest.split_whitespace().next().unwrap_or_default();
                    let _ = found.send((kind, addr.to_owned()));
                }
            }
            lines.push(line);
        }
        lines.join("\n")
    });
    let (mut grpc, mut http) = (None, None);
    while grpc.is_none() || http.is_none() {
        match addrs.recv_timeout(Duration::from_secs(60)) {
            Ok(("grpc", addr)) => grpc = Some(addr),
            Ok((_, addr)) => http = Some(addr),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "no gRPC or HTTP log line; log:\n{}",
                    log.join().unwrap_or_default()
                );
            }
        }
    }
    let (addr, http) = (grpc.unwrap_or_default(), http.unwrap_or_default());
    assert!(
        addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
        "{addr}"
    );

    let mut client = client(&addr).await;
    for (name, want) in [("report.pdf", true), ("setup.exe", false), ("", false)] {
        let result = client
            .evaluate(upload(name))
            .await
            .expect(name)
            .into_inner();
        assert_eq!(result.result, want, "{name}");
    }
    let mut bad = upload("report.pdf");
    bad.query = "data.proxy.granted; true".into();
    let status = client.evaluate(bad).await.expect_err("bad query");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");

    // SIGTERM once HTTP answers too (serve handles the signal from then on).
    let health = reqwest::get(format!("http://{http}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(killed.is_ok_and(|s| s.success()));
    let status = child.wait().expect("serve exits");
    let log = log.join().unwrap_or_default();
    assert!(status.success(), "serve exited with {status}; log:\n{log}");
    assert!(log.contains("stopped"), "{log}");
}

/// A client over a plain HTTP/2 channel to `addr`.
async fn client(addr: &str) -> PoliciesProviderClient<tonic::transport::Channel> {
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect to the gRPC port");
    PoliciesProviderClient::new(channel)
}
