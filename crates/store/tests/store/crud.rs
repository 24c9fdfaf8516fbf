//! Migrations, create/get/update/delete on every resource, conflicts and refused input.

use leakwall_access::IdentifierType;
use leakwall_core::ErrorCode;
use leakwall_store::{
    Error, Page, Store, AUDIT, DECISIONS, DETECTORS, GROUPS, INCIDENTS, POLICIES, PRINCIPALS,
    RESOURCES,
};
use serde_json::{json, Value};

use crate::{accept, cond, entry, obj};

fn is_time(value: Option<&Value>) -> bool {
    let text = value.and_then(Value::as_str).unwrap_or_default();
    text.len() == 24 && text.ends_with('Z') && text.as_bytes().get(19) == Some(&b'.')
}

pub async fn migrations_are_applied_once(store: Store) {
    assert_eq!(store.migrate().await.unwrap(), Vec::<i64>::new());
    assert_eq!(store.migrate().await.unwrap(), Vec::<i64>::new());
    store.ping().await.unwrap();
    for schema in RESOURCES.into_iter().chain([&AUDIT, &DECISIONS]) {
        let listed = store
            .list(schema, &None, &[], &Page::default())
            .await
            .unwrap();
        assert!(listed.next.is_none(), "{}", schema.name);
    }
}

pub async fn admin_group_is_seeded(store: Store) {
    let groups = store.groups().await.unwrap();
    let admin = groups
        .iter()
        .find(|g| g.id == "admin")
        .expect("admin group");
    let methods: Vec<_> = admin
        .permissions
        .permitted_endpoints
        .iter()
        .map(|e| e.method.as_str())
        .collect();
    assert_eq!(methods, ["GET", "POST", "PATCH", "DELETE"]);
    assert!(admin
        .permissions
        .permitted_endpoints
        .iter()
        .all(|e| e.endpoint == "^/.*$"));
    assert!(admin.permissions.filter_fields.is_empty());
    assert_eq!(admin.permissions.update_fields_permitted, None);
    let row = store
        .get(&GROUPS, &None, &json!("admin"))
        .await
        .unwrap()
        .unwrap();
    assert!(is_time(row.get("created_at")));
}

pub async fn detectors_round_trip(store: Store) {
    let given = obj(json!({
        "name": "acme-token", "pattern": "acme_[a-z0-9]{32}", "category": "credential",
        "confidence": 0.75, "keywords": ["acme", "token"], "enabled": true,
    }));
    let created = store
        .create(&DETECTORS, given, Some(entry("CREATE")))
        .await
        .unwrap();
    assert_eq!(created["name"], "acme-token");
    assert_eq!(created["confidence"], 0.75);
    assert_eq!(created["keywords"], json!(["acme", "token"]));
    assert_eq!(created["enabled"], true);
    assert_eq!(
        created["validator"],
        Value::Null,
        "null columns are returned as null"
    );
    assert!(is_time(created.get("created_at")) && created["created_at"] == created["updated_at"]);
    let keys: Vec<_> = created.keys().cloned().collect();
    assert_eq!(keys.len(), DETECTORS.fields.len());

    let id = json!("acme-token");
    assert_eq!(
        store.get(&DETECTORS, &None, &id).await.unwrap().as_ref(),
        Some(&created)
    );
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let patch = obj(json!({"enabled": false, "description": "ACME API token", "created_at": "x"}));
    let updated = store
        .update(&DETECTORS, &None, &id, patch, &accept, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated["enabled"], false);
    assert_eq!(updated["description"], "ACME API token");
    assert_eq!(updated["pattern"], created["pattern"]);
    assert_eq!(
        updated["created_at"], created["created_at"],
        "read-only fields are ignored"
    );
    assert!(updated["updated_at"].as_str() > created["updated_at"].as_str());

    let deleted = store.delete(&DETECTORS, &None, &id, None).await.unwrap();
    assert_eq!(deleted, Some(updated));
    assert_eq!(store.get(&DETECTORS, &None, &id).await.unwrap(), None);
    assert_eq!(
        store.delete(&DETECTORS, &None, &id, None).await.unwrap(),
        None
    );
    let patch = obj(json!({"enabled": true}));
    assert_eq!(
        store
            .update(&DETECTORS, &None, &id, patch, &accept, None)
            .await
            .unwrap(),
        None
    );
}

pub async fn incidents_get_ids_and_defaults(store: Store) {
    let first = store
        .create(
            &INCIDENTS,
            obj(json!({"source": "slack", "detector": "aws-key"})),
            None,
        )
        .await
        .unwrap();
    let second = store
        .create(
            &INCIDENTS,
            obj(json!({"source": "webex", "detector": "iban", "status": "closed", "id": 99})),
            None,
        )
        .await
        .unwrap();
    let (a, b) = (
        first["id"].as_i64().unwrap(),
        second["id"].as_i64().unwrap(),
    );
    assert!(b > a && b != 99, "ids are generated: {a}, {b}");
    assert_eq!(first["status"], "open");
    assert_eq!(second["status"], "closed");
    assert_eq!(first["channel"], Value::Null);
    assert_eq!(
        store
            .get(&INCIDENTS, &None, &json!(a))
            .await
            .unwrap()
            .as_ref(),
        Some(&first)
    );
    assert_eq!(
        store
            .get(&INCIDENTS, &None, &json!(a.to_string()))
            .await
            .unwrap(),
        Some(first)
    );
    assert_eq!(
        store
            .get(&INCIDENTS, &None, &json!("not-a-number"))
            .await
            .unwrap(),
        None
    );
    let patch = obj(json!({"status": "resolved", "outcome": "deleted"}));
    let updated = store
        .update(&INCIDENTS, &None, &json!(b), patch, &accept, None)
        .await
        .unwrap();
    assert_eq!(updated.unwrap()["status"], "resolved");
}

pub async fn policies_count_source_versions(store: Store) {
    let policy =
        obj(json!({"name": "default", "source": "package a", "enabled": true, "version": 7}));
    let created = store.create(&POLICIES, policy, None).await.unwrap();
    assert_eq!(created["version"], 1);
    let id = created["id"].clone();
    let version = |patch: Value| {
        let store = store.clone();
        let id = id.clone();
        async move {
            let item = store
                .update(&POLICIES, &None, &id, obj(patch), &accept, None)
                .await;
            item.unwrap().unwrap()["version"].as_i64().unwrap()
        }
    };
    assert_eq!(version(json!({"name": "renamed"})).await, 1);
    assert_eq!(version(json!({"source": "package b"})).await, 2);
    assert_eq!(
        version(json!({"source": "package b"})).await,
        2,
        "same source"
    );
    assert_eq!(
        version(json!({"source": "package c", "enabled": false})).await,
        3
    );
}

pub async fn principals_and_groups_round_trip(store: Store) {
    let group = obj(json!({
        "id": "support", "name": "Support",
        "permitted_endpoints": [{"method": "GET", "endpoint": "^/incidents.*$"}],
        "filter_fields": [{"field": "source", "value": ["slack", "webex"]}],
        "exclude_fields": ["excerpt"], "update_fields_permitted": ["status"],
    }));
    store.create(&GROUPS, group, None).await.unwrap();
    let user = obj(json!({"id": "bob", "type": "USERNAME", "name": "Bob", "groups": ["support"]}));
    let created = store.create(&PRINCIPALS, user, None).await.unwrap();
    assert_eq!(created["enabled"], true);
    assert!(!created.contains_key("key_hash"));
    assert_eq!(created["filter_fields"], Value::Null);

    let bob = store.identifier("bob").await.unwrap().unwrap();
    assert_eq!(bob.kind, IdentifierType::Username);
    assert_eq!(bob.groups, ["support"]);
    assert!(bob.enabled);
    assert_eq!(store.identifier("nobody").await.unwrap(), None);

    let patch = obj(json!({"enabled": false, "exclude_fields": ["message"]}));
    store
        .update(&PRINCIPALS, &None, &json!("bob"), patch, &accept, None)
        .await
        .unwrap();
    let bob = store.identifier("bob").await.unwrap().unwrap();
    assert!(!bob.enabled);
    assert_eq!(bob.permissions.exclude_fields, ["message"]);

    let support = store
        .groups()
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.id == "support")
        .unwrap();
    assert_eq!(support.name, "Support");
    assert_eq!(
        support.permissions.update_fields_permitted,
        Some(vec!["status".to_string()])
    );
    assert_eq!(
        support.permissions.filter_fields[0].value,
        json!(["slack", "webex"])
    );
    let deleted = store
        .delete(&GROUPS, &None, &json!("support"), None)
        .await
        .unwrap();
    assert_eq!(deleted.unwrap()["exclude_fields"], json!(["excerpt"]));
}

pub async fn duplicate_ids_conflict(store: Store) {
    let detector = obj(json!({"name": "dup"}));
    store
        .create(&DETECTORS, detector.clone(), None)
        .await
        .unwrap();
    let err = store.create(&DETECTORS, detector, None).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    assert_eq!(err.code(), ErrorCode::Conflict);
    let user = obj(json!({"id": "carol", "type": "USERNAME"}));
    store.create(&PRINCIPALS, user.clone(), None).await.unwrap();
    let err = store.create(&PRINCIPALS, user, None).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    let err = store
        .create(&GROUPS, obj(json!({"id": "admin"})), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err}");
}

pub async fn bad_input_is_refused(store: Store) {
    let unknown = obj(json!({"name": "x", "colour": "red"}));
    let err = store.create(&DETECTORS, unknown, None).await.unwrap_err();
    assert!(
        matches!(&err, Error::UnknownField(f) if f == "colour"),
        "{err}"
    );
    assert_eq!(err.code(), ErrorCode::BadRequest);
    let hidden = obj(json!({"id": "k", "type": "API_KEY", "key_hash": "00"}));
    let err = store.create(&PRINCIPALS, hidden, None).await.unwrap_err();
    assert!(
        matches!(&err, Error::UnknownField(f) if f == "key_hash"),
        "{err}"
    );
    let wrong_type = obj(json!({"name": "x", "confidence": "high"}));
    let err = store
        .create(&DETECTORS, wrong_type, None)
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::InvalidValue(_)), "{err}");
    let missing = obj(json!({"source": "slack"}));
    let err = store.create(&INCIDENTS, missing, None).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidValue(m) if m.contains("detector")),
        "{err}"
    );
    let by_hash = [cond("key_hash", leakwall_store::Op::Exists, json!(true))];
    let err = store
        .list(&PRINCIPALS, &None, &by_hash, &Page::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnknownField(f) if f == "key_hash"),
        "{err}"
    );
    let err = store
        .create(&AUDIT, obj(json!({"action": "x"})), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Forbidden);
    let listed = store
        .list(&DETECTORS, &None, &[], &Page::default())
        .await
        .unwrap();
    assert!(listed.items.is_empty(), "nothing was written");
}

pub async fn rejected_update_writes_nothing(store: Store) {
    let created = store
        .create(
            &INCIDENTS,
            obj(json!({"source": "slack", "detector": "iban"})),
            None,
        )
        .await
        .unwrap();
    let id = created["id"].clone();
    let refuse = |merged: &leakwall_store::Item| -> Result<(), String> {
        match merged.get("status") {
            Some(Value::String(s)) if s == "deleted" => Err(format!("status {s} is not allowed")),
            _ => Ok(()),
        }
    };
    let patch = obj(json!({"status": "deleted", "author": "mallory"}));
    let err = store
        .update(
            &INCIDENTS,
            &None,
            &id,
            patch,
            &refuse,
            Some(entry("UPDATE")),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Rejected(m) if m == "status deleted is not allowed"),
        "{err}"
    );
    assert_eq!(err.code(), ErrorCode::Forbidden);
    assert_eq!(
        store.get(&INCIDENTS, &None, &id).await.unwrap(),
        Some(created)
    );
    let audit = store
        .list(&AUDIT, &None, &[], &Page::default())
        .await
        .unwrap();
    assert!(audit.items.is_empty(), "no audit row for a rejected update");
    let patch = obj(json!({"status": "closed"}));
    let ok = store
        .update(
            &INCIDENTS,
            &None,
            &id,
            patch,
            &refuse,
            Some(entry("UPDATE")),
        )
        .await;
    assert_eq!(ok.unwrap().unwrap()["status"], "closed");
}

pub async fn concurrent_writes_all_succeed(store: Store) {
    let created = store
        .create(
            &INCIDENTS,
            obj(json!({"source": "slack", "detector": "iban"})),
            None,
        )
        .await
        .unwrap();
    let id = created["id"].clone();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let (store, id) = (store.clone(), id.clone());
            tokio::spawn(async move {
                let patch = obj(json!({"author": format!("user{i}")}));
                store
                    .update(
                        &INCIDENTS,
                        &None,
                        &id,
                        patch,
                        &accept,
                        Some(entry("UPDATE")),
                    )
                    .await?;
                let new = obj(json!({"source": "webex", "detector": "card"}));
                store
                    .create(&INCIDENTS, new, Some(entry("CREATE")))
                    .await
                    .map(|_| ())
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let page = Page {
        limit: 1000,
        ..Page::default()
    };
    assert_eq!(
        store
            .list(&INCIDENTS, &None, &[], &page)
            .await
            .unwrap()
            .items
            .len(),
        17
    );
    assert_eq!(
        store
            .list(&AUDIT, &None, &[], &page)
            .await
            .unwrap()
            .items
            .len(),
        32
    );
}
