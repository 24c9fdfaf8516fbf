//! Sharing rules through the server: settings through the admin API (audited, refused unless
//! they build, used at once and by other processes on their next reload), decisions from
//! `POST /v1/sharing/evaluate` and gRPC `EvaluateSharing`, incidents for every warning and
//! rejection, and malformed input answered 4xx with a stable kind and nothing recorded.

use leakwall_server::grpc::proto::ocis::services::policies::v0::{
    SharingChange, SharingEntry, SharingFolder,
};
use leakwall_server::grpc::{EvaluateSharingRequest, PoliciesProviderClient};
use leakwall_server::{AppState, Config};
use serde_json::{json, Value};
use tonic::transport::Channel;

use crate::decisions::start;
use crate::support::{Db, TestServer};

fn settings() -> Value {
    json!({
        "enabled": true,
        "internal_pattern": "[a-z.]+@corp\\.example",
        "trusted_users": ["trusted@corp.example"],
        "groups": {"staff": ["ann@corp.example", "bob@corp.example"]},
    })
}

/// Rule 1: ann shares /Projects/Alpha (where bob writes) with ext.
fn external_share() -> Value {
    json!({
        "folder": {"path": "/Projects/Alpha", "owner": "ann@corp.example"},
        "access": [
            {"share_id": "11", "share_type": "user", "grantee": "bob@corp.example", "flags": ["WRITE"]},
            {"share_id": "12", "share_type": "user", "grantee": "carl@corp.example", "flags": []},
        ],
        "change": {"kind": "create", "share_type": "user", "grantee": "ext@partner.example"},
        "actor": "ann@corp.example",
    })
}

/// Rule 2: carl is given WRITE on a folder shared with ext.
fn write_on_external() -> Value {
    json!({
        "folder": {"path": "/Projects/Alpha"},
        "access": [{"path": "/Projects", "share_id": "21", "share_type": "user",
            "grantee": "ext@partner.example", "flags": []}],
        "change": {"kind": "create", "share_type": "user", "grantee": "carl@corp.example",
            "flags": ["WRITE"]},
        "actor": "ann@corp.example",
    })
}

async fn put_settings(server: &TestServer, h: &[(&str, &str)], body: &Value) -> (u16, Value) {
    let (status, answer) = server
        .call("PATCH", "/api/sharing/settings", h, Some(&body.to_string()))
        .await;
    (status.as_u16(), answer)
}

async fn evaluate(server: &TestServer, h: &[(&str, &str)], body: &Value) -> (u16, Value) {
    let (status, answer) = server
        .call("POST", "/v1/sharing/evaluate", h, Some(&body.to_string()))
        .await;
    (status.as_u16(), answer)
}

async fn incidents(server: &TestServer, h: &[(&str, &str)]) -> Vec<Value> {
    let (status, listed) = server
        .call("GET", "/api/incidents?source=sharing&order=asc", h, None)
        .await;
    assert_eq!(status, 200, "{listed}");
    listed["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_checked_audited_and_used_at_once() {
    let (server, bearer) = start(Config::default()).await;
    let h = [("authorization", bearer.as_str())];

    let (status, _) = server.call("GET", "/api/sharing/settings", &[], None).await;
    assert_eq!(status, 401, "the admin API needs a caller");
    let (status, current) = server.call("GET", "/api/sharing/settings", &h, None).await;
    assert_eq!((status.as_u16(), &current["enabled"]), (200, &json!(false)));

    let (status, off) = evaluate(&server, &h, &external_share()).await;
    assert_eq!(
        (status, &off["decision"]),
        (200, &json!("allow")),
        "off by default: {off}"
    );

    for (bad, kind) in [
        (json!({"enabled": true}), "invalid_internal_pattern"),
        (json!([]), "malformed"),
        (
            json!({"enabled": true, "internal_pattern": "(corp"}),
            "invalid_internal_pattern",
        ),
        (
            json!({"enabled": true, "internal_pattern": ".*", "trusted_users": ["x"]}),
            "invalid_address",
        ),
        (
            json!({"enabled": true, "internal_pattern": ".*", "rules": {"r": "package sharing\nx := {"}}),
            "invalid_sharing_settings",
        ),
        (json!({"enabled": true, "pattern": ".*"}), "malformed"),
    ] {
        let (status, refused) = put_settings(&server, &h, &bad).await;
        assert_eq!(status, 400, "{bad}: {refused}");
        assert_eq!(refused["error"]["kind"], kind, "{refused}");
    }
    let (_, still) = server.call("GET", "/api/sharing/settings", &h, None).await;
    assert_eq!(
        still["enabled"], false,
        "nothing written by a refused change: {still}"
    );

    let (status, saved) = put_settings(&server, &h, &settings()).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["trusted_users"], json!(["trusted@corp.example"]));
    let (_, warned) = evaluate(&server, &h, &external_share()).await;
    assert_eq!(
        warned["decision"], "warn",
        "used without a restart: {warned}"
    );

    let (_, audit) = server
        .call("GET", "/api/audit?resource=sharing_settings", &h, None)
        .await;
    let records = audit["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(records.len(), 1, "one audited write: {audit}");
    assert_eq!(
        records[0]["body"]["internal_pattern"],
        "[a-z.]+@corp\\.example"
    );

    // Another process over the same database sees the change on its next reload.
    let other = AppState::new(
        server.store.clone(),
        Config::default().validate().expect("valid"),
    );
    let mut disabled = settings();
    disabled["enabled"] = json!(false);
    let (status, _) = put_settings(&server, &h, &disabled).await;
    assert_eq!(status, 200);
    let request =
        leakwall_policy::sharing::ShareRequest::from_json(external_share()).expect("request");
    let decided = other
        .sharing
        .evaluate(request.clone(), "http")
        .await
        .expect("decision");
    assert_eq!(
        decided.decision.as_str(),
        "allow",
        "the other process reads the new row"
    );
    put_settings(&server, &h, &settings()).await;
    other.sharing.reload().await.expect("reload");
    let decided = other
        .sharing
        .evaluate(request, "http")
        .await
        .expect("decision");
    assert_eq!(
        decided.decision.as_str(),
        "warn",
        "and the next change on its reload"
    );
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_warn_and_reject_are_incidents() {
    let (server, bearer) = start(Config::default()).await;
    let h = [("authorization", bearer.as_str())];
    let (status, _) = evaluate(&server, &[], &external_share()).await;
    assert_eq!(status, 401, "same authentication as /v1/scan");
    put_settings(&server, &h, &settings()).await;

    let (status, warned) = evaluate(&server, &h, &external_share()).await;
    assert_eq!(status, 200, "{warned}");
    assert_eq!(warned["decision"], "warn");
    assert_eq!(warned["rule"], "external_share");
    assert_eq!(
        warned["side_effects"],
        json!([{"action": "revoke", "flag": "WRITE", "grantee": "bob@corp.example",
            "share_id": "11", "path": "/Projects/Alpha"}])
    );

    let (_, rejected) = evaluate(&server, &h, &write_on_external()).await;
    assert_eq!(rejected["decision"], "reject", "{rejected}");
    assert_eq!(rejected["rule"], "write_on_external");
    assert!(rejected["message"]
        .as_str()
        .unwrap_or_default()
        .contains("ext@partner.example"));
    assert_eq!(rejected["external_users"], json!(["ext@partner.example"]));

    let mut read_only = write_on_external();
    read_only["change"]["flags"] = json!([]);
    let (_, allowed) = evaluate(&server, &h, &read_only).await;
    assert_eq!(allowed["decision"], "allow", "{allowed}");

    let recorded = incidents(&server, &h).await;
    assert_eq!(
        recorded.len(),
        2,
        "a warning and a rejection, not the allow: {recorded:?}"
    );
    let warn = &recorded[0];
    assert_eq!(
        (
            &warn["file"],
            &warn["author"],
            &warn["location"],
            &warn["detector"],
            &warn["action"]
        ),
        (
            &json!("/Projects/Alpha"),
            &json!("ann@corp.example"),
            &json!("ext@partner.example"),
            &json!("external_share"),
            &json!("warn")
        )
    );
    assert!(warn["excerpt"]
        .as_str()
        .unwrap_or_default()
        .contains("revoke WRITE from bob@corp.example"));
    assert_eq!(recorded[1]["action"], "reject");
    assert_eq!(recorded[1]["location"], "carl@corp.example");
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_are_4xx_with_a_kind_and_change_nothing() {
    let (server, bearer) = start(Config::default()).await;
    let h = [("authorization", bearer.as_str())];
    put_settings(&server, &h, &settings()).await;
    let mut unknown_flag = external_share();
    unknown_flag["change"]["flags"] = json!(["WRITE", "OWN"]);
    let mut bad_address = external_share();
    bad_address["change"]["grantee"] = json!("ext at partner");
    let mut bad_type = external_share();
    bad_type["change"]["share_type"] = json!("circle");
    let mut unknown_share = external_share();
    unknown_share["change"] = json!({"kind": "update", "share_id": "99", "flags": ["WRITE"]});
    for (body, status, kind) in [
        (unknown_flag, 400, "unknown_flag"),
        (bad_address, 400, "invalid_address"),
        (bad_type, 400, "unknown_share_type"),
        (unknown_share, 404, "unknown_share"),
        (json!({"folder": {"path": "/a"}}), 400, "malformed"),
        (json!([1, 2]), 400, "malformed"),
    ] {
        let (got, answer) = evaluate(&server, &h, &body).await;
        assert_eq!(got, status, "{answer}");
        assert_eq!(answer["error"]["kind"], kind, "{answer}");
        assert!(answer["error"]["code"].is_string(), "{answer}");
    }
    assert!(incidents(&server, &h).await.is_empty(), "nothing recorded");
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_the_sharing_routes() {
    let (server, _) = start(Config::default()).await;
    let (_, doc) = server.call("GET", "/api/openapi.json", &[], None).await;
    let evaluate = &doc["paths"]["/v1/sharing/evaluate"]["post"];
    assert_eq!(
        evaluate["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/SharingRequest"
    );
    assert!(evaluate["security"].is_array(), "authenticated: {evaluate}");
    assert!(
        doc["components"]["schemas"]["SharingDecision"]["properties"]["side_effects"].is_object()
    );
    assert!(doc["paths"]["/api/sharing/settings"]["patch"].is_object());
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_evaluate_sharing_decides_like_http() {
    let (server, bearer) = start(Config::default()).await;
    let h = [("authorization", bearer.as_str())];
    put_settings(&server, &h, &settings()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(leakwall_server::grpc::serve(
        server.state.clone(),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut client = PoliciesProviderClient::new(channel);
    let request = |flags: Vec<String>| EvaluateSharingRequest {
        folder: Some(SharingFolder {
            path: "/Projects/Alpha".into(),
            owner: String::new(),
        }),
        access: vec![SharingEntry {
            path: "/Projects".into(),
            share_id: "21".into(),
            share_type: "link".into(),
            grantee: String::new(),
            flags: Vec::new(),
        }],
        change: Some(SharingChange {
            kind: "create".into(),
            share_type: "user".into(),
            grantee: "carl@corp.example".into(),
            flags,
            share_id: String::new(),
        }),
        actor: "ann@corp.example".into(),
    };
    let rejected = client
        .evaluate_sharing(request(vec!["WRITE".into()]))
        .await
        .expect("answer")
        .into_inner();
    assert_eq!(
        (rejected.decision.as_str(), rejected.rule.as_str()),
        ("reject", "write_on_external")
    );
    assert_eq!(rejected.external_users, ["public link 21"]);
    let allowed = client
        .evaluate_sharing(request(Vec::new()))
        .await
        .expect("answer")
        .into_inner();
    assert_eq!(
        (allowed.decision.as_str(), allowed.rule.as_str()),
        ("allow", "")
    );
    let error = client
        .evaluate_sharing(request(vec!["OWN".into()]))
        .await
        .expect_err("unknown flag");
    assert_eq!(error.code(), tonic::Code::InvalidArgument);
    assert!(
        error.message().starts_with("unknown_flag"),
        "{}",
        error.message()
    );
    let recorded = incidents(&server, &h).await;
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0]["channel"], "grpc");
    let _ = stop.send(());
    serving.await.expect("join").expect("served");
    server.finish().await;
}

/// The settings row and the incidents on both databases.
async fn settings_and_incidents_are_stored(db: Db) {
    let Some(server) = TestServer::start(db, Config::default()).await else {
        return;
    };
    let (_, key) = server
        .store
        .create_api_key("s", "s", &["admin".into()], None)
        .await
        .expect("key");
    let bearer = format!("Bearer {key}");
    let h = [("authorization", bearer.as_str())];
    let (status, saved) = put_settings(&server, &h, &settings()).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["groups"]["staff"][1], "bob@corp.example");
    assert!(saved["updated_at"].is_string(), "{saved}");
    let (_, warned) = evaluate(&server, &h, &external_share()).await;
    assert_eq!(warned["decision"], "warn", "{warned}");
    assert_eq!(incidents(&server, &h).await.len(), 1);
    server.finish().await;
}
crate::both!(settings_and_incidents_are_stored);
