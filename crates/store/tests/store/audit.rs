//! Audit rows: written with their write or not at all, expiry, and history.

use std::time::Duration;

use leakwall_store::{Op, Page, Store, AUDIT, DETECTORS, INCIDENTS};
use serde_json::{json, Value};

use crate::{accept, cond, entry, obj};

async fn audit_of(store: &Store, item_id: &str) -> Vec<leakwall_store::Item> {
    let conditions = [cond("item_id", Op::Eq, json!(item_id))];
    store
        .list(&AUDIT, &None, &conditions, &Page::default())
        .await
        .unwrap()
        .items
}

pub async fn writes_and_audit_rows_commit_together(store: Store) {
    let given = obj(json!({"name": "d1", "pattern": "x"}));
    store
        .create(&DETECTORS, given.clone(), Some(entry("CREATE")))
        .await
        .unwrap();
    let rows = audit_of(&store, "d1").await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["action"], "CREATE");
    assert_eq!(row["resource"], "detectors");
    assert_eq!(row["body"], Value::Object(given.clone()));
    assert_eq!(row["user"], json!({"username": "alice"}));
    assert_eq!(row["path_params"], Value::Null);
    assert!(!row.contains_key("expires_at"), "hidden");
    assert_eq!(row["time"].as_str().map(str::len), Some(24));

    let failed = store.create(&DETECTORS, given, Some(entry("CREATE"))).await;
    assert!(failed.is_err());
    assert_eq!(
        audit_of(&store, "d1").await.len(),
        1,
        "a failed write leaves no audit row"
    );

    let patch = obj(json!({"pattern": "y"}));
    store
        .update(
            &DETECTORS,
            &None,
            &json!("d1"),
            patch.clone(),
            &accept,
            Some(entry("UPDATE")),
        )
        .await
        .unwrap();
    let bad = obj(json!({"confidence": "high"}));
    let failed = store
        .update(
            &DETECTORS,
            &None,
            &json!("d1"),
            bad,
            &accept,
            Some(entry("UPDATE")),
        )
        .await;
    assert!(failed.is_err());
    store
        .delete(&DETECTORS, &None, &json!("d1"), Some(entry("DELETE")))
        .await
        .unwrap();
    let rows = audit_of(&store, "d1").await;
    let actions: Vec<_> = rows.iter().map(|r| r["action"].clone()).collect();
    assert_eq!(
        actions,
        [json!("DELETE"), json!("UPDATE"), json!("CREATE")],
        "newest first"
    );
    assert_eq!(rows[1]["body"], Value::Object(patch));

    let incident = store
        .create(
            &INCIDENTS,
            obj(json!({"source": "s", "detector": "d"})),
            Some(entry("CREATE")),
        )
        .await
        .unwrap();
    let id = incident["id"].as_i64().unwrap().to_string();
    assert_eq!(audit_of(&store, &id).await[0]["resource"], "incidents");
}

pub async fn reads_are_recorded_and_expire(store: Store) {
    let mut read = entry("LIST");
    read.method = "GET".into();
    read.query_params = json!({"status": "open"});
    store.record(read.clone(), "incidents", None).await.unwrap();
    let short = store.clone().with_audit_ttl(Duration::ZERO);
    short
        .record(entry("GET"), "incidents", Some("1"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let rows = store
        .list(&AUDIT, &None, &[], &Page::default())
        .await
        .unwrap()
        .items;
    assert_eq!(rows.len(), 1, "the expired row is skipped");
    assert_eq!(rows[0]["action"], "LIST");
    assert_eq!(rows[0]["item_id"], Value::Null);
    assert_eq!(rows[0]["query_params"], json!({"status": "open"}));
    let id = rows[0]["id"].clone();
    assert!(store.get(&AUDIT, &None, &id).await.unwrap().is_some());
    assert_eq!(store.purge_expired_audit().await.unwrap(), 1);
    assert_eq!(store.purge_expired_audit().await.unwrap(), 0);
    assert_eq!(
        store
            .list(&AUDIT, &None, &[], &Page::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

pub async fn history_is_rebuilt(store: Store) {
    let created = store
        .create(
            &INCIDENTS,
            obj(json!({"source": "slack", "detector": "iban"})),
            Some(entry("CREATE")),
        )
        .await
        .unwrap();
    let id = created["id"].clone();
    let key = id.as_i64().unwrap().to_string();
    store
        .record(entry("GET"), "incidents", Some(&key))
        .await
        .unwrap();
    for patch in [
        json!({"status": "closed"}),
        json!({"status": "open", "author": "bob"}),
    ] {
        store
            .update(
                &INCIDENTS,
                &None,
                &id,
                obj(patch),
                &accept,
                Some(entry("UPDATE")),
            )
            .await
            .unwrap();
    }
    store
        .delete(&INCIDENTS, &None, &id, Some(entry("DELETE")))
        .await
        .unwrap();
    let versions = store.history("incidents", &key).await.unwrap();
    let actions: Vec<_> = versions.iter().map(|v| v.action.as_str()).collect();
    assert_eq!(actions, ["CREATE", "UPDATE", "UPDATE", "DELETE"]);
    let item = |i: usize| versions[i].item.clone().map(Value::Object);
    assert_eq!(
        item(0),
        Some(json!({"id": id, "source": "slack", "detector": "iban"}))
    );
    assert_eq!(
        item(1),
        Some(json!({"id": id, "source": "slack", "detector": "iban", "status": "closed"}))
    );
    assert_eq!(
        item(2),
        Some(
            json!({"id": id, "source": "slack", "detector": "iban", "status": "open", "author": "bob"})
        )
    );
    assert_eq!(item(3), None);
    assert_eq!(versions[0].user, json!({"username": "alice"}));
    assert!(versions.windows(2).all(|w| w[0].time <= w[1].time));
    let serialized = serde_json::to_value(&versions[3]).unwrap();
    assert_eq!(serialized["item"], Value::Null);
    assert!(store.history("incidents", "404").await.unwrap().is_empty());
}

/// Decision-log rows: written in one batch, listed newest first and filtered like any
/// resource, expired rows purged.
pub async fn decisions_are_logged_and_expire(store: Store) {
    use leakwall_store::DECISIONS;
    let row = |n: i64, origin: &str, allowed: bool| {
        obj(
            json!({"decision_id": format!("d{n}"), "time": format!("2026-11-0{n}T00:00:00Z"),
            "origin": origin, "query": "data.proxy.granted", "input": {"request": {"path": "/x"}},
            "result": allowed, "allowed": allowed, "duration_us": 40 + n, "policy_version": "v1",
            "erased": ["/input/user/mail"]}),
        )
    };
    let rows = [
        row(1, "grpc", true),
        row(2, "proxy", false),
        row(3, "proxy", true),
    ];
    let week = Duration::from_secs(7 * 24 * 3600);
    assert_eq!(store.insert_decisions(&rows, week).await.unwrap(), 3);
    let listed = store
        .list(&DECISIONS, &None, &[], &Page::default())
        .await
        .unwrap();
    let ids: Vec<&str> = listed
        .items
        .iter()
        .map(|i| i["decision_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["d3", "d2", "d1"], "newest first");
    assert_eq!(listed.items[1]["input"], json!({"request": {"path": "/x"}}));
    assert_eq!(listed.items[1]["allowed"], json!(false));
    assert!(
        listed.items[0].get("expires_at").is_none(),
        "expiry is hidden"
    );
    let denied = [
        cond("origin", Op::Eq, json!("proxy")),
        cond("allowed", Op::Eq, json!(false)),
    ];
    let found = store
        .list(&DECISIONS, &None, &denied, &Page::default())
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0]["decision_id"], json!("d2"));
    let bad = [obj(json!({"nope": 1}))];
    assert!(
        store.insert_decisions(&bad, week).await.is_err(),
        "unknown fields are refused"
    );
    assert_eq!(store.purge_expired_decisions().await.unwrap(), 0);
    store
        .insert_decisions(&[row(4, "http", true)], Duration::ZERO)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(store.purge_expired_decisions().await.unwrap(), 1);
    let left = store
        .list(&DECISIONS, &None, &[], &Page::default())
        .await
        .unwrap();
    assert_eq!(left.items.len(), 3);
}
