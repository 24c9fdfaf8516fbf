//! Compile-time check: every future the store returns can be spawned (is `Send`).

#![allow(dead_code)]

use std::future::Future;

use serde_json::Value;

use crate::{Item, Page, Store, INCIDENTS};

fn spawnable<F: Future + Send + 'static>(_: F) {}

fn accept(_: &Item) -> Result<(), String> {
    Ok(())
}

fn futures_are_send(store: Store) {
    let s = store.clone();
    spawnable(async move { s.list(&INCIDENTS, &None, &[], &Page::default()).await });
    let s = store.clone();
    spawnable(async move { s.get(&INCIDENTS, &None, &Value::Null).await });
    let s = store.clone();
    spawnable(async move { s.create(&INCIDENTS, Item::new(), None).await });
    let s = store.clone();
    spawnable(async move {
        s.update(&INCIDENTS, &None, &Value::Null, Item::new(), &accept, None)
            .await
    });
    let s = store.clone();
    spawnable(async move { s.delete(&INCIDENTS, &None, &Value::Null, None).await });
    let s = store.clone();
    spawnable(async move { s.values(&INCIDENTS, &None, &[], "id", 1).await });
    let s = store.clone();
    spawnable(async move { s.record(Default::default(), "x", None).await });
    let s = store.clone();
    spawnable(async move { s.history("x", "y").await });
    let s = store.clone();
    spawnable(async move { s.migrate().await });
    let s = store.clone();
    spawnable(async move { s.identifier("x").await });
    let s = store.clone();
    spawnable(async move { s.groups().await });
    let s = store.clone();
    spawnable(async move { s.create_api_key("a", "b", &[], None).await });
    let s = store.clone();
    spawnable(async move { s.remember("a", "b", std::time::Duration::ZERO).await });
    let s = store.clone();
    spawnable(async move { s.insert_incidents_bulk(std::iter::empty()).await });
}
