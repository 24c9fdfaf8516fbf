//! Policies stored through the admin API (checked, versioned, audited, used at once) and the
//! decision log (every decision recorded with its input masked, read through the API).

use std::time::Duration;

use leakwall_server::Config;
use serde_json::{json, Value};

use crate::support::{Db, TestServer};

/// A server on SQLite with `config`, its policies loaded, and an admin bearer token.
pub async fn start(config: Config) -> (TestServer, String) {
    let mut server = TestServer::start(Db::Sqlite, config).await.expect("server");
    server.state = server.state.clone().with_policies().await;
    let (_, key) = server
        .store
        .create_api_key("p", "p", &["admin".into()], None)
        .await
        .expect("key");
    (server, format!("Bearer {key}"))
}

fn policy(name: &str, source: &str) -> String {
    json!({"name": name, "source": source}).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_policies_are_checked_versioned_and_used_at_once() {
    let (server, bearer) = start(Config::default()).await;
    let h = [("authorization", bearer.as_str())];
    let (status, _) = server.call("GET", "/v1/data/gate/allowed", &h, None).await;
    assert_eq!(status, 404, "no policy exists yet");

    let gate = policy("gate", "package gate\n\nallowed := input.n > 1\n");
    let (status, created) = server.call("POST", "/api/policies", &h, Some(&gate)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("id");
    let ask = |n: i64| json!({"input": {"n": n}}).to_string();
    let (_, two) = server
        .call("POST", "/v1/data/gate/allowed", &h, Some(&ask(2)))
        .await;
    assert_eq!(two["result"], true, "used without a restart: {two}");

    let broken = policy("broken", "package broken\n\nallowed := \n");
    let (status, refused) = server
        .call("POST", "/api/policies", &h, Some(&broken))
        .await;
    assert_eq!(status, 400, "refused as OPA's policy API does: {refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("compile"),
        "{refused}"
    );
    let bad_change = json!({"source": "package gate\n\nallowed := {\n"}).to_string();
    let path = format!("/api/policies/{id}");
    let (status, _) = server.call("PATCH", &path, &h, Some(&bad_change)).await;
    assert_eq!(status, 400, "an update that does not compile is refused");

    let change = json!({"source": "package gate\n\nallowed := input.n > 5\n"}).to_string();
    let (status, changed) = server.call("PATCH", &path, &h, Some(&change)).await;
    assert_eq!(
        (status.as_u16(), &changed["version"]),
        (200, &json!(2)),
        "{changed}"
    );
    let (_, two) = server
        .call("POST", "/v1/data/gate/allowed", &h, Some(&ask(2)))
        .await;
    assert_eq!(two["result"], false, "the new version decides: {two}");
    let (_, history) = server
        .call("GET", &format!("/api/history/policies/{id}"), &h, None)
        .await;
    assert_eq!(history.as_array().map(Vec::len), Some(2), "{history}");
    assert_eq!(
        history[1]["item"]["source"],
        "package gate\n\nallowed := input.n > 5\n"
    );

    let off = json!({"enabled": false}).to_string();
    let (status, _) = server.call("PATCH", &path, &h, Some(&off)).await;
    assert_eq!(status, 200);
    let (status, _) = server
        .call("POST", "/v1/data/gate/allowed", &h, Some(&ask(9)))
        .await;
    assert_eq!(status, 404, "a disabled policy is unloaded");
    server.finish().await;
}

async fn decisions(server: &TestServer, h: &[(&str, &str)], query: &str, n: usize) -> Value {
    for _ in 0..100 {
        let (status, listed) = server
            .call("GET", &format!("/api/decisions{query}"), h, None)
            .await;
        assert_eq!(status, 200, "{listed}");
        if listed["items"].as_array().map(Vec::len) >= Some(n) {
            return listed;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {n} decisions were logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_decision_is_logged_with_its_input_masked() {
    let mut config = Config::default();
    config.policies.decision_log.mask = vec!["/input/user/mail".into()];
    let (server, bearer) = start(config).await;
    let h = [("authorization", bearer.as_str())];
    let gate = policy(
        "gate",
        "package gate\n\nallowed if input.user.name == \"ann\"\n",
    );
    let (status, _) = server.call("POST", "/api/policies", &h, Some(&gate)).await;
    assert_eq!(status, 201);
    let ann = json!({"input": {"user": {"name": "ann", "mail": "ann@corp.example"}}});
    let (_, allowed) = server
        .call("POST", "/v1/data/gate/allowed", &h, Some(&ann.to_string()))
        .await;
    assert_eq!(allowed["result"], true, "{allowed}");
    let decision_id = allowed["decision_id"]
        .as_str()
        .expect("a decision id")
        .to_owned();
    let bob = json!({"input": {"user": {"name": "bob"}}}).to_string();
    let (_, undefined) = server
        .call("POST", "/v1/data/gate/allowed", &h, Some(&bob))
        .await;
    assert!(undefined.get("result").is_none(), "{undefined}");

    let listed = decisions(&server, &h, "?origin=data", 2).await;
    let items = listed["items"].as_array().expect("items");
    assert_eq!(
        items[0]["input"],
        json!({"user": {"name": "bob"}}),
        "newest first"
    );
    assert_eq!(items[0]["allowed"], false);
    assert!(
        items[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("undefined"),
        "{listed}"
    );
    let first = &items[1];
    assert_eq!(first["decision_id"], json!(decision_id));
    assert_eq!(first["query"], "data.gate.allowed");
    assert_eq!(first["result"], true);
    assert_eq!(
        first["input"],
        json!({"user": {"name": "ann"}}),
        "the mail is erased"
    );
    assert_eq!(first["erased"], json!(["/input/user/mail"]));
    assert!(first["policy_version"]
        .as_str()
        .is_some_and(|v| v.len() == 16));
    assert!(!listed.to_string().contains("ann@corp.example"));

    let (status, one) = server
        .call("GET", &format!("/api/decisions/{decision_id}"), &h, None)
        .await;
    assert_eq!(
        (status.as_u16(), &one["decision_id"]),
        (200, &json!(decision_id))
    );
    let (status, _) = server
        .call("GET", "/api/decisions/no-such-id", &h, None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = server.call("GET", "/api/decisions", &[], None).await;
    assert_eq!(status, 401);
    server.finish().await;
}
