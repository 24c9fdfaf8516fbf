//! What every handler shares.

use std::sync::Arc;

use leakwall_queue::Queue;
use leakwall_store::Store;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::config::Settings;
use crate::detection::Detection;

/// The largest resource `ocis.resource.download` holds in memory (it reaches Rego as base64).
const BUILTIN_DOWNLOAD_BYTES: u64 = 32 * 1024 * 1024;

/// Shared state of the HTTP server (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// The detection engine, rebuilt when the detectors table changes.
    pub detection: Arc<Detection>,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
    /// The task queue, when this process has one.
    pub queue: Option<Arc<dyn Queue>>,
    /// The Rego policies (files and stored rows); when none exist the built-in default policy
    /// decides.
    pub policies: Option<Arc<crate::policy::Policies>>,
    /// The sharing rules (settings stored in the database).
    pub sharing: Arc<crate::sharing::Sharing>,
}

impl AppState {
    /// State over an open store.
    pub fn new(store: Store, settings: Settings) -> AppState {
        let detection = Arc::new(Detection::new(settings.scan.min_confidence));
        AppState {
            sharing: Arc::new(crate::sharing::Sharing::new(store.clone())),
            store,
            settings: Arc::new(settings),
            detection,
            metrics: crate::telemetry::prometheus(),
            queue: None,
            policies: None,
        }
    }

    /// Loads the configured policy files and the policies stored in the database, and starts
    /// the decision log.
    pub async fn with_policies(mut self) -> AppState {
        let config = self.settings.policies.clone();
        let detection = Arc::clone(&self.detection);
        let download = &self.settings.postprocessing;
        let fetch = crate::postprocessing::download::fetch_fn(
            download.max_file_bytes.min(BUILTIN_DOWNLOAD_BYTES),
            download.download_timeout(),
        );
        let store = self.store.clone();
        let loaded = crate::policy::Policies::load(config, detection, fetch, store).await;
        self.policies = Some(Arc::new(loaded));
        self
    }

    /// With a task queue (dead-letter API, queue metrics and readiness).
    pub fn with_queue(mut self, queue: Arc<dyn Queue>) -> AppState {
        self.queue = Some(queue);
        self
    }
}
