//! Default deny: [`Verdict`], the typed [`DenyReason`], the [`Decision`] point that turns
//! every failure into a deny, and Leakwall's strict [`DecisionDocument`].

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Error, EvalError, PolicySet};

/// The outcome of a boolean policy query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The query evaluated to exactly `true`.
    Allow,
    /// Anything else, and why.
    Deny(DenyReason),
}

impl Verdict {
    /// The verdict on an evaluation's result: only `Ok(Some(true))` allows.
    pub fn of_result(result: Result<Option<&serde_json::Value>, &DenyReason>) -> Verdict {
        match result {
            Ok(Some(serde_json::Value::Bool(true))) => Verdict::Allow,
            Ok(Some(serde_json::Value::Bool(false))) => Verdict::Deny(DenyReason::False),
            Ok(None) => Verdict::Deny(DenyReason::Undefined),
            Ok(Some(other)) => Verdict::Deny(DenyReason::NotBoolean {
                found: json_kind(other),
            }),
            Err(reason) => Verdict::Deny(reason.clone()),
        }
    }

    /// Whether the verdict allows.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Verdict::Allow)
    }
}

/// Why a query denied. Only a single boolean `true` allows (spec §1.7).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DenyReason {
    /// The policy answered `false`.
    #[error("denied by policy (false)")]
    False,
    /// The rule, or its package, is undefined for this input.
    #[error("undefined: the query has no value")]
    Undefined,
    /// The query has a value that is not a boolean.
    #[error("not a boolean: the query evaluated to a {found}")]
    NotBoolean {
        /// The Rego type found (`string`, `object`, …).
        found: &'static str,
    },
    /// A configured policy file does not exist.
    #[error("missing policy: {0}")]
    MissingPolicy(String),
    /// A policy file cannot be read, or is larger than allowed.
    #[error("unreadable policy: {0}")]
    Unreadable(String),
    /// The policies do not compile (or a setting or data document is invalid).
    #[error("compile error: {0}")]
    Compile(String),
    /// The query is not a `data` reference.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// The engine failed during evaluation.
    #[error("engine error: {0}")]
    Engine(String),
    /// The evaluation reached the time limit.
    #[error("timeout: evaluation exceeded {}", human(*limit))]
    Timeout {
        /// The configured limit.
        limit: Duration,
    },
    /// The decision document is malformed.
    #[error("invalid decision document: {0}")]
    InvalidDocument(String),
}

impl DenyReason {
    /// A stable short name: `false`, `undefined`, `not_boolean`, `missing_policy`,
    /// `unreadable`, `compile_error`, `invalid_query`, `engine_error`, `timeout`,
    /// `invalid_decision`.
    pub fn kind(&self) -> &'static str {
        match self {
            DenyReason::False => "false",
            DenyReason::Undefined => "undefined",
            DenyReason::NotBoolean { .. } => "not_boolean",
            DenyReason::MissingPolicy(_) => "missing_policy",
            DenyReason::Unreadable(_) => "unreadable",
            DenyReason::Compile(_) => "compile_error",
            DenyReason::InvalidQuery(_) => "invalid_query",
            DenyReason::Engine(_) => "engine_error",
            DenyReason::Timeout { .. } => "timeout",
            DenyReason::InvalidDocument(_) => "invalid_decision",
        }
    }

    /// Whether the policy decided (`false`, undefined, wrong type, bad document) rather than
    /// failed to run (missing file, compile or engine error, timeout). oCIS answers the first
    /// with 403 and the second with 500.
    pub fn is_policy_answer(&self) -> bool {
        matches!(
            self,
            DenyReason::False
                | DenyReason::Undefined
                | DenyReason::NotBoolean { .. }
                | DenyReason::InvalidDocument(_)
        )
    }
}

impl From<EvalError> for DenyReason {
    fn from(e: EvalError) -> Self {
        match e {
            EvalError::InvalidQuery { query } => DenyReason::InvalidQuery(query),
            EvalError::Timeout { limit } => DenyReason::Timeout { limit },
            EvalError::Engine { message } => DenyReason::Engine(message),
        }
    }
}

impl From<&Error> for DenyReason {
    fn from(e: &Error) -> Self {
        match e {
            Error::MissingPolicy { .. } => DenyReason::MissingPolicy(e.to_string()),
            Error::Unreadable { .. } | Error::PolicyTooLarge { .. } => {
                DenyReason::Unreadable(e.to_string())
            }
            Error::Compile { .. } | Error::Data { .. } | Error::InvalidConfig(_) => {
                DenyReason::Compile(e.to_string())
            }
        }
    }
}

/// The decision point: a policy set, or the reason it could not be built. Either way every
/// query gets an answer, and a set that failed to load denies everything with that reason.
#[derive(Debug, Clone)]
pub struct Decision {
    policies: Result<Arc<PolicySet>, Arc<Error>>,
}

impl From<Result<PolicySet, Error>> for Decision {
    fn from(built: Result<PolicySet, Error>) -> Self {
        Decision {
            policies: built.map(Arc::new).map_err(Arc::new),
        }
    }
}

impl Decision {
    /// A decision point over a built set.
    pub fn new(policies: Arc<PolicySet>) -> Self {
        Decision {
            policies: Ok(policies),
        }
    }

    /// The policy set, or why it could not be built.
    pub fn policies(&self) -> Result<&Arc<PolicySet>, &Error> {
        self.policies.as_ref().map_err(|e| &**e)
    }

    /// Default deny: only a single boolean `true` allows.
    pub fn evaluate_bool(&self, query: &str, input: &serde_json::Value) -> Verdict {
        match &self.policies {
            Ok(set) => set.evaluate_bool(query, input),
            Err(e) => Verdict::Deny(DenyReason::from(&**e)),
        }
    }

    /// The raw result of `query` (`None` when undefined), for the OPA-style data API.
    pub fn eval(
        &self,
        query: &str,
        input: &serde_json::Value,
    ) -> Result<Option<serde_json::Value>, DenyReason> {
        let set = self.policies.as_ref().map_err(|e| DenyReason::from(&**e))?;
        set.eval(query, input).map_err(DenyReason::from)
    }

    /// The remembered result of `query` on `input`, if the set remembers one (see
    /// [`PolicySet::cached`]).
    pub fn cached(
        &self,
        query: &str,
        input: &serde_json::Value,
    ) -> Option<Result<Option<serde_json::Value>, DenyReason>> {
        let set = self.policies.as_ref().ok()?;
        set.cached(query, input)
            .map(|result| result.map_err(DenyReason::from))
    }

    /// Leakwall's decision document at `query`, parsed strictly. Any failure is an `Err` with
    /// the reason; [`DecisionDocument::fail_closed`] turns it into a blocking document.
    pub fn evaluate_document(
        &self,
        query: &str,
        input: &serde_json::Value,
    ) -> Result<DecisionDocument, DenyReason> {
        match self.eval(query, input)? {
            None => Err(DenyReason::Undefined),
            Some(value) => DecisionDocument::parse(value),
        }
    }
}

/// What Leakwall does with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Let it through.
    Approve,
    /// Remove it and tell the author (Slack: delete and notice).
    Block,
    /// Let it through and warn the author.
    Warn,
    /// Refuse it on the platform (Webex: `result=reject`).
    Reject,
    /// Let it through and notify the listed recipients.
    Notify,
}

impl Action {
    /// The name used in documents and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Block => "block",
            Action::Warn => "warn",
            Action::Reject => "reject",
            Action::Notify => "notify",
        }
    }

    /// Whether the action lets the content through.
    pub fn allows(self) -> bool {
        matches!(self, Action::Approve | Action::Warn | Action::Notify)
    }
}

/// Leakwall's decision document:
/// `{"allow": bool, "action": "approve|block|warn|reject|notify", "reasons": [..], "notify": [..]}`.
/// Unknown fields, wrong types, and an `allow` that contradicts the action are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionDocument {
    /// Whether the content may pass.
    pub allow: bool,
    /// What to do.
    pub action: Action,
    /// Why, in words for the author and the incident record.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Who to notify (channels, groups, addresses).
    #[serde(default)]
    pub notify: Vec<String>,
}

impl DecisionDocument {
    /// Parses a policy result strictly.
    pub fn parse(value: serde_json::Value) -> Result<Self, DenyReason> {
        let doc: DecisionDocument = serde_json::from_value(value)
            .map_err(|e| DenyReason::InvalidDocument(e.to_string()))?;
        if doc.allow != doc.action.allows() {
            return Err(DenyReason::InvalidDocument(format!(
                "allow: {} contradicts action {}",
                doc.allow,
                doc.action.as_str()
            )));
        }
        Ok(doc)
    }

    /// The document a failed evaluation stands for: block, with the reason.
    pub fn fail_closed(reason: &DenyReason) -> Self {
        DecisionDocument {
            allow: false,
            action: Action::Block,
            reasons: vec![reason.to_string()],
            notify: Vec::new(),
        }
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// `10s`, `250ms`, `1.5s`.
pub(crate) fn human(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d.subsec_nanos().is_multiple_of(1_000_000) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{d:?}")
    }
}
