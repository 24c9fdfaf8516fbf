//! The task envelope: `{"task": NAME, "args": [...], "kwargs": {...}}` as our users already
//! write it, plus optional fields of our own.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One task to run. Unknown fields are kept out (`deny_unknown_fields` is not set, so bodies
/// written by other producers with extra fields still parse; the extra fields are ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// The registered name of the task function.
    pub task: String,
    /// Positional arguments.
    #[serde(default)]
    pub args: Vec<Value>,
    /// Keyword arguments.
    #[serde(default)]
    pub kwargs: Map<String, Value>,
    /// A producer-chosen id (for idempotency and tracing); set by [`Envelope::new`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Attempt number as the producer saw it (informational; the queue counts deliveries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// Do not run before this time (RFC 3339 UTC); the producer's delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// A trace id carried into logs of the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

impl Envelope {
    /// An envelope for `task` with no arguments.
    pub fn new(task: impl Into<String>) -> Envelope {
        Envelope {
            task: task.into(),
            args: Vec::new(),
            kwargs: Map::new(),
            id: None,
            attempt: None,
            not_before: None,
            trace_id: None,
        }
    }

    /// With positional arguments.
    pub fn args(mut self, args: Vec<Value>) -> Envelope {
        self.args = args;
        self
    }

    /// With one keyword argument.
    pub fn kwarg(mut self, key: impl Into<String>, value: Value) -> Envelope {
        self.kwargs.insert(key.into(), value);
        self
    }

    /// How long from `now` until `not_before`; `None` when there is none or it has passed.
    /// A `not_before` that is not an RFC 3339 time is an error naming it.
    pub fn wait_until_start(
        &self,
        now: std::time::SystemTime,
    ) -> Result<Option<std::time::Duration>, String> {
        let Some(text) = &self.not_before else {
            return Ok(None);
        };
        let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map_err(|e| format!("malformed task envelope: not_before `{text}`: {e}"))?;
        let at = std::time::SystemTime::from(at);
        Ok(at.duration_since(now).ok().filter(|d| !d.is_zero()))
    }

    /// The JSON body put on the queue.
    pub fn to_body(&self) -> String {
        // Serializing a struct of strings and JSON values cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses a body; the error says why it is not an envelope.
    pub fn from_body(body: &str) -> Result<Envelope, String> {
        serde_json::from_str(body).map_err(|e| format!("malformed task envelope: {e}"))
    }
}
