//! The store's conformance suite: every case is written once, as `async fn case(store: Store)`
//! in a module below, and runs against both backends (`sqlite::case` on a temporary file,
//! `postgres::case` in a schema of its own).
//!
//! PostgreSQL comes from `LEAKWALL_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`); if it is unreachable the PostgreSQL cases fail,
//! unless `LEAKWALL_TEST_POSTGRES=skip`.

mod audit;
mod crud;
mod filters;
mod harness;
mod identity;
mod pages;

use leakwall_store::{AuditEntry, Condition, Item, Op};
use serde_json::Value;

/// Generates `sqlite::$case` and `postgres::$case` tests for each `$module::$case`.
macro_rules! conformance {
    ($($module:ident :: $case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::harness::sqlite(crate::$module::$case).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::harness::postgres(crate::$module::$case).await;
                }
            )*
        }
    };
}

conformance! {
    crud::migrations_are_applied_once,
    crud::admin_group_is_seeded,
    crud::detectors_round_trip,
    crud::incidents_get_ids_and_defaults,
    crud::policies_count_source_versions,
    crud::principals_and_groups_round_trip,
    crud::duplicate_ids_conflict,
    crud::bad_input_is_refused,
    crud::rejected_update_writes_nothing,
    crud::concurrent_writes_all_succeed,
    filters::equality_and_null_handling,
    filters::membership_with_empty_lists,
    filters::text_matching_is_case_sensitive_and_literal,
    filters::exists_and_comparisons,
    filters::between_on_numbers_and_times,
    filters::json_fields,
    filters::scopes_are_or_of_and,
    pages::pages_cover_everything_once,
    pages::distinct_values,
    pages::incidents_are_paged_by_time_then_id,
    pages::bulk_insert_then_filtered_page,
    audit::writes_and_audit_rows_commit_together,
    audit::reads_are_recorded_and_expire,
    audit::history_is_rebuilt,
    audit::decisions_are_logged_and_expire,
    identity::api_keys_are_found_by_hash,
    identity::idempotency_keys_are_remembered_once,
}

/// A JSON object literal as an item.
pub fn obj(value: Value) -> Item {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// One condition.
pub fn cond(field: &str, op: Op, value: Value) -> Condition {
    Condition {
        field: field.to_string(),
        op,
        value,
    }
}

/// An audit entry for `action` by user `alice`.
pub fn entry(action: &str) -> AuditEntry {
    AuditEntry {
        action: action.to_string(),
        method: "POST".to_string(),
        path: "/api/test".to_string(),
        user: serde_json::json!({"username": "alice"}),
        user_id: "alice".to_string(),
        source_ip: "127.0.0.1".to_string(),
        user_agent: "test".to_string(),
        ..AuditEntry::default()
    }
}

/// A check that accepts every update.
pub fn accept(_: &Item) -> Result<(), String> {
    Ok(())
}

/// Tests of one backend's setup rather than of the store's behaviour.
mod setup {
    use leakwall_core::ErrorCode;
    use leakwall_store::{Backend, Error, Page, Store, INCIDENTS};
    use serde_json::json;

    use crate::obj;

    #[tokio::test]
    async fn an_in_memory_database_keeps_its_data() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        assert_eq!(store.backend(), Backend::Sqlite);
        let item = obj(json!({"source": "slack", "detector": "iban"}));
        store.create(&INCIDENTS, item, None).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        let listed = store
            .list(&INCIDENTS, &None, &[], &Page::default())
            .await
            .unwrap();
        assert_eq!(listed.items.len(), 1);
        assert!(store.migrate().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_missing_sqlite_file_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        let store = Store::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        assert!(path.exists());
        store.close().await;
        let again = Store::open(&format!("sqlite:{}", path.display()))
            .await
            .unwrap();
        assert!(!again.groups().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn unsupported_urls_say_what_is_supported() {
        let err = Store::open("mysql://root:hunter2@localhost/db")
            .await
            .unwrap_err();
        assert!(matches!(&err, Error::BadUrl(s) if s == "mysql"), "{err}");
        assert_eq!(err.code(), ErrorCode::Internal);
        let message = err.to_string();
        assert!(
            message.contains("postgres://") && !message.contains("hunter2"),
            "{message}"
        );
    }
}
