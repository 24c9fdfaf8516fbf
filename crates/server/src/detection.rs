//! The detection engine the scan API uses, rebuilt from the `detectors` table whenever it
//! changes: after a write through this process at once, and from other processes within the
//! poll interval, so a new custom detector is used by every scan without a restart.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, RwLock};

use leakwall_access::Scope;
use leakwall_core::{Category, ErrorCode};
use leakwall_detect::{CustomDetectorConfig, Scanner, ScannerConfig};
use leakwall_engine::Engine;
use leakwall_extract::Limits;
use leakwall_store::{schemas::DETECTORS, Item, Page, Store};
use serde_json::Value;

use crate::error::ApiError;

/// The current engine and the fingerprint of the rows it was built from.
#[derive(Debug)]
pub struct Detection {
    engine: RwLock<Arc<Engine>>,
    fingerprint: Mutex<Option<u64>>,
    min_confidence: f32,
    builtin: Vec<String>,
}

impl Detection {
    /// The built-in catalog, until [`Detection::reload`] reads the table.
    pub fn new(min_confidence: f32) -> Detection {
        let scanner = Scanner::builtin();
        let builtin = scanner
            .detectors()
            .iter()
            .map(|d| d.id().to_owned())
            .collect();
        Detection {
            engine: RwLock::new(Arc::new(Engine::new(scanner, Limits::default()))),
            fingerprint: Mutex::new(None),
            min_confidence,
            builtin,
        }
    }

    /// The engine to scan with now.
    pub fn engine(&self) -> Arc<Engine> {
        match self.engine.read() {
            Ok(e) => Arc::clone(&e),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Whether `id` is a built-in detector.
    pub fn is_builtin(&self, id: &str) -> bool {
        self.builtin.iter().any(|b| b == id)
    }

    /// Reads every detector row and rebuilds the engine if they changed. A row that no longer
    /// builds (it was validated on write, so only a hand-edited database) keeps the last
    /// good engine and is logged.
    pub async fn reload(&self, store: &Store) -> Result<(), ApiError> {
        let rows = all_rows(store).await?;
        let fingerprint = fingerprint(&rows);
        let current = *self.fingerprint.lock().unwrap_or_else(|p| p.into_inner());
        if current == Some(fingerprint) {
            return Ok(());
        }
        let config = self.config(&rows)?;
        let built = tokio::task::spawn_blocking(move || config.build())
            .await
            .map_err(ApiError::internal)?;
        match built {
            Ok(scanner) => {
                let engine = Arc::new(Engine::new(scanner, Limits::default()));
                *self.engine.write().unwrap_or_else(|p| p.into_inner()) = engine;
                *self.fingerprint.lock().unwrap_or_else(|p| p.into_inner()) = Some(fingerprint);
                tracing::info!(rows = rows.len(), "detectors reloaded");
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "detectors table does not build; keeping the last good set");
                Ok(())
            }
        }
    }

    fn config(&self, rows: &[Item]) -> Result<ScannerConfig, ApiError> {
        let mut config = ScannerConfig {
            min_confidence: self.min_confidence,
            ..ScannerConfig::default()
        };
        let mut disabled = Vec::new();
        for row in rows {
            let name = text(row, "name");
            let enabled = row.get("enabled").and_then(Value::as_bool).unwrap_or(true);
            if self.is_builtin(&name) {
                if !enabled {
                    disabled.push(name.clone());
                }
                if let Some(c) = row.get("confidence").and_then(Value::as_f64) {
                    config.confidence.push((name, c as f32));
                }
            } else if enabled {
                config.custom.push(custom_config(row)?);
            }
        }
        if !disabled.is_empty() {
            let mut only: Vec<String> = self.builtin.clone();
            only.retain(|id| !disabled.contains(id));
            only.extend(config.custom.iter().map(|c| c.id.clone()));
            config.confidence.retain(|(id, _)| only.contains(id));
            config.only = Some(only);
        }
        Ok(config)
    }
}

async fn all_rows(store: &Store) -> Result<Vec<Item>, ApiError> {
    let mut rows = Vec::new();
    let mut page = Page {
        limit: 1000,
        ..Page::default()
    };
    loop {
        let listed = store.list(&DETECTORS, &None as &Scope, &[], &page).await?;
        rows.extend(listed.items);
        match listed.next {
            Some(next) => page.after = Some(next),
            None => return Ok(rows),
        }
    }
}

fn fingerprint(rows: &[Item]) -> u64 {
    let mut h = DefaultHasher::new();
    for row in rows {
        serde_json::to_string(row).unwrap_or_default().hash(&mut h);
    }
    h.finish()
}

fn text(row: &Item, key: &str) -> String {
    row.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A custom detector row as the detection engine's configuration.
pub fn custom_config(row: &Item) -> Result<CustomDetectorConfig, ApiError> {
    let category = match row.get("category").and_then(Value::as_str) {
        None | Some("pii") => Category::Pii,
        Some("financial") => Category::Financial,
        Some("credential") => Category::Credential,
        Some(other) => {
            return Err(ApiError::new(
                ErrorCode::ValidationFailed,
                format!("category must be pii, financial or credential, not `{other}`"),
            ))
        }
    };
    let keywords = match row.get("keywords") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|k| k.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::ValidationFailed,
                    "keywords must be a list of strings",
                )
            })?,
        Some(_) => {
            return Err(ApiError::new(
                ErrorCode::ValidationFailed,
                "keywords must be a list of strings",
            ))
        }
    };
    Ok(CustomDetectorConfig {
        id: text(row, "name"),
        category,
        pattern: text(row, "pattern"),
        keywords,
        validator: row
            .get("validator")
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_owned),
        confidence: row
            .get("confidence")
            .and_then(Value::as_f64)
            .map_or(0.8, |c| c as f32),
        description: text(row, "description"),
        hotwords: Vec::new(),
        allow: Vec::new(),
    })
}
