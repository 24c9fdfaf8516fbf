//! Keyset pages, distinct values and bulk insertion.

use std::collections::BTreeSet;

use leakwall_store::{Condition, Op, Page, Store, DETECTORS, INCIDENTS};
use serde_json::{json, Value};

use crate::{cond, obj};

/// Every id reachable by following `next` from the first page.
async fn walk(
    store: &Store,
    conditions: &[Condition],
    limit: u32,
    newest_first: bool,
) -> Vec<Value> {
    let mut page = Page {
        limit,
        after: None,
        newest_first: Some(newest_first),
    };
    let mut seen = Vec::new();
    loop {
        let listed = store
            .list(&INCIDENTS, &None, conditions, &page)
            .await
            .unwrap();
        assert!(listed.items.len() <= limit as usize);
        seen.extend(listed.items.iter().map(|i| i["id"].clone()));
        match listed.next {
            Some(next) => {
                assert_eq!(
                    listed.items.len(),
                    limit as usize,
                    "next only on a full page"
                );
                // Incidents are ordered by (created_at, id): the cursor is "<created_at>~<id>".
                let last = listed.items.last().unwrap();
                let expected = format!("{}~{}", last["created_at"].as_str().unwrap(), last["id"]);
                assert_eq!(next, Value::String(expected));
                page.after = Some(next);
            }
            None => return seen,
        }
    }
}

pub async fn pages_cover_everything_once(store: Store) {
    let rows = (0..25).map(|i| {
        obj(json!({"source": "slack", "detector": if i % 3 == 0 { "iban" } else { "card" }}))
    });
    store.insert_incidents_bulk(rows).await.unwrap();
    let all = walk(&store, &[], 1000, false).await;
    assert_eq!(all.len(), 25);
    let ascending: Vec<i64> = all.iter().map(|v| v.as_i64().unwrap()).collect();
    assert!(ascending.windows(2).all(|w| w[0] < w[1]));
    for limit in [1, 7, 25] {
        assert_eq!(
            walk(&store, &[], limit, false).await,
            all,
            "ascending, limit {limit}"
        );
        let mut newest = walk(&store, &[], limit, true).await;
        newest.reverse();
        assert_eq!(newest, all, "newest first, limit {limit}");
    }
    let iban = [cond("detector", Op::Eq, json!("iban"))];
    let filtered = walk(&store, &iban, 4, true).await;
    assert_eq!(filtered.len(), 9);
    assert_eq!(
        filtered
            .iter()
            .map(|v| v.as_i64())
            .collect::<BTreeSet<_>>()
            .len(),
        9,
        "no item twice"
    );

    let default = store
        .list(&INCIDENTS, &None, &[], &Page::default())
        .await
        .unwrap();
    assert_eq!(default.items.len(), 25);
    assert_eq!(
        default.items[0]["id"], all[24],
        "incidents are newest first by default"
    );
    let clamped = Page {
        limit: 0,
        ..Page::default()
    };
    assert_eq!(
        store
            .list(&INCIDENTS, &None, &[], &clamped)
            .await
            .unwrap()
            .items
            .len(),
        1
    );

    for name in ["b", "a", "c"] {
        store
            .create(&DETECTORS, obj(json!({"name": name})), None)
            .await
            .unwrap();
    }
    let page = Page {
        limit: 2,
        ..Page::default()
    };
    let first = store.list(&DETECTORS, &None, &[], &page).await.unwrap();
    let names: Vec<_> = first.items.iter().map(|i| i["name"].clone()).collect();
    assert_eq!(
        names,
        [json!("a"), json!("b")],
        "text ids ascend by default"
    );
    let page = Page {
        after: first.next,
        ..page
    };
    let second = store.list(&DETECTORS, &None, &[], &page).await.unwrap();
    assert_eq!(second.items[0]["name"], "c");
    assert_eq!(second.next, None);
}

pub async fn distinct_values(store: Store) {
    let rows = ["carol", "bob", "carol", "alice"]
        .into_iter()
        .enumerate()
        .map(|(i, author)| {
            obj(
                json!({"source": if i == 0 { "webex" } else { "slack" }, "detector": "card",
                   "author": author, "confidence": 0.5}),
            )
        });
    store
        .insert_incidents_bulk(rows.chain([obj(json!({"source": "slack", "detector": "x"}))]))
        .await
        .unwrap();
    let all = store
        .values(&INCIDENTS, &None, &[], "author", 100)
        .await
        .unwrap();
    assert_eq!(
        all,
        [json!("alice"), json!("bob"), json!("carol")],
        "distinct, sorted, no null"
    );
    let slack = [cond("source", Op::Eq, json!("slack"))];
    let some = store
        .values(&INCIDENTS, &None, &slack, "author", 2)
        .await
        .unwrap();
    assert_eq!(some, [json!("alice"), json!("bob")]);
    let scoped = Some(vec![vec![cond("source", Op::Eq, json!("webex"))]]);
    assert_eq!(
        store
            .values(&INCIDENTS, &scoped, &[], "author", 10)
            .await
            .unwrap(),
        [json!("carol")]
    );
    assert_eq!(
        store
            .values(&INCIDENTS, &None, &[], "confidence", 10)
            .await
            .unwrap(),
        [json!(0.5)]
    );
    assert!(store
        .values(&INCIDENTS, &None, &[], "nope", 10)
        .await
        .is_err());
}

pub async fn bulk_insert_then_filtered_page(store: Store) {
    let statuses = ["open", "closed", "resolved"];
    let detectors = ["aws-key", "iban", "card", "jwt", "ssn"];
    let rows = (0..10_000).map(|i| {
        let second = i % 60;
        let minute = (i / 60) % 60;
        let hour = i / 3600;
        obj(json!({
            "source": if i % 2 == 0 { "slack" } else { "webex" },
            "channel": format!("#c{}", i % 10),
            "author": format!("user{}", i % 100),
            "detector": detectors[i % 5],
            "status": statuses[i % 3],
            "confidence": (i % 100) as f64 / 100.0,
            "created_at": format!("2026-05-01T{hour:02}:{minute:02}:{second:02}Z"),
        }))
    });
    assert_eq!(store.insert_incidents_bulk(rows).await.unwrap(), 10_000);
    let conditions = [
        cond("status", Op::Eq, json!("open")),
        cond("detector", Op::In, json!(["iban", "card"])),
        cond("created_at", Op::Gte, json!("2026-05-01T01:00:00Z")),
    ];
    let page = Page {
        limit: 50,
        ..Page::default()
    };
    let listed = store
        .list(&INCIDENTS, &None, &conditions, &page)
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 50);
    assert!(listed.next.is_some());
    let ids: Vec<i64> = listed
        .items
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    for item in &listed.items {
        assert_eq!(item["status"], "open");
        assert!(item["detector"] == "iban" || item["detector"] == "card");
        assert!(item["created_at"].as_str().unwrap() >= "2026-05-01T01:00:00.000Z");
        assert_eq!(item["created_at"], item["updated_at"]);
    }
    assert_eq!(
        listed.items[0]["created_at"], "2026-05-01T02:46:36.000Z",
        "row 9996"
    );
    let count = store
        .values(&INCIDENTS, &None, &[], "status", 10)
        .await
        .unwrap();
    assert_eq!(count.len(), 3);
}

/// Incidents imported with times out of id order are listed by time (then id), newest first,
/// and a time range filter pages the same way; a plain id works as a cursor too.
pub async fn incidents_are_paged_by_time_then_id(store: Store) {
    // ids 1..=30; times run backwards for the first 20, and the last 10 share one time.
    let rows = (0..30).map(|i: u32| {
        let day = if i < 20 { 28 - i } else { 5 };
        let at = format!("2026-02-{day:02}T12:00:00.000Z");
        obj(json!({"source": "s", "detector": "d", "created_at": at}))
    });
    store.insert_incidents_bulk(rows).await.unwrap();
    let mut expected: Vec<(String, i64)> = Vec::new();
    let all = store
        .list(
            &INCIDENTS,
            &None,
            &[],
            &Page {
                limit: 1000,
                ..Page::default()
            },
        )
        .await
        .unwrap();
    for item in &all.items {
        expected.push((
            item["created_at"].as_str().unwrap().to_owned(),
            item["id"].as_i64().unwrap(),
        ));
    }
    let mut sorted = expected.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(expected, sorted, "newest first by (created_at, id)");
    assert_eq!(expected.len(), 30);
    for limit in [1, 4, 7] {
        let mut page = Page {
            limit,
            ..Page::default()
        };
        let mut seen = Vec::new();
        loop {
            let listed = store.list(&INCIDENTS, &None, &[], &page).await.unwrap();
            seen.extend(listed.items.iter().map(|i| i["id"].as_i64().unwrap()));
            match listed.next {
                Some(next) => page.after = Some(next),
                None => break,
            }
        }
        let want: Vec<i64> = expected.iter().map(|e| e.1).collect();
        assert_eq!(seen, want, "limit {limit}");
    }
    let range = [cond(
        "created_at",
        Op::Between,
        json!(["2026-02-10T00:00:00.000Z", "2026-02-20T23:59:59.999Z"]),
    )];
    let page = Page {
        limit: 5,
        ..Page::default()
    };
    let first = store.list(&INCIDENTS, &None, &range, &page).await.unwrap();
    let days: Vec<&str> = first
        .items
        .iter()
        .map(|i| &i["created_at"].as_str().unwrap()[8..10])
        .collect();
    assert_eq!(days, ["20", "19", "18", "17", "16"]);
    // A plain id as the cursor: continue after the item with that id.
    let last_id = first.items.last().unwrap()["id"].clone();
    let by_id = Page {
        limit: 5,
        after: Some(last_id),
        ..Page::default()
    };
    let second = store.list(&INCIDENTS, &None, &range, &by_id).await.unwrap();
    let days: Vec<&str> = second
        .items
        .iter()
        .map(|i| &i["created_at"].as_str().unwrap()[8..10])
        .collect();
    assert_eq!(days, ["15", "14", "13", "12", "11"]);
}
