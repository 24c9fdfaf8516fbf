//! The policies of this process: the Rego set named by `policies.engine`, built off the async
//! reactor, with the detection engine as the `leakwall.scan` builtin, and rebuilt when its
//! files change. A set that no longer builds keeps the last good one running and reports the
//! error (log, `leakwall_policy_reload_errors_total`, `/readyz`).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use leakwall_core::Origin;
use leakwall_policy::{Decision, DecisionDocument, PolicyConfig, ScanFn};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::detection::Detection;

/// `policies:` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoliciesConfig {
    /// The Rego engine: policy files or directories, data documents, limits.
    pub engine: PolicyConfig,
    /// The query whose result is Leakwall's decision document.
    pub decision_query: String,
}

impl Default for PoliciesConfig {
    fn default() -> Self {
        PoliciesConfig {
            engine: PolicyConfig::default(),
            decision_query: "data.dlp.decision".into(),
        }
    }
}

/// The current decision point, and the last reload error if any.
pub struct Policies {
    config: PoliciesConfig,
    detection: Arc<Detection>,
    decision: RwLock<Arc<Decision>>,
    fingerprint: Mutex<u64>,
    error: Mutex<Option<String>>,
}

impl std::fmt::Debug for Policies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policies")
            .field("query", &self.config.decision_query)
            .finish_non_exhaustive()
    }
}

impl Policies {
    /// Builds the configured set (a set that does not build is a decision point that denies
    /// with that reason).
    pub async fn load(config: PoliciesConfig, detection: Arc<Detection>) -> Policies {
        let fingerprint = files_fingerprint(&config.engine);
        let decision = build(&config.engine, &detection).await;
        let error = decision.policies().err().map(|e| e.to_string());
        if let Some(e) = &error {
            tracing::error!(error = %e, "policies do not build; every decision denies");
        }
        Policies {
            config,
            detection,
            decision: RwLock::new(Arc::new(decision)),
            fingerprint: Mutex::new(fingerprint),
            error: Mutex::new(error),
        }
    }

    /// Whether any policy is configured (otherwise the built-in default policy decides).
    pub fn configured(&self) -> bool {
        !self.config.engine.policies.is_empty()
    }

    /// The decision point now.
    pub fn decision(&self) -> Arc<Decision> {
        Arc::clone(&self.decision.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The last reload error, for `/readyz`.
    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Rebuilds when a policy or data file changed; keeps the last good set on failure.
    pub async fn reload_if_changed(&self) {
        if !self.configured() {
            return;
        }
        let now = files_fingerprint(&self.config.engine);
        {
            let mut seen = self.fingerprint.lock().unwrap_or_else(|p| p.into_inner());
            if *seen == now {
                return;
            }
            *seen = now;
        }
        let decision = build(&self.config.engine, &self.detection).await;
        let mut error = self.error.lock().unwrap_or_else(|p| p.into_inner());
        match decision.policies() {
            Ok(_) => {
                *self.decision.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(decision);
                *error = None;
                tracing::info!("policies reloaded");
            }
            Err(e) => {
                metrics::counter!("leakwall_policy_reload_errors_total").increment(1);
                tracing::error!(error = %e, "changed policies do not build; keeping the last good set");
                *error = Some(e.to_string());
            }
        }
    }

    /// Leakwall's decision on `input` (fail closed: an evaluation that fails blocks).
    pub async fn decide(&self, input: Value) -> DecisionDocument {
        let decision = self.decision();
        let query = self.config.decision_query.clone();
        let evaluated =
            tokio::task::spawn_blocking(move || decision.evaluate_document(&query, &input)).await;
        match evaluated {
            Ok(Ok(doc)) => doc,
            Ok(Err(reason)) => {
                metrics::counter!("leakwall_policy_denials_total", "reason" => reason.kind())
                    .increment(1);
                DecisionDocument::fail_closed(&reason)
            }
            Err(_) => DecisionDocument::fail_closed(&leakwall_policy::DenyReason::Engine(
                "evaluation panicked".into(),
            )),
        }
    }
}

async fn build(config: &PolicyConfig, detection: &Arc<Detection>) -> Decision {
    let config = config.clone();
    let scan = scan_fn(Arc::clone(detection));
    let built =
        tokio::task::spawn_blocking(move || config.builder().and_then(|b| b.scanner(scan).build()))
            .await;
    match built {
        Ok(result) => Decision::from(result),
        Err(_) => Decision::from(Err(leakwall_policy::Error::Compile {
            message: "building the policies panicked".into(),
        })),
    }
}

/// `leakwall.scan(text)`: the findings of the current detectors, never the matched text.
fn scan_fn(detection: Arc<Detection>) -> ScanFn {
    Arc::new(move |text: &str| {
        let engine = detection.engine();
        let report = engine.scan_bytes(Origin::path("policy"), text.as_bytes(), None, false);
        let findings: Vec<Value> = report
            .findings
            .iter()
            .map(|s| {
                let f = &s.finding;
                json!({"detector": &*f.detector, "category": f.category.as_str(),
                    "confidence": f.confidence, "start": f.start, "end": f.end})
            })
            .collect();
        Value::Array(findings)
    })
}

/// Changes to any configured file or directory entry (names, sizes, modification times).
fn files_fingerprint(config: &PolicyConfig) -> u64 {
    let mut h = DefaultHasher::new();
    let paths = config
        .policies
        .iter()
        .chain(&config.data)
        .chain(&config.mimes);
    for path in paths {
        hash_path(path, &mut h, 0);
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
