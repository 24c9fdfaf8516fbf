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
