//! Where policies come from: the files and directories of `policies.engine`, and the enabled
//! rows of the `policies` table (managed through the admin API, audited, versioned). A
//! fingerprint of both tells when to rebuild, and names the policy version in the decision
//! log.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use leakwall_policy::{Decision, Error, FetchFn, PolicyConfig, ScanFn};
use leakwall_store::{Condition, Item, Op, Page, Store, POLICIES};
use serde_json::Value;

/// Pages of 1,000 rows read at most (policies are few; more is a misuse, logged).
const MAX_PAGES: usize = 10;

/// A policy stored in the database.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPolicy {
    /// Row id.
    pub id: i64,
    /// Name (shown in errors as `db/<id>-<name>.rego`).
    pub name: String,
    /// Rego source.
    pub source: String,
    /// Version (counts changes of the source).
    pub version: i64,
}

impl StoredPolicy {
    fn from_item(item: &Item) -> Option<StoredPolicy> {
        Some(StoredPolicy {
            id: item.get("id")?.as_i64()?,
            name: item.get("name")?.as_str()?.to_owned(),
            source: item.get("source")?.as_str()?.to_owned(),
            version: item.get("version").and_then(Value::as_i64).unwrap_or(1),
        })
    }

    /// The name the policy set knows it by.
    pub fn file_name(&self) -> String {
        format!("db/{}-{}.rego", self.id, self.name)
    }

    /// A stored policy from an item being created or updated (id 0 until it has one).
    pub fn from_write(item: &Item) -> StoredPolicy {
        let text = |key: &str| {
            item.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        StoredPolicy {
            id: item.get("id").and_then(Value::as_i64).unwrap_or(0),
            name: text("name"),
            source: text("source"),
            version: 0,
        }
    }
}

/// The enabled policies of the table, by id.
pub async fn stored(store: &Store) -> Result<Vec<StoredPolicy>, leakwall_store::Error> {
    let enabled = [Condition {
        field: "enabled".into(),
        op: Op::Ne,
        value: Value::Bool(false),
    }];
    let mut page = Page {
        limit: 1000,
        after: None,
        newest_first: Some(false),
    };
    let mut rows = Vec::new();
    for _ in 0..MAX_PAGES {
        let listed = store.list(&POLICIES, &None, &enabled, &page).await?;
        rows.extend(listed.items.iter().filter_map(StoredPolicy::from_item));
        match listed.next {
            Some(next) => page.after = Some(next),
            None => return Ok(rows),
        }
    }
    tracing::warn!(loaded = rows.len(), "more stored policies than are loaded");
    Ok(rows)
}

/// Builds the decision point from the configured files and `stored` with the `leakwall.scan`
/// and `ocis.resource.download` builtins, off the reactor.
pub async fn build(
    config: &PolicyConfig,
    stored: &[StoredPolicy],
    (scan, fetch): (ScanFn, FetchFn),
) -> Decision {
    let config = config.clone();
    let stored = stored.to_vec();
    let built =
        tokio::task::spawn_blocking(move || build_now(&config, &stored, scan, Some(fetch))).await;
    match built {
        Ok(decision) => decision,
        Err(_) => Decision::from(Err(Error::Compile {
            message: "building the policies panicked".into(),
        })),
    }
}

/// Builds the decision point now (blocking).
pub fn build_now(
    config: &PolicyConfig,
    stored: &[StoredPolicy],
    scan: ScanFn,
    fetch: Option<FetchFn>,
) -> Decision {
    let built = config.builder().and_then(|mut builder| {
        for policy in stored {
            builder = builder.source(policy.file_name(), policy.source.clone());
        }
        if let Some(fetch) = fetch {
            builder = builder.fetcher(fetch);
        }
        builder.scanner(scan).build()
    });
    Decision::from(built)
}

/// A scanner for checks, where findings do not matter.
pub fn no_scan() -> ScanFn {
    Arc::new(|_| Value::Array(Vec::new()))
}

/// Changes to any configured file or directory entry (names, sizes, modification times) and
/// to the stored policies (ids, names, versions).
pub fn fingerprint(config: &PolicyConfig, stored: &[StoredPolicy]) -> u64 {
    let mut h = DefaultHasher::new();
    let paths = config
        .policies
        .iter()
        .chain(&config.data)
        .chain(&config.mimes);
    for path in paths {
        hash_path(path, &mut h, 0);
    }
    for policy in stored {
        (policy.id, &policy.name, policy.version).hash(&mut h);
    }
    h.finish()
}

fn hash_path(path: &Path, h: &mut DefaultHasher, depth: usize) {
    path.hash(h);
    let Ok(meta) = std::fs::metadata(path) else {
        "missing".hash(h);
        return;
    };
    meta.len().hash(h);
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .hash(h);
    if meta.is_dir() && depth < 8 {
        if let Ok(entries) = std::fs::read_dir(path) {
            let mut names: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
            names.sort();
            for name in names {
                hash_path(&name, h, depth + 1);
            }
        }
    }
}
