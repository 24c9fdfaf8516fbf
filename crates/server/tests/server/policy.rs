//! Decisions by Rego policies: the scan API's verdict, the OPA-style data API, and a policy
//! change that does not compile leaving the last good set running.

use std::path::PathBuf;

use leakwall_server::Config;
use serde_json::json;

use crate::support::TestServer;

fn example_policies() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies"))
}

async fn start(policies: PathBuf) -> (TestServer, String) {
    let mut config = Config::default();
    config.policies.engine.policies = vec![policies];
    crate::decisions::start(config).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dlp_policy_decides_scans_by_channel() {
    let (server, bearer) = start(example_policies()).await;
    let h = [("authorization", bearer.as_str())];
    let scan = |text: &str, channel: &str| json!({"text": text, "channel": channel}).to_string();
    let card = "card 4111 1111 1111 1111";
    let (status, general) = server
        .call("POST", "/v1/scan", &h, Some(&scan(card, "general")))
        .await;
    assert_eq!(status, 200, "{general}");
    assert_eq!(general["decided_by"], "policy");
    assert_eq!(general["verdict"], "block", "{general}");
    assert!(
        general["reasons"].to_string().contains("payment card"),
        "{general}"
    );
    assert_eq!(general["notify"], json!(["#security-alerts"]));
    let (_, finance) = server
        .call("POST", "/v1/scan", &h, Some(&scan(card, "finance")))
        .await;
    assert_eq!(finance["verdict"], "allow", "{finance}");
    let key = "key AKIAQWERTYUIOPASDFGH";
    let (_, cred) = server
        .call("POST", "/v1/scan", &h, Some(&scan(key, "finance")))
        .await;
    assert_eq!(cred["verdict"], "block", "{cred}");
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_api_answers_like_opa() {
    let (server, bearer) = start(example_policies()).await;
    let h = [("authorization", bearer.as_str())];
    let input = json!({"input": {"channel": {"name": "general"}, "findings": [
        {"detector": "credit_card", "category": "financial", "confidence": 0.9, "start": 0, "end": 16}]}});
    let (status, body) = server
        .call(
            "POST",
            "/v1/data/dlp/decision",
            &h,
            Some(&input.to_string()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["allow"], false, "{body}");
    let (status, body) = server
        .call("GET", "/v1/data/dlp/min_confidence", &h, None)
        .await;
    assert_eq!(
        (status.as_u16(), &body["result"]),
        (200, &json!(0.5)),
        "{body}"
    );
    let (status, body) = server
        .call(
            "POST",
            "/v1/data/dlp/no_such_rule",
            &h,
            Some("{\"input\": {}}"),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        body.get("result").is_none(),
        "undefined has no result: {body}"
    );
    assert!(body["decision_id"].is_string(), "{body}");
    let (status, _) = server
        .call("POST", "/v1/data/dlp/x%20y", &h, Some("{}"))
        .await;
    assert_eq!(status, 400);
    let (status, _) = server
        .call("POST", "/v1/data/dlp/decision", &h, Some("{\"inpt\": 1}"))
        .await;
    assert_eq!(status, 400);
    let (status, _) = server
        .call("POST", "/v1/data/dlp/decision", &[], Some("{}"))
        .await;
    assert_eq!(status, 401);
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_change_keeps_the_last_good_policy() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("gate.rego");
    std::fs::write(&file, "package gate\n\nallowed := true\n").expect("write");
    let (server, bearer) = start(dir.path().to_path_buf()).await;
    let h = [("authorization", bearer.as_str())];
    let policies = server.state.policies.clone().expect("policies");
    let (_, before) = server.call("GET", "/v1/data/gate/allowed", &h, None).await;
    assert_eq!(before["result"], true);

    std::fs::write(&file, "package gate\n\nallowed := \n").expect("break it");
    policies.reload_if_changed().await;
    let (_, during) = server.call("GET", "/v1/data/gate/allowed", &h, None).await;
    assert_eq!(
        during["result"], true,
        "the last good set still answers: {during}"
    );
    let (status, ready) = server.call("GET", "/readyz", &[], None).await;
    assert_eq!(status, 200);
    assert!(ready["checks"]["policies"]["error"].is_string(), "{ready}");

    std::fs::write(&file, "package gate\n\nallowed := false\n# fixed\n").expect("fix it");
    policies.reload_if_changed().await;
    let (_, after) = server.call("GET", "/v1/data/gate/allowed", &h, None).await;
    assert_eq!(after["result"], false, "{after}");
    let (_, ready) = server.call("GET", "/readyz", &[], None).await;
    assert_eq!(ready["checks"]["policies"], "ok");
    server.finish().await;
}
