//! The policies of this process: the Rego files named by `policies.engine` and the enabled
//! rows of the `policies` table, built off the async reactor into one set, with the
//! detection engine as the `leakwall.scan` builtin, and rebuilt when a file or a row changes.
//! A set that no longer builds keeps the last good one running and reports the error (log,
//! `leakwall_policy_reload_errors_total`, `/readyz`). Every decision is counted by origin and
//! result and written to the decision log ([`log`]).

pub mod log;
pub mod sources;

use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use leakwall_core::Origin;
use leakwall_policy::{
    Decision, DecisionDocument, DenyReason, FetchFn, PolicyConfig, ScanFn, Verdict,
};
use leakwall_store::Store;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::detection::Detection;
use log::{DecisionLog, DecisionLogConfig, Entry};
use sources::StoredPolicy;

/// `policies:` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoliciesConfig {
    /// The Rego engine: policy files or directories, data documents, limits.
    pub engine: PolicyConfig,
    /// The query whose result is Leakwall's decision document.
    pub decision_query: String,
    /// The decision log.
    pub decision_log: DecisionLogConfig,
}

impl Default for PoliciesConfig {
    fn default() -> Self {
        PoliciesConfig {
            engine: PolicyConfig::default(),
            decision_query: "data.dlp.decision".into(),
            decision_log: DecisionLogConfig::default(),
        }
    }
}

/// The decision point now, what it was built from, and the last reload error if any.
struct Current {
    decision: Arc<Decision>,
    fingerprint: u64,
    has_sources: bool,
}

/// The current decision point, and the last reload error if any.
pub struct Policies {
    config: PoliciesConfig,
    detection: Arc<Detection>,
    fetch: FetchFn,
    store: Store,
    log: DecisionLog,
    current: RwLock<Current>,
    reloading: tokio::sync::Mutex<()>,
    error: Mutex<Option<String>>,
}

impl std::fmt::Debug for Policies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policies")
            .field("query", &self.config.decision_query)
            .finish_non_exhaustive()
    }
}

/// Whether `query` is a reference such as `data.pkg.rule`: `data` and Rego identifiers.
pub fn is_data_reference(query: &str) -> bool {
    let mut parts = query.split('.');
    parts.next() == Some("data")
        && query.contains('.')
        && parts.all(|p| {
            !p.is_empty()
                && !p.starts_with(|c: char| c.is_ascii_digit())
                && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

/// The value and id of a logged evaluation.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// The value of the query (`None` when undefined), or why evaluation failed.
    pub result: Result<Option<Value>, DenyReason>,
    /// The decision-log id (`None` when the log is off).
    pub decision_id: Option<String>,
}

impl Policies {
    /// Builds the configured files and the stored policies (a set that does not build is a
    /// decision point that denies with that reason), and starts the decision log. `fetch`
    /// is the `ocis.resource.download` builtin.
    pub async fn load(
        config: PoliciesConfig,
        detection: Arc<Detection>,
        fetch: FetchFn,
        store: Store,
    ) -> Policies {
        let log = DecisionLog::start(store.clone(), &config.decision_log);
        let policies = Policies {
            current: RwLock::new(Current {
                decision: Arc::new(Decision::from(Err(leakwall_policy::Error::Compile {
                    message: "policies are not loaded yet".into(),
                }))),
                fingerprint: 0,
                has_sources: false,
            }),
            config,
            detection,
            fetch,
            store,
            log,
            reloading: tokio::sync::Mutex::new(()),
            error: Mutex::new(None),
        };
        policies.reload(true).await;
        policies
    }

    /// Whether any policy is configured or stored (otherwise the built-in default decides).
    pub fn configured(&self) -> bool {
        self.read().has_sources
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Current> {
        self.current.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The decision point now.
    pub fn decision(&self) -> Arc<Decision> {
        Arc::clone(&self.read().decision)
    }

    /// The version of the policies deciding now (a fingerprint of files and stored rows).
    pub fn version(&self) -> String {
        format!("{:016x}", self.read().fingerprint)
    }

    /// The last reload error, for `/readyz`.
    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The engine settings (files, data, limits), for checking a stored policy before it is
    /// written.
    pub fn engine_config(&self) -> &PolicyConfig {
        &self.config.engine
    }

    /// Rebuilds when a policy file, a data file or a stored policy changed; keeps the last
    /// good set on failure.
    pub async fn reload_if_changed(&self) {
        self.reload(false).await;
    }

    async fn reload(&self, first: bool) {
        let _one_at_a_time = self.reloading.lock().await;
        let stored = match sources::stored(&self.store).await {
            Ok(stored) => stored,
            Err(e) => {
                tracing::warn!(error = %e, "reading stored policies");
                return;
            }
        };
        let fingerprint = sources::fingerprint(&self.config.engine, &stored);
        if !first && self.read().fingerprint == fingerprint {
            return;
        }
        let has_sources = !self.config.engine.policies.is_empty() || !stored.is_empty();
        let builtins = (self.scan_fn(), Arc::clone(&self.fetch));
        let decision = sources::build(&self.config.engine, &stored, builtins).await;
        self.install(decision, fingerprint, has_sources, first, &stored);
    }

    fn install(
        &self,
        decision: Decision,
        fingerprint: u64,
        has_sources: bool,
        first: bool,
        stored: &[StoredPolicy],
    ) {
        let mut error = self.error.lock().unwrap_or_else(|p| p.into_inner());
        let failed = decision.policies().err().map(|e| e.to_string());
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        current.fingerprint = fingerprint;
        match failed {
            Some(e) if !first => {
                metrics::counter!("leakwall_policy_reload_errors_total").increment(1);
                tracing::error!(error = %e, "changed policies do not build; keeping the last good set");
                *error = Some(e);
            }
            failed => {
                if let Some(e) = &failed {
                    tracing::error!(error = %e, "policies do not build; every decision denies");
                } else if !first {
                    tracing::info!(stored = stored.len(), "policies reloaded");
                }
                current.decision = Arc::new(decision);
                current.has_sources = has_sources;
                *error = failed;
            }
        }
    }

    /// The boolean decision of `query` on `input` (default deny: only a single `true`
    /// allows), evaluated off the async reactor, counted by origin and result, and logged.
    /// `origin` names the entry point (`grpc`, `http`, `proxy`, `postprocessing`, ...).
    pub async fn allow(&self, origin: &'static str, query: &str, input: Value) -> Verdict {
        let evaluated = self.eval(origin, query, input).await;
        Verdict::of_result(evaluated.result.as_ref().map(Option::as_ref))
    }

    /// The value of `query` on `input` (`None` when undefined), evaluated off the reactor,
    /// counted and logged.
    pub async fn eval(&self, origin: &'static str, query: &str, input: Value) -> Evaluated {
        let decision = self.decision();
        let started = Instant::now();
        if let Some(result) = decision.cached(query, &input) {
            let decision_id = self.record(origin, query, input, &result, started);
            return Evaluated {
                result,
                decision_id,
            };
        }
        let owned = query.to_owned();
        let evaluated = tokio::task::spawn_blocking(move || {
            let result = decision.eval(&owned, &input);
            (result, input)
        })
        .await;
        let (result, input) = match evaluated {
            Ok(done) => done,
            Err(_) => (
                Err(DenyReason::Engine("evaluation panicked".into())),
                Value::Null,
            ),
        };
        let decision_id = self.record(origin, query, input, &result, started);
        Evaluated {
            result,
            decision_id,
        }
    }

    fn record(
        &self,
        origin: &'static str,
        query: &str,
        input: Value,
        result: &Result<Option<Value>, DenyReason>,
        started: Instant,
    ) -> Option<String> {
        let verdict = Verdict::of_result(result.as_ref().map(Option::as_ref));
        let outcome = if verdict.is_allowed() {
            "allowed"
        } else {
            "not-allowed"
        };
        metrics::counter!("leakwall_policy_evaluations_total", "origin" => origin, "result" => outcome)
            .increment(1);
        if let Err(reason) = result {
            metrics::counter!("leakwall_policy_failures_total", "origin" => origin, "reason" => reason.kind())
                .increment(1);
        }
        let reason = match &verdict {
            Verdict::Allow => None,
            Verdict::Deny(reason) => Some(format!("{}: {reason}", reason.kind())),
        };
        self.log.record(Entry {
            origin,
            query: query.to_owned(),
            input,
            result: result.clone().ok().flatten().unwrap_or(Value::Null),
            allowed: verdict.is_allowed(),
            reason,
            duration_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            policy_version: self.version(),
        })
    }

    /// Leakwall's decision on `input` (fail closed: an evaluation that fails blocks).
    pub async fn decide(&self, input: Value) -> DecisionDocument {
        let query = self.config.decision_query.clone();
        let parsed = match self.eval("pipeline", &query, input).await.result {
            Ok(Some(value)) => DecisionDocument::parse(value),
            Ok(None) => Err(DenyReason::Undefined),
            Err(reason) => Err(reason),
        };
        parsed.unwrap_or_else(|reason| {
            metrics::counter!("leakwall_policy_denials_total", "reason" => reason.kind())
                .increment(1);
            DecisionDocument::fail_closed(&reason)
        })
    }

    /// `leakwall.scan(text)`: the findings of the current detectors, never the matched text.
    fn scan_fn(&self) -> ScanFn {
        let detection = Arc::clone(&self.detection);
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
}
