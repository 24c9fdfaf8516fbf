//! Sharing rules in the server: the settings (a row written through the admin API, audited,
//! picked up without a restart), the decisions asked for by `POST /v1/sharing/evaluate`, the
//! gRPC `EvaluateSharing` call and the proxy guard in front of an OCS server, and the
//! incidents they leave.
//!
//! Design decision: the compiled rules live behind a lock as one `Arc<SharingRules>` built
//! from the stored row; a write through the API rebuilds them at once in this process and
//! every process compares the row on its maintenance tick (every 5 s), as stored policies do.
//! Settings that no longer build (a rule file removed since) fail closed: every evaluation is
//! answered with an error, never with an unchecked allow.

pub mod grpc;
pub mod incidents;
pub mod ocs;
pub mod openapi;
pub mod settings;

use std::sync::{Arc, RwLock};

use leakwall_core::ErrorCode;
use leakwall_policy::sharing::{
    ShareRequest, SharingConfig, SharingDecision, SharingError, SharingOutcome, SharingRules,
};
use leakwall_store::{Item, Store};

/// Why a sharing request got no decision.
#[derive(Debug)]
pub enum SharingFailure {
    /// The request (or the stored settings) is malformed: a 4xx with a stable kind.
    Invalid(SharingError),
    /// The store failed, or the stored settings no longer build.
    Internal(String),
}

impl SharingFailure {
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            SharingFailure::Invalid(e) => e.code(),
            SharingFailure::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl std::fmt::Display for SharingFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SharingFailure::Invalid(e) => e.fmt(f),
            SharingFailure::Internal(message) => f.write_str(message),
        }
    }
}

struct Loaded {
    /// The row the rules were built from (`None`: none stored yet).
    row: Option<Item>,
    config: SharingConfig,
    rules: Result<Arc<SharingRules>, SharingError>,
}

/// The sharing rules of this process.
pub struct Sharing {
    store: Store,
    loaded: RwLock<Option<Loaded>>,
}

impl std::fmt::Debug for Sharing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sharing").finish_non_exhaustive()
    }
}

impl Sharing {
    /// Sharing over `store`; the settings are read on first use.
    pub fn new(store: Store) -> Sharing {
        Sharing {
            store,
            loaded: RwLock::new(None),
        }
    }

    /// The store incidents are written to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Reads the settings row and rebuilds the rules when it changed.
    pub async fn reload(&self) -> Result<(), SharingFailure> {
        let row = settings::load(&self.store)
            .await
            .map_err(|e| SharingFailure::Internal(format!("reading the sharing settings: {e}")))?;
        let unchanged = self
            .loaded
            .read()
            .map(|l| l.as_ref().is_some_and(|l| l.row == row))
            .unwrap_or(false);
        if unchanged {
            return Ok(());
        }
        let config = match &row {
            None => SharingConfig::default(),
            Some(row) => settings::config_of(row).unwrap_or_else(|e| {
                tracing::error!(error = %e, "the stored sharing settings are malformed");
                SharingConfig {
                    enabled: true,
                    ..SharingConfig::default()
                }
            }),
        };
        let rules = build(config.clone()).await;
        if let Err(e) = &rules {
            tracing::error!(error = %e, "the stored sharing settings do not build; sharing requests fail");
        }
        if let Ok(mut loaded) = self.loaded.write() {
            *loaded = Some(Loaded { row, config, rules });
        }
        Ok(())
    }

    /// The current settings (loaded if never loaded).
    pub async fn config(&self) -> Result<SharingConfig, SharingFailure> {
        self.ensure_loaded().await?;
        let loaded = self.loaded.read().map_err(poisoned)?;
        Ok(loaded
            .as_ref()
            .map(|l| l.config.clone())
            .unwrap_or_default())
    }

    /// The current rules (loaded if never loaded).
    pub async fn rules(&self) -> Result<Arc<SharingRules>, SharingFailure> {
        self.ensure_loaded().await?;
        let loaded = self.loaded.read().map_err(poisoned)?;
        match loaded.as_ref().map(|l| &l.rules) {
            Some(Ok(rules)) => Ok(Arc::clone(rules)),
            Some(Err(e)) => Err(SharingFailure::Internal(format!(
                "the stored sharing settings do not build: {e}"
            ))),
            None => Err(SharingFailure::Internal(
                "sharing settings not loaded".into(),
            )),
        }
    }

    async fn ensure_loaded(&self) -> Result<(), SharingFailure> {
        let loaded = self.loaded.read().map(|l| l.is_some()).unwrap_or(false);
        if loaded {
            return Ok(());
        }
        self.reload().await
    }

    /// Decides on `request` (asked through `origin`: `http`, `grpc`, `proxy`) and records a
    /// warning or a rejection as an incident.
    pub async fn evaluate(
        &self,
        request: ShareRequest,
        origin: &'static str,
    ) -> Result<SharingDecision, SharingFailure> {
        let rules = self.rules().await?;
        let (request, decided) = tokio::task::spawn_blocking(move || {
            let decided = rules.evaluate(&request);
            (request, decided)
        })
        .await
        .map_err(|e| SharingFailure::Internal(format!("sharing evaluation: {e}")))?;
        let decision = decided.map_err(SharingFailure::Invalid)?;
        metrics::counter!("leakwall_sharing_decisions_total", "origin" => origin,
            "decision" => decision.decision.as_str())
        .increment(1);
        if decision.decision != SharingOutcome::Allow {
            incidents::record_decision(&self.store, &request, &decision, origin).await;
        }
        Ok(decision)
    }
}

/// Validates and compiles settings off the reactor (custom rules compile Rego).
pub async fn build(config: SharingConfig) -> Result<Arc<SharingRules>, SharingError> {
    tokio::task::spawn_blocking(move || config.build().map(Arc::new))
        .await
        .unwrap_or_else(|e| Err(SharingError::InvalidSettings(format!("building: {e}"))))
}

fn poisoned<T>(_: T) -> SharingFailure {
    SharingFailure::Internal("the sharing settings lock is poisoned".into())
}
