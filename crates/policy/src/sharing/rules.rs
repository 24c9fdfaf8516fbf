//! [`SharingConfig`] (the settings) → [`SharingRules`] (the pattern compiled, the custom rules
//! built) → [`SharingRules::evaluate`]: the two built-in rules, then the custom rules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use serde::{Deserialize, Serialize};

use super::custom::CustomRules;
use super::decision::{SharingDecision, SharingOutcome, SideEffect, SideEffectAction};
use super::model::{address, ChangeKind, Checked, Share, ShareRequest, ShareType};
use super::SharingError;

/// Largest compiled internal-user pattern (bytes of automaton).
const PATTERN_SIZE_LIMIT: usize = 1 << 20;
/// Longest internal-user pattern, in bytes.
const MAX_PATTERN_BYTES: usize = 4096;

/// Rule 1: an internal user shares with an external party.
pub const RULE_EXTERNAL_SHARE: &str = "external_share";
/// Rule 2: an internal user is given WRITE on an externally shared folder.
pub const RULE_WRITE_ON_EXTERNAL: &str = "write_on_external";

/// The sharing settings (admin data).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SharingConfig {
    /// Restricted external sharing on or off.
    pub enabled: bool,
    /// Who is internal: a regular expression matched against the whole e-mail address,
    /// case-insensitively.
    pub internal_pattern: String,
    /// Exact addresses exempt from rule 2 (and never revoked by rule 1).
    pub trusted_users: Vec<String>,
    /// Named groups of users (addresses), for group shares and custom rules.
    pub groups: BTreeMap<String, Vec<String>>,
    /// Custom rules: Rego sources by name.
    pub rules: BTreeMap<String, String>,
    /// Custom rules: Rego files or directories.
    pub rule_files: Vec<PathBuf>,
}

/// Settings compiled once; evaluate from any thread. The default is off.
#[derive(Debug, Clone, Default)]
pub struct SharingRules {
    enabled: bool,
    internal: Option<Regex>,
    trusted: BTreeSet<String>,
    groups: BTreeMap<String, Vec<String>>,
    custom: Option<CustomRules>,
}

impl SharingConfig {
    /// Validates and compiles: enabling without a valid pattern, an invalid trusted or group
    /// address, or a custom rule that does not compile is an error.
    pub fn build(&self) -> Result<SharingRules, SharingError> {
        let internal = match self.internal_pattern.trim() {
            "" if self.enabled => {
                return Err(SharingError::InvalidPattern(
                    "enabling restricted external sharing needs an internal-user pattern".into(),
                ))
            }
            "" => None,
            pattern => Some(compile(pattern)?),
        };
        let mut trusted = BTreeSet::new();
        for (i, user) in self.trusted_users.iter().enumerate() {
            trusted.insert(address(&format!("trusted_users[{i}]"), user)?);
        }
        let mut groups = BTreeMap::new();
        for (name, members) in &self.groups {
            let mut checked = Vec::with_capacity(members.len());
            for member in members {
                checked.push(address(&format!("groups.{name}"), member)?);
            }
            groups.insert(name.clone(), checked);
        }
        let custom = CustomRules::build(&self.rules, &self.rule_files)?;
        Ok(SharingRules {
            enabled: self.enabled,
            internal,
            trusted,
            groups,
            custom,
        })
    }
}

fn compile(pattern: &str) -> Result<Regex, SharingError> {
    if pattern.len() > MAX_PATTERN_BYTES {
        return Err(SharingError::InvalidPattern(format!(
            "longer than {MAX_PATTERN_BYTES} bytes"
        )));
    }
    Regex::builder()
        .syntax(syntax::Config::new().case_insensitive(true))
        .configure(Regex::config().nfa_size_limit(Some(PATTERN_SIZE_LIMIT)))
        .build(&format!(r"\A(?:{pattern})\z"))
        .map_err(|e| SharingError::InvalidPattern(e.to_string()))
}

impl SharingRules {
    /// Whether restricted external sharing is on.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Whether an address is internal (matches the pattern; never without one).
    pub fn is_internal(&self, address: &str) -> bool {
        self.internal
            .as_ref()
            .is_some_and(|re| re.is_match(address.trim()))
    }

    /// Whether an address is a trusted user.
    pub fn is_trusted(&self, address: &str) -> bool {
        self.trusted.contains(&address.trim().to_lowercase())
    }

    /// Decides on `request`. A malformed request is an error and nothing is decided; when
    /// the rules are off every well-formed request is allowed.
    pub fn evaluate(&self, request: &ShareRequest) -> Result<SharingDecision, SharingError> {
        let checked = request.check()?;
        if !self.enabled {
            return Ok(SharingDecision::allow());
        }
        let builtin = self.builtin(&checked);
        match &self.custom {
            None => Ok(builtin),
            Some(custom) => {
                let input = self.input(&checked, &builtin);
                Ok(builtin.combine(custom.decide(&input)))
            }
        }
    }

    /// Whether a share is with an external party.
    pub(crate) fn external(&self, share: &Share) -> bool {
        match share.share_type {
            ShareType::User => !self.is_internal(&share.grantee),
            ShareType::Group => self
                .groups
                .get(&share.grantee)
                .is_some_and(|members| members.iter().any(|m| !self.is_internal(m))),
            ShareType::Link | ShareType::Email | ShareType::Federated => true,
        }
    }

    /// The groups of the admin data that list `address`.
    pub(crate) fn groups_of(&self, address: &str) -> Vec<&str> {
        self.groups
            .iter()
            .filter(|(_, members)| members.iter().any(|m| m == address))
            .map(|(name, _)| name.as_str())
            .collect()
    }

    pub(crate) fn groups(&self) -> &BTreeMap<String, Vec<String>> {
        &self.groups
    }

    fn builtin(&self, c: &Checked) -> SharingDecision {
        let actor_internal = self.is_internal(&c.actor);
        let change_external = self.external(&c.change);
        if c.kind == ChangeKind::Create && actor_internal && change_external {
            return self.rule_one(c);
        }
        let gains_write = c.change.flags.write && !c.previous.is_some_and(|p| p.write);
        let exempt = c.change.share_type == ShareType::User && self.is_trusted(&c.change.grantee);
        if gains_write && !change_external && !exempt {
            let external = self.external_parties(c);
            if !external.is_empty() {
                let message = format!(
                    "WRITE cannot be given to {} on {}: the folder is shared externally with {}.",
                    c.change.grantee,
                    c.folder,
                    external.join(", ")
                );
                let mut decision = SharingDecision::reject(RULE_WRITE_ON_EXTERNAL, message);
                decision.external_users = external;
                return decision;
            }
        }
        SharingDecision::allow()
    }

    /// Rule 1: warn, and revoke WRITE from every internal user of the folder (and of the
    /// parents' shares it inherits), owners and trusted users excepted.
    fn rule_one(&self, c: &Checked) -> SharingDecision {
        let side_effects: Vec<SideEffect> = c
            .access
            .iter()
            .filter(|s| s.flags.write && !self.external(s))
            .filter(|s| s.share_type == ShareType::Group || !self.keeps_write(c, &s.grantee))
            .map(|s| SideEffect {
                action: SideEffectAction::Revoke,
                flag: "WRITE".into(),
                grantee: s.grantee.clone(),
                share_id: s.share_id.clone(),
                path: s.path.clone(),
            })
            .collect();
        let who = describe(&c.change);
        let mut message = format!("{} is now shared with the external party {who}.", c.folder);
        if !side_effects.is_empty() {
            let revoked: Vec<&str> = side_effects.iter().map(|e| e.grantee.as_str()).collect();
            message.push_str(&format!(
                " WRITE is revoked from the internal users of the folder: {}.",
                revoked.join(", ")
            ));
        }
        let mut external = self.external_parties(c);
        if !external.contains(&who) {
            external.push(who);
        }
        SharingDecision {
            decision: SharingOutcome::Warn,
            rule: Some(RULE_EXTERNAL_SHARE.into()),
            message,
            side_effects,
            external_users: external,
        }
    }

    /// Owners and trusted users keep WRITE under rule 1.
    fn keeps_write(&self, c: &Checked, user: &str) -> bool {
        c.owner.as_deref() == Some(user) || self.is_trusted(user)
    }

    /// The external parties of the access list (the folder's and its parents'), in order.
    fn external_parties(&self, c: &Checked) -> Vec<String> {
        let mut parties: Vec<String> = Vec::new();
        for share in c.access.iter().filter(|s| self.external(s)) {
            let who = describe(share);
            if !parties.contains(&who) {
                parties.push(who);
            }
        }
        parties
    }
}

/// How a party is named in messages: the address, `public link <label>`, `group <name>`.
fn describe(share: &Share) -> String {
    match share.share_type {
        ShareType::User | ShareType::Email | ShareType::Federated => share.grantee.clone(),
        ShareType::Group => format!("group {}", share.grantee),
        ShareType::Link if share.grantee.is_empty() => match &share.share_id {
            Some(id) => format!("public link {id}"),
            None => "a public link".into(),
        },
        ShareType::Link => format!("public link {}", share.grantee),
    }
}
