//! Every operator, on both backends, with the same answers.

use leakwall_store::{
    Condition, Error, Item, Op, Page, Schema, Scope, Store, INCIDENTS, PRINCIPALS,
};
use serde_json::{json, Value};

use crate::{cond, obj};

/// Seeds five incidents; returns their ids in order.
async fn seed(store: &Store) -> Vec<i64> {
    let rows = [
        json!({"source": "slack", "channel": "#general", "author": "Alice", "detector": "aws-key",
               "category": "credential", "confidence": 0.9, "message": "100%_done",
               "created_at": "2026-01-01T00:00:00Z"}),
        json!({"source": "slack", "channel": "#random", "author": "alice", "detector": "iban",
               "category": "financial", "confidence": 0.5, "message": "100 percent done",
               "created_at": "2026-01-02T12:00:00.500Z"}),
        json!({"source": "webex", "author": "bob", "detector": "iban", "confidence": 0.7,
               "message": "a\\b", "created_at": "2026-01-03T00:00:00Z"}),
        json!({"source": "upload", "file": "report.pdf", "detector": "card", "status": "closed",
               "created_at": "2026-02-01T00:00:00+02:00"}),
        json!({"source": "slack", "channel": "#general", "author": "carol", "detector": "card",
               "category": "financial", "confidence": 1.0, "created_at": "2026-03-01T00:00:00Z"}),
    ];
    let inserted = store
        .insert_incidents_bulk(rows.into_iter().map(obj))
        .await
        .unwrap();
    assert_eq!(inserted, 5);
    let all = store.list(&INCIDENTS, &None, &[], &asc()).await.unwrap();
    all.items
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

fn asc() -> Page {
    Page {
        limit: 1000,
        after: None,
        newest_first: Some(false),
    }
}

/// The positions (0-based, in seed order) of the items matching `conditions`.
async fn matching(store: &Store, ids: &[i64], conditions: &[Condition]) -> Vec<usize> {
    matching_in(store, &INCIDENTS, &None, conditions, ids).await
}

async fn matching_in(
    store: &Store,
    schema: &Schema,
    scope: &Scope,
    conditions: &[Condition],
    ids: &[i64],
) -> Vec<usize> {
    let listed = store.list(schema, scope, conditions, &asc()).await.unwrap();
    listed
        .items
        .iter()
        .map(|item| {
            ids.iter()
                .position(|id| Some(*id) == item["id"].as_i64())
                .unwrap()
        })
        .collect()
}

async fn one(store: &Store, ids: &[i64], field: &str, op: Op, value: Value) -> Vec<usize> {
    matching(store, ids, &[cond(field, op, value)]).await
}

pub async fn equality_and_null_handling(store: Store) {
    let ids = seed(&store).await;
    let s = &store;
    assert_eq!(
        one(s, &ids, "source", Op::Eq, json!("slack")).await,
        [0, 1, 4]
    );
    assert_eq!(
        one(s, &ids, "source", Op::Eq, json!("Slack")).await,
        Vec::<usize>::new()
    );
    assert_eq!(
        one(s, &ids, "channel", Op::Ne, json!("#general")).await,
        [1, 2, 3],
        "ne keeps NULLs"
    );
    assert_eq!(one(s, &ids, "channel", Op::Eq, Value::Null).await, [2, 3]);
    assert_eq!(
        one(s, &ids, "channel", Op::Ne, Value::Null).await,
        [0, 1, 4]
    );
    assert_eq!(
        one(s, &ids, "status", Op::Eq, json!("open")).await,
        [0, 1, 2, 4],
        "default status"
    );
    assert_eq!(
        one(s, &ids, "id", Op::Eq, json!(ids[2].to_string())).await,
        [2]
    );
    assert_eq!(one(s, &ids, "confidence", Op::Eq, json!(1)).await, [4]);
    let both = [
        cond("source", Op::Eq, json!("slack")),
        cond("channel", Op::Eq, json!("#general")),
    ];
    assert_eq!(
        matching(s, &ids, &both).await,
        [0, 4],
        "conditions are ANDed"
    );
}

pub async fn membership_with_empty_lists(store: Store) {
    let ids = seed(&store).await;
    let s = &store;
    assert_eq!(
        one(s, &ids, "detector", Op::In, json!(["iban", "card"])).await,
        [1, 2, 3, 4]
    );
    assert_eq!(
        one(s, &ids, "detector", Op::NotIn, json!(["iban", "card"])).await,
        [0]
    );
    assert_eq!(
        one(s, &ids, "detector", Op::In, json!([])).await,
        Vec::<usize>::new()
    );
    assert_eq!(
        one(s, &ids, "detector", Op::NotIn, json!([])).await,
        [0, 1, 2, 3, 4]
    );
    assert_eq!(
        one(s, &ids, "channel", Op::NotIn, json!(["#general"])).await,
        [1, 2, 3]
    );
    assert_eq!(
        one(s, &ids, "channel", Op::In, json!(["#random", null])).await,
        [1, 2, 3]
    );
    assert_eq!(
        one(s, &ids, "id", Op::In, json!([ids[0], ids[4].to_string()])).await,
        [0, 4]
    );
    let err = store
        .list(
            &INCIDENTS,
            &None,
            &[cond("detector", Op::In, json!("iban"))],
            &asc(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidValue(_)), "{err}");
}

pub async fn text_matching_is_case_sensitive_and_literal(store: Store) {
    let ids = seed(&store).await;
    let s = &store;
    assert_eq!(
        one(s, &ids, "author", Op::StartsWith, json!("Al")).await,
        [0]
    );
    assert_eq!(
        one(s, &ids, "author", Op::StartsWith, json!("al")).await,
        [1]
    );
    assert_eq!(
        one(s, &ids, "author", Op::Contains, json!("lic")).await,
        [0, 1]
    );
    assert_eq!(
        one(s, &ids, "author", Op::Contains, json!("LIC")).await,
        Vec::<usize>::new()
    );
    assert_eq!(
        one(s, &ids, "author", Op::NotContains, json!("A")).await,
        [1, 2, 3, 4],
        "keeps NULLs"
    );
    assert_eq!(
        one(s, &ids, "message", Op::Contains, json!("%_")).await,
        [0],
        "% and _ are literal"
    );
    assert_eq!(
        one(s, &ids, "message", Op::Contains, json!("0_")).await,
        Vec::<usize>::new()
    );
    assert_eq!(
        one(s, &ids, "message", Op::StartsWith, json!("100%")).await,
        [0]
    );
    assert_eq!(
        one(s, &ids, "message", Op::Contains, json!("\\")).await,
        [2]
    );
    assert_eq!(
        one(s, &ids, "channel", Op::StartsWith, json!("#")).await,
        [0, 1, 4]
    );
    assert_eq!(
        one(s, &ids, "created_at", Op::StartsWith, json!("2026-01")).await,
        [0, 1, 2, 3]
    );
}

pub async fn exists_and_comparisons(store: Store) {
    let ids = seed(&store).await;
    let s = &store;
    assert_eq!(one(s, &ids, "file", Op::Exists, json!(true)).await, [3]);
    assert_eq!(
        one(s, &ids, "file", Op::Exists, json!("false")).await,
        [0, 1, 2, 4]
    );
    assert_eq!(one(s, &ids, "confidence", Op::Gt, json!(0.7)).await, [0, 4]);
    assert_eq!(
        one(s, &ids, "confidence", Op::Gte, json!("0.7")).await,
        [0, 2, 4]
    );
    assert_eq!(one(s, &ids, "confidence", Op::Lt, json!(0.7)).await, [1]);
    assert_eq!(
        one(s, &ids, "confidence", Op::Lte, json!(0.7)).await,
        [1, 2]
    );
    assert_eq!(one(s, &ids, "id", Op::Gt, json!(ids[2])).await, [3, 4]);
    assert_eq!(one(s, &ids, "author", Op::Gte, json!("bob")).await, [2, 4]);
    let t = "2026-01-02T12:00:00.5Z";
    assert_eq!(
        one(s, &ids, "created_at", Op::Gt, json!(t)).await,
        [2, 3, 4],
        "normalized time"
    );
    assert_eq!(one(s, &ids, "created_at", Op::Lte, json!(t)).await, [0, 1]);
    let err = s
        .list(&INCIDENTS, &None, &[cond("id", Op::Gt, json!("x"))], &asc())
        .await;
    assert!(matches!(err, Err(Error::InvalidValue(_))));
}

pub async fn between_on_numbers_and_times(store: Store) {
    let ids = seed(&store).await;
    let s = &store;
    assert_eq!(
        one(s, &ids, "confidence", Op::Between, json!([0.5, 0.9])).await,
        [0, 1, 2]
    );
    assert_eq!(
        one(s, &ids, "id", Op::Between, json!([ids[1], ids[3]])).await,
        [1, 2, 3]
    );
    let range = json!(["2026-01-02T12:00:00.500Z", "2026-01-31T22:00:00Z"]);
    assert_eq!(
        one(s, &ids, "created_at", Op::Between, range).await,
        [1, 2, 3],
        "+02:00 is UTC 22:00"
    );
    let dates = json!(["2026-01-02", "2026-02"]);
    assert_eq!(
        one(s, &ids, "created_at", Op::Between, dates).await,
        [1, 2, 3]
    );
    let err = s
        .list(
            &INCIDENTS,
            &None,
            &[cond("id", Op::Between, json!([1]))],
            &asc(),
        )
        .await;
    assert!(matches!(err, Err(Error::InvalidValue(_))));
}

pub async fn json_fields(store: Store) {
    let principals = [
        json!({"id": "p1", "type": "USERNAME", "groups": ["ops", "dev"]}),
        json!({"id": "p2", "type": "USERNAME", "groups": ["operators"]}),
        json!({"id": "p3", "type": "USERNAME"}),
    ];
    for p in principals {
        store.create(&PRINCIPALS, obj(p), None).await.unwrap();
    }
    let ids_of = |items: Vec<Item>| -> Vec<String> {
        items
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    let find = |conditions: Vec<Condition>| {
        let store = store.clone();
        async move {
            ids_of(
                store
                    .list(&PRINCIPALS, &None, &conditions, &asc())
                    .await
                    .unwrap()
                    .items,
            )
        }
    };
    assert_eq!(
        find(vec![cond("groups", Op::Contains, json!("ops"))]).await,
        ["p1"]
    );
    assert_eq!(
        find(vec![cond("groups", Op::NotContains, json!("ops"))]).await,
        ["p2", "p3"]
    );
    assert_eq!(
        find(vec![cond("groups", Op::Eq, json!(["operators"]))]).await,
        ["p2"]
    );
    assert_eq!(
        find(vec![cond("groups", Op::Exists, json!(false))]).await,
        ["p3"]
    );
}

pub async fn scopes_are_or_of_and(store: Store) {
    let ids = seed(&store).await;
    let s = &store;
    let slack_general = vec![
        cond("source", Op::Eq, json!("slack")),
        cond("channel", Op::Eq, json!("#general")),
    ];
    let webex = vec![cond("source", Op::In, json!(["webex"]))];
    let scope: Scope = Some(vec![slack_general.clone(), webex]);
    assert_eq!(
        matching_in(s, &INCIDENTS, &scope, &[], &ids).await,
        [0, 2, 4]
    );
    let narrowed = [cond("detector", Op::Eq, json!("card"))];
    assert_eq!(
        matching_in(s, &INCIDENTS, &scope, &narrowed, &ids).await,
        [4]
    );
    assert_eq!(
        matching_in(s, &INCIDENTS, &Some(vec![]), &[], &ids).await,
        Vec::<usize>::new()
    );
    assert_eq!(
        matching_in(s, &INCIDENTS, &Some(vec![vec![]]), &[], &ids).await,
        [0, 1, 2, 3, 4]
    );

    let only = Some(vec![slack_general]);
    let visible = json!(ids[0]);
    let hidden = json!(ids[1]);
    assert!(store
        .get(&INCIDENTS, &only, &visible)
        .await
        .unwrap()
        .is_some());
    assert_eq!(store.get(&INCIDENTS, &only, &hidden).await.unwrap(), None);
    assert_eq!(
        store
            .get(&INCIDENTS, &Some(vec![]), &visible)
            .await
            .unwrap(),
        None
    );
    let patch = obj(json!({"status": "closed"}));
    let update = store
        .update(&INCIDENTS, &only, &hidden, patch, &crate::accept, None)
        .await;
    assert_eq!(update.unwrap(), None);
    assert_eq!(
        store
            .delete(&INCIDENTS, &only, &hidden, None)
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .get(&INCIDENTS, &None, &hidden)
            .await
            .unwrap()
            .is_some(),
        "untouched"
    );
    assert!(store
        .delete(&INCIDENTS, &only, &visible, None)
        .await
        .unwrap()
        .is_some());
}
