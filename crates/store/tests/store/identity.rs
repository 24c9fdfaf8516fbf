//! API keys and idempotency keys.

use std::time::Duration;

use leakwall_access::IdentifierType;
use leakwall_store::{hash_key, Op, Page, Store, PRINCIPALS};
use serde_json::json;

use crate::{cond, entry};

pub async fn api_keys_are_found_by_hash(store: Store) {
    assert!(!store.has_api_keys().await.unwrap());
    let groups = vec!["admin".to_string()];
    let (item, secret) = store
        .create_api_key("ci", "alice", &groups, Some(entry("CREATE")))
        .await
        .unwrap();
    assert!(store.has_api_keys().await.unwrap());
    let id = item["id"].as_str().unwrap();
    assert!(id.starts_with("key_") && secret.starts_with(&format!("lw_{}_", &id[4..])));
    assert_eq!(item["type"], "API_KEY");
    assert!(!item.contains_key("key_hash"));
    let found = store
        .identifier_by_key_hash(&hash_key(&secret))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, id);
    assert_eq!(found.kind, IdentifierType::ApiKey);
    assert_eq!(
        (found.name.as_str(), found.username.as_str()),
        ("ci", "alice")
    );
    assert_eq!(found.groups, groups);
    assert!(found.enabled);
    assert_eq!(
        store
            .identifier_by_key_hash(&hash_key("lw_wrong"))
            .await
            .unwrap(),
        None
    );
    let listed = store
        .list(&PRINCIPALS, &None, &[], &Page::default())
        .await
        .unwrap();
    assert!(listed.items.iter().all(|p| !p.contains_key("key_hash")));
    let audit = store
        .list(
            &leakwall_store::AUDIT,
            &None,
            &[cond("item_id", Op::Eq, json!(id))],
            &Page::default(),
        )
        .await
        .unwrap();
    let body = audit.items[0]["body"].to_string();
    assert!(!body.contains(&secret) && !body.contains(&hash_key(&secret)));
    let (second, _) = store
        .create_api_key("other", "bob", &[], None)
        .await
        .unwrap();
    assert_ne!(second["id"], item["id"]);
}

pub async fn idempotency_keys_are_remembered_once(store: Store) {
    let hour = Duration::from_secs(3600);
    assert!(store.remember("slack", "Ev1", hour).await.unwrap());
    assert!(!store.remember("slack", "Ev1", hour).await.unwrap());
    assert!(
        store.remember("webex", "Ev1", hour).await.unwrap(),
        "scopes are separate"
    );
    assert!(store
        .remember("slack", "Ev2", Duration::ZERO)
        .await
        .unwrap());
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(
        store.remember("slack", "Ev2", hour).await.unwrap(),
        "expired keys are reused"
    );
    assert!(!store.remember("slack", "Ev2", hour).await.unwrap());

    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.remember("slack", "race", hour).await.unwrap() })
        })
        .collect();
    let mut firsts = 0;
    for task in tasks {
        firsts += usize::from(task.await.unwrap());
    }
    assert_eq!(firsts, 1, "exactly one of 20 concurrent callers is first");

    store
        .remember("slack", "old", Duration::ZERO)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(store.purge_expired_keys().await.unwrap(), 1);
}
