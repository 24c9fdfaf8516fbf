//! The decision shape shared by the built-in rules and custom Rego rules:
//! [`SharingDecision`] = allow, warn (message, side effects) or reject (message).

use serde::{Deserialize, Serialize};

/// Allow, allow with a warning, or reject; ordered from the mildest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SharingOutcome {
    /// Apply the change.
    Allow,
    /// Apply the change, tell the sharer, carry out the side effects.
    Warn,
    /// Do not apply the change.
    Reject,
}

impl SharingOutcome {
    /// `allow`, `warn` or `reject`.
    pub fn as_str(self) -> &'static str {
        match self {
            SharingOutcome::Allow => "allow",
            SharingOutcome::Warn => "warn",
            SharingOutcome::Reject => "reject",
        }
    }
}

/// Something the caller must do after applying the change; for now the only action is
/// revoking `WRITE` from one share.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SideEffect {
    /// `revoke`.
    pub action: SideEffectAction,
    /// The flag revoked: `WRITE`.
    pub flag: String,
    /// Whose share.
    pub grantee: String,
    /// The share to change, when the access list gave its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_id: Option<String>,
    /// The folder the share is on (the folder or a parent).
    pub path: String,
}

/// What a side effect does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SideEffectAction {
    /// Remove a flag from a share.
    Revoke,
}

/// The answer to a sharing request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharingDecision {
    /// Allow, warn or reject.
    pub decision: SharingOutcome,
    /// The rule that decided: `external_share` (rule 1), `write_on_external` (rule 2),
    /// `custom` (a Rego rule); absent for a plain allow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The explanation for the sharer (empty for a plain allow).
    #[serde(default)]
    pub message: String,
    /// What the caller must do once the change is applied (warn only).
    #[serde(default)]
    pub side_effects: Vec<SideEffect>,
    /// The external parties with access to the folder (rule 2 lists them in its message).
    #[serde(default)]
    pub external_users: Vec<String>,
}

impl SharingDecision {
    /// A plain allow.
    pub fn allow() -> SharingDecision {
        SharingDecision {
            decision: SharingOutcome::Allow,
            rule: None,
            message: String::new(),
            side_effects: Vec::new(),
            external_users: Vec::new(),
        }
    }

    /// A rejection by `rule`.
    pub fn reject(rule: &str, message: String) -> SharingDecision {
        SharingDecision {
            decision: SharingOutcome::Reject,
            rule: Some(rule.to_owned()),
            message,
            ..SharingDecision::allow()
        }
    }

    /// Whether the change may be applied.
    pub fn allows(&self) -> bool {
        self.decision != SharingOutcome::Reject
    }

    /// The stricter of two decisions; two warnings (or two rejections) are merged: messages
    /// joined, side effects and external users united.
    pub fn combine(self, other: SharingDecision) -> SharingDecision {
        use std::cmp::Ordering;
        match self.decision.cmp(&other.decision) {
            Ordering::Less => other,
            Ordering::Greater => self,
            Ordering::Equal if self.decision == SharingOutcome::Allow => self,
            Ordering::Equal => {
                let mut merged = self;
                if !other.message.is_empty() {
                    if !merged.message.is_empty() {
                        merged.message.push(' ');
                    }
                    merged.message.push_str(&other.message);
                }
                let rules: Vec<String> = merged.rule.into_iter().chain(other.rule).collect();
                merged.rule = Some(rules.join(","));
                for effect in other.side_effects {
                    if !merged.side_effects.contains(&effect) {
                        merged.side_effects.push(effect);
                    }
                }
                for user in other.external_users {
                    if !merged.external_users.contains(&user) {
                        merged.external_users.push(user);
                    }
                }
                merged
            }
        }
    }
}
