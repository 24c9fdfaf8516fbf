//! The decision log: every policy decision (decision id, origin, query, input with the
//! configured fields erased, result, duration, policy version) is written to the `decisions`
//! table, read through `GET /api/decisions`.
//!
//! Design decision: the evaluation path never waits for the database. A decision is masked
//! and handed to a bounded channel; one writer task drains it in batches (one transaction per
//! batch). When the database falls behind and the channel is full, decisions are dropped and
//! counted (`leakwall_policy_decision_log_dropped_total`) rather than slowing every request.

use std::time::Duration;

use leakwall_store::{Item, Store};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// `policies.decision_log:` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionLogConfig {
    /// Whether decisions are recorded.
    pub enabled: bool,
    /// JSON pointers erased from each logged event before it is stored, under `/input` or
    /// `/result` (OPA's decision-log masking), e.g. `/input/user/mail`.
    pub mask: Vec<String>,
    /// Days a decision is kept.
    pub expire_days: u64,
    /// Decisions waiting to be written before new ones are dropped.
    pub buffer: usize,
}

impl Default for DecisionLogConfig {
    fn default() -> Self {
        DecisionLogConfig {
            enabled: true,
            mask: vec!["/input/text".into(), "/input/content".into()],
            expire_days: 30,
            buffer: 10_000,
        }
    }
}

impl DecisionLogConfig {
    /// Refuses pointers that are not under `/input` or `/result`.
    pub fn validate(&self) -> Result<(), String> {
        for pointer in &self.mask {
            let under = ["/input", "/result"]
                .iter()
                .any(|root| pointer == root || pointer.starts_with(&format!("{root}/")));
            if !under {
                return Err(format!(
                    "mask: `{pointer}` must be a JSON pointer under /input or /result"
                ));
            }
        }
        if self.buffer == 0 {
            return Err("buffer: must be at least 1".into());
        }
        Ok(())
    }
}

/// One decision, as evaluated.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Where it was asked for (`grpc`, `http`, `proxy`, `data`, `pipeline`, ...).
    pub origin: &'static str,
    /// The query.
    pub query: String,
    /// The input document (masked before it is stored).
    pub input: Value,
    /// The result (`null` when undefined).
    pub result: Value,
    /// Whether it allowed.
    pub allowed: bool,
    /// Why it did not allow, when the engine failed or the policy denied.
    pub reason: Option<String>,
    /// Evaluation time in microseconds.
    pub duration_us: u64,
    /// The policy version that decided.
    pub policy_version: String,
}

/// The sending side of the decision log (cheap to clone).
#[derive(Debug, Clone)]
pub struct DecisionLog {
    sender: Option<mpsc::Sender<Item>>,
    mask: std::sync::Arc<[String]>,
}

impl DecisionLog {
    /// A log that records nothing.
    pub fn disabled() -> DecisionLog {
        DecisionLog {
            sender: None,
            mask: Vec::new().into(),
        }
    }

    /// Starts the writer task over `store` (must be called inside a tokio runtime).
    pub fn start(store: Store, config: &DecisionLogConfig) -> DecisionLog {
        if !config.enabled {
            return DecisionLog::disabled();
        }
        let (sender, receiver) = mpsc::channel(config.buffer.max(1));
        let ttl = Duration::from_secs(config.expire_days.saturating_mul(86_400));
        tokio::spawn(write_batches(store, receiver, ttl));
        DecisionLog {
            sender: Some(sender),
            mask: config.mask.clone().into(),
        }
    }

    /// Records a decision; returns its id (`None` when the log is disabled).
    pub fn record(&self, entry: Entry) -> Option<String> {
        let sender = self.sender.as_ref()?;
        let decision_id = new_decision_id();
        let mut event = json!({"input": entry.input, "result": entry.result});
        let erased = erase(&mut event, &self.mask);
        let mut row = Item::new();
        row.insert("decision_id".into(), Value::String(decision_id.clone()));
        row.insert("origin".into(), Value::String(entry.origin.into()));
        row.insert("query".into(), Value::String(entry.query));
        row.insert("input".into(), event["input"].take());
        row.insert("result".into(), event["result"].take());
        row.insert("allowed".into(), Value::Bool(entry.allowed));
        if let Some(reason) = entry.reason {
            row.insert("reason".into(), Value::String(reason));
        }
        row.insert("duration_us".into(), Value::from(entry.duration_us));
        row.insert("policy_version".into(), Value::String(entry.policy_version));
        row.insert("erased".into(), json!(erased));
        if sender.try_send(row).is_err() {
            metrics::counter!("leakwall_policy_decision_log_dropped_total").increment(1);
        }
        Some(decision_id)
    }
}

/// Removes every pointer of `mask` that exists in `event`; returns those removed.
pub fn erase(event: &mut Value, mask: &[String]) -> Vec<String> {
    let mut erased = Vec::new();
    for pointer in mask {
        let Some((parent, last)) = pointer.rsplit_once('/') else {
            continue;
        };
        let key = last.replace("~1", "/").replace("~0", "~");
        let removed = match event.pointer_mut(parent) {
            Some(Value::Object(map)) => map.remove(&key).is_some(),
            Some(Value::Array(items)) => match key.parse::<usize>() {
                Ok(i) if i < items.len() => {
                    items[i] = Value::Null;
                    true
                }
                _ => false,
            },
            _ => false,
        };
        if removed {
            erased.push(pointer.clone());
        }
    }
    erased
}

/// A random id in the UUID v4 layout.
fn new_decision_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        bytes = nanos.to_le_bytes();
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Rows written in one transaction at most.
const BATCH_ROWS: usize = 500;
/// How long the writer gathers rows after the first one before it writes.
const GATHER: Duration = Duration::from_millis(100);

/// Drains the channel until every sender is gone: after the first row it gathers for
/// [`GATHER`] (or until [`BATCH_ROWS`]), so a busy server writes one transaction per batch,
/// not one per decision.
async fn write_batches(store: Store, mut receiver: mpsc::Receiver<Item>, ttl: Duration) {
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    while receiver.recv_many(&mut batch, BATCH_ROWS).await > 0 {
        let deadline = tokio::time::Instant::now() + GATHER;
        while batch.len() < BATCH_ROWS {
            let room = BATCH_ROWS - batch.len();
            let more = tokio::time::timeout_at(deadline, receiver.recv_many(&mut batch, room));
            if !matches!(more.await, Ok(n) if n > 0) {
                break;
            }
        }
        if let Err(e) = store.insert_decisions(&batch, ttl).await {
            metrics::counter!("leakwall_policy_decision_log_errors_total").increment(1);
            tracing::warn!(error = %e, rows = batch.len(), "writing the decision log");
        }
        batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_erases_existing_pointers_only() {
        let mut event = json!({"input": {"user": {"mail": "a@b.c", "name": "a"},
            "list": [1, 2], "a/b": 1}, "result": true});
        let mask: Vec<String> = [
            "/input/user/mail",
            "/input/list/1",
            "/input/nope",
            "/input/a~1b",
        ]
        .map(String::from)
        .to_vec();
        let erased = erase(&mut event, &mask);
        assert_eq!(erased, ["/input/user/mail", "/input/list/1", "/input/a~1b"]);
        assert_eq!(
            event,
            json!({"input": {"user": {"name": "a"}, "list": [1, null]}, "result": true})
        );
    }

    #[test]
    fn mask_pointers_must_be_under_input_or_result() {
        let mut config = DecisionLogConfig::default();
        assert!(config.validate().is_ok());
        config.mask = vec!["/decision_id".into()];
        assert!(config.validate().is_err());
        config.mask = vec!["/inputs/x".into()];
        assert!(config.validate().is_err());
    }

    #[test]
    fn decision_ids_are_uuid_shaped_and_distinct() {
        let (a, b) = (new_decision_id(), new_decision_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
    }
}
