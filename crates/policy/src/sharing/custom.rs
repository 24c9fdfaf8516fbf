//! Custom sharing rules in Rego: [`CUSTOM_QUERY`] evaluated over the documented input, its
//! answer parsed strictly; anything malformed rejects (default deny).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Value};

use super::decision::{SharingDecision, SharingOutcome, SideEffect};
use super::model::Checked;
use super::rules::SharingRules;
use super::SharingError;
use crate::{PolicySet, PolicySetBuilder, Settings};

/// The rule custom sharing policies define: `data.sharing.decision`.
pub const CUSTOM_QUERY: &str = "data.sharing.decision";
/// The `rule` of a decision made by a custom rule.
pub const RULE_CUSTOM: &str = "custom";

/// The compiled custom rules.
#[derive(Debug, Clone)]
pub(crate) struct CustomRules {
    set: Arc<PolicySet>,
}

/// A custom rule's answer: `{"decision": "allow|warn|reject", "message": "...",
/// "side_effects": [...]}`; warn and reject need a message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    decision: SharingOutcome,
    #[serde(default)]
    message: String,
    #[serde(default)]
    side_effects: Vec<SideEffect>,
}

impl CustomRules {
    /// `None` when there are no custom rules.
    pub(crate) fn build(
        sources: &BTreeMap<String, String>,
        files: &[PathBuf],
    ) -> Result<Option<CustomRules>, SharingError> {
        if sources.is_empty() && files.is_empty() {
            return Ok(None);
        }
        let invalid = |e: crate::Error| SharingError::InvalidSettings(e.to_string());
        let mut builder = PolicySetBuilder::new(Settings::default());
        for (name, text) in sources {
            builder = builder.source(format!("sharing/{name}.rego"), text.clone());
        }
        for file in files {
            builder = builder.path(file).map_err(invalid)?;
        }
        let set = builder.build().map_err(invalid)?;
        Ok(Some(CustomRules { set: Arc::new(set) }))
    }

    /// The custom decision on `input`: allow when the rule is undefined (no opinion); a
    /// rejection by `custom` when the evaluation fails or the answer is malformed.
    pub(crate) fn decide(&self, input: &Value) -> SharingDecision {
        let value = match self.set.eval(CUSTOM_QUERY, input) {
            Ok(None) => return SharingDecision::allow(),
            Ok(Some(value)) => value,
            Err(e) => {
                return SharingDecision::reject(
                    RULE_CUSTOM,
                    format!("the custom sharing rules could not be evaluated ({e}); denied"),
                )
            }
        };
        match serde_json::from_value::<Answer>(value) {
            Ok(answer) if answer.decision != SharingOutcome::Allow && answer.message.is_empty() => {
                SharingDecision::reject(
                    RULE_CUSTOM,
                    "a custom sharing rule answered without a message; denied".into(),
                )
            }
            Ok(answer) if answer.decision == SharingOutcome::Allow => SharingDecision::allow(),
            Ok(answer) => SharingDecision {
                decision: answer.decision,
                rule: Some(RULE_CUSTOM.into()),
                message: answer.message,
                side_effects: answer.side_effects,
                external_users: Vec::new(),
            },
            Err(e) => SharingDecision::reject(
                RULE_CUSTOM,
                format!("a custom sharing rule answered a malformed decision ({e}); denied"),
            ),
        }
    }
}

impl SharingRules {
    /// The Rego input of custom rules (see the module documentation of `sharing`).
    pub(crate) fn input(&self, c: &Checked, builtin: &SharingDecision) -> Value {
        let party = |share: &super::model::Share| {
            json!({
                "path": share.path,
                "share_id": share.share_id,
                "share_type": share.share_type.as_str(),
                "grantee": share.grantee,
                "flags": share.flags,
                "role": share.flags.role(),
                "internal": !self.external(share),
                "trusted": self.is_trusted(&share.grantee),
                "inherited": share.path != c.folder,
                "groups": self.groups_of(&share.grantee),
            })
        };
        let access: Vec<Value> = c.access.iter().map(party).collect();
        let mut change = party(&c.change);
        change["kind"] = json!(c.kind);
        change["previous_flags"] = json!(c.previous);
        json!({
            "folder": {"path": c.folder, "owner": c.owner},
            "access": access,
            "change": change,
            "actor": {
                "email": c.actor,
                "internal": self.is_internal(&c.actor),
                "trusted": self.is_trusted(&c.actor),
                "groups": self.groups_of(&c.actor),
            },
            "groups": self.groups(),
            "builtin": builtin,
        })
    }
}
