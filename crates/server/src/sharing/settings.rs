//! The sharing settings row (`sharing_settings`, id `default`): read, written with its audit
//! record, and turned into a [`SharingConfig`].

use leakwall_policy::sharing::SharingConfig;
pub use leakwall_store::schemas::SHARING_SETTINGS;
use leakwall_store::{AuditEntry, Item, Store};
use serde_json::Value;

/// The id of the one settings row.
pub const SETTINGS_ID: &str = "default";

/// The stored row, `None` before the first write.
pub async fn load(store: &Store) -> Result<Option<Item>, leakwall_store::Error> {
    store
        .get(&SHARING_SETTINGS, &None, &Value::String(SETTINGS_ID.into()))
        .await
}

/// The settings of a row (absent fields take their defaults); `Err` names what is malformed.
pub fn config_of(row: &Item) -> Result<SharingConfig, String> {
    let mut fields = serde_json::Map::new();
    for key in [
        "enabled",
        "internal_pattern",
        "trusted_users",
        "groups",
        "rules",
        "rule_files",
    ] {
        if let Some(value) = row.get(key).filter(|v| !v.is_null()) {
            fields.insert(key.into(), value.clone());
        }
    }
    serde_json::from_value(Value::Object(fields)).map_err(|e| e.to_string())
}

/// The row of `config`.
fn row_of(config: &SharingConfig) -> Item {
    let mut item = match serde_json::to_value(config) {
        Ok(Value::Object(map)) => map,
        _ => Item::new(),
    };
    item.insert("id".into(), Value::String(SETTINGS_ID.into()));
    item
}

/// Writes `config` (creating the row the first time) with its audit record; returns the
/// stored row.
pub async fn save(
    store: &Store,
    config: &SharingConfig,
    audit: AuditEntry,
) -> Result<Item, leakwall_store::Error> {
    let item = row_of(config);
    if load(store).await?.is_none() {
        match store
            .create(&SHARING_SETTINGS, item.clone(), Some(audit.clone()))
            .await
        {
            Err(leakwall_store::Error::Conflict(_)) => {}
            other => return other,
        }
    }
    let mut patch = item;
    patch.remove("id");
    let id = Value::String(SETTINGS_ID.into());
    let stored = store
        .update(
            &SHARING_SETTINGS,
            &None,
            &id,
            patch,
            &|_| Ok(()),
            Some(audit),
        )
        .await?;
    stored.ok_or_else(|| leakwall_store::Error::Corrupt("sharing settings vanished".into()))
}
