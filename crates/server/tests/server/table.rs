//! Every route × every permission shape: allowed, forbidden, filtered, excluded fields.
//! The rows run in order on one database; each names the caller, the call and the expected
//! status, and most check the body too.

use std::collections::HashMap;

use leakwall_server::config::OidcConfig;
use leakwall_server::Config;
use leakwall_store::{schemas, Item, Store};
use serde_json::{json, Value};

use crate::both;
use crate::support::{Db, TestServer};

fn item(value: Value) -> Item {
    match value {
        Value::Object(map) => map,
        _ => panic!("not an object"),
    }
}

async fn group(store: &Store, value: Value) {
    store
        .create(&schemas::GROUPS, item(value), None)
        .await
        .expect("group");
}

/// The admin data of the table: groups, keys, OIDC groups and three incidents.
async fn seed(store: &Store) -> (HashMap<&'static str, String>, Vec<i64>) {
    group(
        store,
        json!({"id": "reader", "permitted_endpoints": [{"method": "GET", "endpoint": "^/.*$"}]}),
    )
    .await;
    group(
        store,
        json!({"id": "analyst",
        "permitted_endpoints": [{"method": "GET", "endpoint": "^/incidents"},
                                {"method": "PATCH", "endpoint": "^/incidents/[0-9]+$"}],
        "filter_fields": [{"field": "channel", "value": "C1"}],
        "exclude_fields": ["excerpt"],
        "update_fields_permitted": ["status"]}),
    )
    .await;
    group(
        store,
        json!({"id": "auditor", "permitted_endpoints": [{"method": "GET", "endpoint": "^/audit"}]}),
    )
    .await;
    group(store, json!({"id": "nothing"})).await;
    for (id, channel) in [("gc1", "C1"), ("gc2", "C2")] {
        group(
            store,
            json!({"id": id,
            "permitted_endpoints": [{"method": "GET", "endpoint": "^/incidents"}],
            "filter_fields": [{"field": "channel", "value": [channel]}]}),
        )
        .await;
        let principal = json!({"id": format!("oidc-{id}"), "type": "OIDC_GROUP", "groups": [id]});
        store
            .create(&schemas::PRINCIPALS, item(principal), None)
            .await
            .expect("oidc group");
    }
    let mut keys = HashMap::new();
    for (who, g) in [
        ("admin", "admin"),
        ("reader", "reader"),
        ("analyst", "analyst"),
        ("auditor", "auditor"),
        ("nothing", "nothing"),
        ("disabled", "reader"),
        ("ghosted", "ghost"),
    ] {
        let (principal, secret) = store
            .create_api_key(who, "tester", &[g.to_owned()], None)
            .await
            .expect("key");
        keys.insert(who, secret);
        if who == "disabled" {
            let id = principal.get("id").cloned().expect("id");
            let patch = item(json!({"enabled": false}));
            store
                .update(&schemas::PRINCIPALS, &None, &id, patch, &|_| Ok(()), None)
                .await
                .expect("disable");
        }
    }
    let mut ids = Vec::new();
    for (channel, author) in [("C1", "ann"), ("C1", "bob"), ("C2", "cid")] {
        let incident = json!({"source": "slack", "channel": channel, "author": author,
            "detector": "credit_card", "category": "financial", "excerpt": "4111********1111"});
        let audit = seed_audit();
        let stored = store
            .create(&schemas::INCIDENTS, item(incident), Some(audit))
            .await
            .expect("incident");
        ids.push(stored.get("id").and_then(Value::as_i64).expect("id"));
    }
    (keys, ids)
}

fn seed_audit() -> leakwall_store::AuditEntry {
    leakwall_store::AuditEntry {
        action: "CREATE".into(),
        method: "POST".into(),
        path: "/api/incidents".into(),
        path_params: Value::Null,
        query_params: Value::Null,
        body: Value::Null,
        user: json!({"username": "seed"}),
        user_id: "seed".into(),
        source_ip: "127.0.0.1".into(),
        user_agent: "test".into(),
    }
}

struct Row {
    who: &'static str,
    method: &'static str,
    path: String,
    body: Option<String>,
    status: u16,
    check: fn(&Value) -> bool,
}

fn row(who: &'static str, method: &'static str, path: impl Into<String>, status: u16) -> Row {
    Row {
        who,
        method,
        path: path.into(),
        body: None,
        status,
        check: |_| true,
    }
}

impl Row {
    fn body(mut self, body: Value) -> Row {
        self.body = Some(body.to_string());
        self
    }
    fn raw(mut self, body: &str) -> Row {
        self.body = Some(body.to_owned());
        self
    }
    fn check(mut self, check: fn(&Value) -> bool) -> Row {
        self.check = check;
        self
    }
}

fn count(v: &Value) -> usize {
    v["items"].as_array().map_or(usize::MAX, Vec::len)
}

fn channels(v: &Value) -> Vec<&str> {
    let mut c: Vec<&str> = v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["channel"].as_str())
        .collect();
    c.sort_unstable();
    c
}

fn no_excerpt(v: &Value) -> bool {
    v["items"]
        .as_array()
        .is_some_and(|items| items.iter().all(|i| i.get("excerpt").is_none()))
}

fn code_is(v: &Value, code: &str) -> bool {
    v["error"]["code"] == code
}

fn rows(ids: &[i64]) -> Vec<Row> {
    let (i1, i2, i3) = (ids[0], ids[1], ids[2]);
    vec![
        // Who may call at all.
        row("none", "GET", "/api/incidents", 401).check(|v| code_is(v, "unauthorized")),
        row("bogus", "GET", "/api/incidents", 401),
        row("disabled", "GET", "/api/incidents", 401),
        row("nothing", "GET", "/api/incidents", 403).check(|v| code_is(v, "forbidden")),
        // A key whose group does not exist is refused, naming the problem.
        row("ghosted", "GET", "/api/incidents", 403).check(|v| {
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("ghost"))
        }),
        row("oidc-untrusted:gc1", "GET", "/api/incidents", 401),
        row("oidc:unknown-group", "GET", "/api/incidents", 401),
        // Admin: every route.
        row("admin", "GET", "/api/incidents", 200).check(|v| count(v) == 3),
        row("admin", "GET", "/api/incidents?channel=C1", 200)
            .check(|v| channels(v) == ["C1", "C1"]),
        row(
            "admin",
            "GET",
            "/api/incidents?author__in=[\"ann\",\"cid\"]",
            200,
        )
        .check(|v| count(v) == 2),
        row("admin", "GET", "/api/incidents?author__startswith=b", 200).check(|v| count(v) == 1),
        row("admin", "GET", "/api/incidents/by/channel/C2", 200).check(|v| channels(v) == ["C2"]),
        row(
            "admin",
            "GET",
            "/api/incidents/by/channel/C2?channel=C1",
            200,
        )
        .check(|v| channels(v) == ["C2"]),
        row("admin", "GET", "/api/incidents/values/channel", 200)
            .check(|v| *v == json!(["C1", "C2"])),
        row("admin", "POST", "/api/incidents/search/author", 200)
            .body(json!(["bob", "cid"]))
            .check(|v| count(v) == 2),
        row("admin", "GET", format!("/api/incidents/{i1}"), 200)
            .check(|v| v["author"] == "ann" && v["status"] == "open"),
        row("admin", "GET", "/api/incidents/999999", 404).check(|v| code_is(v, "not_found")),
        row("admin", "GET", "/api/incidents?limit=2", 200)
            .check(|v| count(v) == 2 && !v["next"].is_null()),
        row("admin", "GET", "/api/incidents?channel__bogus=1", 400)
            .check(|v| code_is(v, "bad_request")),
        row("admin", "GET", "/api/incidents?author__in=[oops", 400),
        row("admin", "GET", "/api/incidents?nosuchfield=1", 400),
        row("admin", "GET", "/api/nosuchresource", 404),
        row("admin", "POST", "/api/incidents", 201)
            .body(json!({"source": "webex", "channel": "C2", "detector": "aws_access_key"}))
            .check(|v| v["id"].is_i64() && v["status"] == "open"),
        row("admin", "POST", "/api/incidents", 400).raw("{not json"),
        row("admin", "POST", "/api/incidents", 400)
            .body(json!({"source": "x", "detector": "y", "nope": 1}))
            .check(|v| {
                v["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("nope"))
            }),
        row("admin", "POST", "/api/incidents", 400)
            .body(json!({"channel": "C1"}))
            .check(|v| {
                v["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("required"))
            }),
        row("admin", "POST", "/api/incidents", 400)
            .body(json!({"source": "x", "detector": "y", "status": "bogus"})),
        row("admin", "PATCH", format!("/api/incidents/{i2}"), 200)
            .body(json!({"status": "resolved"}))
            .check(|v| v["status"] == "resolved"),
        row("admin", "PATCH", format!("/api/incidents/{i2}"), 400).body(json!({"id": 5})),
        row("admin", "DELETE", format!("/api/incidents/{i3}"), 200).check(|v| v["channel"] == "C2"),
        row("admin", "DELETE", format!("/api/incidents/{i3}"), 404),
        row("admin", "GET", format!("/api/history/incidents/{i2}"), 200).check(|v| {
            v.as_array()
                .is_some_and(|h| h.len() == 2 && h[1]["item"]["status"] == "resolved")
        }),
        row("admin", "GET", format!("/api/history/incidents/{i3}"), 200).check(|v| {
            v.as_array()
                .is_some_and(|h| h.last().is_some_and(|l| l["item"].is_null()))
        }),
        row("admin", "GET", format!("/api/audit/incidents/{i2}"), 200).check(|v| count(v) >= 2),
        row("admin", "GET", "/api/audit?action=UPDATE", 200)
            .check(|v| count(v) == 1 && v["items"][0]["method"] == "PATCH"),
        row("admin", "GET", "/api/user", 200).check(|v| {
            v["identities"][0]["type"] == "API_KEY" && v["user"]["source_ip"] == "127.0.0.1"
        }),
        row("admin", "POST", "/api/user/has-permission", 200)
            .body(json!({"method": "DELETE", "path": "/api/groups/x"}))
            .check(|v| v["permitted"] == true),
        row("admin", "POST", "/api/detectors", 201)
            .body(json!({"name": "employee_id", "pattern": "EMP-[0-9]{6}", "category": "pii"})),
        row("admin", "POST", "/api/detectors", 422)
            .body(json!({"name": "broken", "pattern": "EMP-(["}))
            .check(|v| {
                code_is(v, "invalid_pattern")
                    && v["error"]["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("broken"))
            }),
        row("admin", "POST", "/api/detectors", 409)
            .body(json!({"name": "employee_id", "pattern": "X-[0-9]+"})),
        row("admin", "POST", "/api/detectors", 400)
            .body(json!({"name": "credit_card", "pattern": "[0-9]+"})),
        row("admin", "PATCH", "/api/detectors/credit_card", 404).body(json!({"enabled": false})),
        row("admin", "POST", "/api/groups", 400).body(
            json!({"id": "badregex", "permitted_endpoints": [{"method": "GET", "endpoint": "(("}]}),
        ),
        row("admin", "POST", "/api/principals", 400)
            .body(json!({"id": "eve", "type": "USERNAME", "groups": ["ghost"]}))
            .check(|v| {
                v["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("ghost"))
            }),
        row("admin", "POST", "/api/principals", 201)
            .body(json!({"type": "API_KEY", "name": "ci", "groups": ["reader"]}))
            .check(|v| {
                v["key"].as_str().is_some_and(|k| k.starts_with("lw_"))
                    && v.get("key_hash").is_none()
            }),
        row("admin", "DELETE", "/api/groups/admin", 409),
        // Reader: every GET, nothing else.
        row("reader", "GET", "/api/incidents", 200).check(|v| count(v) == 3),
        row("reader", "GET", "/api/principals", 200).check(|v| {
            v["items"]
                .as_array()
                .is_some_and(|p| p.iter().all(|i| i.get("key_hash").is_none()))
        }),
        row("reader", "POST", "/api/incidents", 403).body(json!({"source": "x", "detector": "y"})),
        row("reader", "PATCH", format!("/api/incidents/{i1}"), 403)
            .body(json!({"status": "resolved"})),
        row("reader", "DELETE", format!("/api/incidents/{i1}"), 403),
        row("reader", "POST", "/api/user/has-permission", 403)
            .body(json!({"method": "GET", "path": "/x"})),
        // Analyst: channel C1 only, no excerpts, may change the status only.
        row("analyst", "GET", "/api/incidents", 200)
            .check(|v| channels(v) == ["C1", "C1"] && no_excerpt(v)),
        row("analyst", "GET", "/api/incidents?channel=C2", 200).check(|v| count(v) == 0),
        row("analyst", "GET", "/api/incidents/values/channel", 200).check(|v| *v == json!(["C1"])),
        row(
            "analyst",
            "GET",
            "/api/incidents?excerpt__contains=4111",
            403,
        ),
        row("analyst", "GET", format!("/api/incidents/{i1}"), 200)
            .check(|v| v.get("excerpt").is_none()),
        row("analyst", "PATCH", format!("/api/incidents/{i1}"), 200)
            .body(json!({"status": "acknowledged"})),
        row("analyst", "PATCH", format!("/api/incidents/{i1}"), 403).body(json!({"channel": "C2"})),
        row("analyst", "PATCH", format!("/api/incidents/{i1}"), 403).body(json!({"excerpt": "x"})),
        row("analyst", "GET", "/api/detectors", 403),
        row("analyst", "DELETE", format!("/api/incidents/{i1}"), 403),
        row("analyst", "GET", "/api/audit", 403),
        // Auditor: the audit log only.
        row("auditor", "GET", "/api/audit", 200).check(|v| count(v) > 0),
        row(
            "auditor",
            "GET",
            "/api/audit?resource=incidents&action=DELETE",
            200,
        )
        .check(|v| count(v) == 1),
        row("auditor", "GET", "/api/incidents", 403),
        // OIDC: several groups are ORed; a group alone sees its channel.
        row("oidc:gc1", "GET", "/api/incidents", 200).check(|v| channels(v) == ["C1", "C1"]),
        row("oidc:gc2", "GET", "/api/incidents", 200).check(|v| channels(v) == ["C2"]),
        row("oidc:gc1,gc2", "GET", "/api/incidents", 200)
            .check(|v| channels(v) == ["C1", "C1", "C2"]),
        row("oidc:gc1", "GET", "/api/detectors", 403),
        // The scan API, the data API and the queue are behind the same permissions.
        row("admin", "POST", "/v1/scan", 200)
            .body(json!({"text": "nothing"}))
            .check(|v| v["verdict"] == "allow"),
        row("reader", "POST", "/v1/scan", 403).body(json!({"text": "x"})),
        row("none", "POST", "/v1/scan", 401).body(json!({"text": "x"})),
        row("admin", "GET", "/v1/data/dlp/decision", 404).check(|v| code_is(v, "not_found")),
        row("analyst", "GET", "/v1/data/dlp/decision", 403),
        // The HTTP mapping of the gRPC policy API (no policies in this table).
        row("admin", "POST", "/api/v0/policies/evaluate", 404)
            .body(json!({"query": "data.proxy.granted"}))
            .check(|v| code_is(v, "not_found")),
        row("reader", "POST", "/api/v0/policies/evaluate", 403)
            .body(json!({"query": "data.proxy.granted"})),
        row("none", "POST", "/api/v0/policies/evaluate", 401).body(json!({})),
        row("admin", "GET", "/api/queue", 404),
        row("nothing", "GET", "/api/queue/dead-letters", 403),
        row("analyst", "POST", "/api/queue/dead-letters/1/requeue", 403),
        row("reader", "DELETE", "/api/queue/dead-letters/1", 403),
        // Public routes.
        row("none", "GET", "/healthz", 200),
        row("none", "GET", "/readyz", 200),
        row("none", "GET", "/metrics", 200).check(|v| {
            v.as_str()
                .is_some_and(|m| m.contains("leakwall_http_requests_total"))
        }),
        row("none", "GET", "/api/openapi.json", 200)
            .check(|v| v["paths"]["/api/{resource}/{id}"]["patch"].is_object()),
        row("none", "GET", "/nowhere", 404).check(|v| code_is(v, "not_found")),
    ]
}

fn headers<'a>(
    who: &'a str,
    keys: &'a HashMap<&str, String>,
) -> (Vec<(&'a str, &'a str)>, &'static str) {
    if let Some(groups) = who.strip_prefix("oidc:") {
        let h = vec![("oidc_claim_sub", "pat"), ("oidc_claim_groups", groups)];
        return (h, "127.0.0.1:5000");
    }
    if let Some(groups) = who.strip_prefix("oidc-untrusted:") {
        return (
            vec![("oidc_claim_sub", "pat"), ("oidc_claim_groups", groups)],
            "10.9.8.7:5000",
        );
    }
    match who {
        "none" => (Vec::new(), "127.0.0.1:5000"),
        "bogus" => (
            vec![("authorization", "Bearer lw_bogus_key")],
            "127.0.0.1:5000",
        ),
        _ => (vec![("x-api-key", keys[who].as_str())], "127.0.0.1:5000"),
    }
}

fn oidc_config() -> Config {
    let mut config = Config::default();
    config.auth.oidc = Some(OidcConfig {
        trusted_proxies: vec!["127.0.0.1".parse().expect("ip")],
        ..OidcConfig::default()
    });
    // OIDC group ids in headers are the principal ids.
    config
}

async fn every_route_by_every_role(db: Db) {
    let Some(server) = TestServer::start(db, oidc_config()).await else {
        return;
    };
    let (keys, ids) = seed(&server.store).await;
    let mut failures = Vec::new();
    for r in rows(&ids) {
        let who = r.who.replace("gc", "oidc-gc");
        let who: &str = if r.who.starts_with("oidc") {
            &who
        } else {
            r.who
        };
        let (h, peer) = headers(who, &keys);
        let (status, body) = server
            .call_from(peer, r.method, &r.path, &h, r.body.as_deref())
            .await;
        if status.as_u16() != r.status || !(r.check)(&body) {
            failures.push(format!(
                "{} {} {} → {status} (want {}) {body}",
                r.who, r.method, r.path, r.status
            ));
        }
    }
    server.finish().await;
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
both!(every_route_by_every_role);
