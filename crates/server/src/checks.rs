//! What each resource requires beyond field types: detectors must compile, permissions must
//! parse and name existing groups, statuses come from a fixed set. Checked on the whole item
//! (the created one, or the stored one merged with an update).

use std::collections::BTreeSet;
use std::sync::Arc;

use leakwall_access::{Access, Identifier, IdentifierType, Permissions, Schema, Validators};
use leakwall_core::ErrorCode;
use leakwall_detect::ScannerConfig;
use leakwall_store::{hash_key, new_api_key, ApiKey, Item};
use serde_json::Value;

use crate::detection::{custom_config, Detection};
use crate::error::ApiError;
use crate::policy::sources::{self, StoredPolicy};
use crate::state::AppState;

/// Incident statuses.
pub const STATUSES: [&str; 4] = ["open", "acknowledged", "resolved", "false-positive"];
/// Detector and finding categories.
pub const CATEGORIES: [&str; 4] = ["pii", "financial", "credential", "content"];
/// Fields of a built-in detector that may be set (it cannot be given another pattern).
const BUILTIN_FIELDS: [&str; 6] = [
    "name",
    "enabled",
    "confidence",
    "description",
    "created_at",
    "updated_at",
];

/// Per-field validators of a resource (the spec's validators: required on create).
pub fn validators(_schema: &Schema) -> Validators {
    Validators::new()
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::ValidationFailed, message)
}

/// Fills what the server generates before a create is validated: an API key principal gets
/// a generated id and a secret, returned once.
pub fn prepare_create(schema: &Schema, item: &mut Item) -> Result<Option<ApiKey>, ApiError> {
    let is_key = schema.name == "principals"
        && item.get("type").and_then(Value::as_str) == Some(IdentifierType::ApiKey.as_str());
    if !is_key {
        return Ok(None);
    }
    if item.contains_key("id") {
        return Err(invalid("the id of an API key is generated; leave `id` out"));
    }
    let key = new_api_key();
    item.insert("id".into(), Value::String(key.id.clone()));
    Ok(Some(key))
}

/// The hidden fields of a new API key principal.
pub fn key_hidden(key: &ApiKey) -> Item {
    let mut hidden = Item::new();
    hidden.insert("key_hash".into(), Value::String(hash_key(&key.secret)));
    hidden
}

/// Refuses deletes that would break the product.
pub fn deletable(schema: &Schema, id: &str) -> Result<(), ApiError> {
    if schema.name == "groups" && id == "admin" {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "the built-in admin group cannot be deleted",
        ));
    }
    Ok(())
}

/// After a write: a detector change rebuilds the engine at once, a policy change the
/// policies.
pub async fn after_write(state: &AppState, schema: &Schema) {
    if schema.name == "detectors" {
        if let Err(e) = state.detection.reload(&state.store).await {
            tracing::error!(error = e.message, "reloading detectors after a write");
        }
    }
    if let (Some(policies), "policies") = (&state.policies, schema.name) {
        policies.reload_if_changed().await;
    }
}

/// The checks of one resource, with what they need loaded up front, so they can run inside
/// the store's write transaction.
pub struct ItemCheck {
    schema: &'static Schema,
    detection: Arc<Detection>,
    groups: BTreeSet<String>,
    policies: Option<PolicyCheck>,
}

impl ItemCheck {
    /// Loads what the checks of `schema` need.
    pub async fn new(state: &AppState, schema: &'static Schema) -> Result<ItemCheck, ApiError> {
        let groups = if schema.name == "principals" {
            state
                .store
                .groups()
                .await?
                .into_iter()
                .map(|g| g.id)
                .collect()
        } else {
            BTreeSet::new()
        };
        let policies = if schema.name == "policies" {
            Some(PolicyCheck::new(state).await?)
        } else {
            None
        };
        Ok(ItemCheck {
            schema,
            detection: Arc::clone(&state.detection),
            groups,
            policies,
        })
    }

    /// Checks a whole item.
    pub fn check(&self, item: &Item) -> Result<(), ApiError> {
        match self.schema.name {
            "detectors" => self.detector(item),
            "incidents" => incident(item),
            "principals" => self.principal(item),
            "groups" => permissions(item, "group").map(|_| ()),
            "policies" => self.policies.as_ref().map_or(Ok(()), |p| p.check(item)),
            _ => Ok(()),
        }
    }

    fn detector(&self, item: &Item) -> Result<(), ApiError> {
        let name = item.get("name").and_then(Value::as_str).unwrap_or_default();
        if self.detection.is_builtin(name) {
            for (key, value) in item {
                if !value.is_null() && !BUILTIN_FIELDS.contains(&key.as_str()) {
                    return Err(invalid(format!(
                        "`{name}` is a built-in detector: only enabled, confidence and description can be set, not `{key}`"
                    )));
                }
            }
            return confidence(item);
        }
        if item
            .get("pattern")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(invalid("pattern is required"));
        }
        let custom = custom_config(item)?;
        let config = ScannerConfig {
            only: Some(vec![custom.id.clone()]),
            custom: vec![custom],
            ..ScannerConfig::default()
        };
        config.build().map(|_| ()).map_err(|e| match e.code() {
            ErrorCode::InvalidConfig => invalid(e.to_string()),
            code => ApiError::new(code, e.to_string()),
        })
    }

    fn principal(&self, item: &Item) -> Result<(), ApiError> {
        permissions(item, "principal")?;
        let kind = item.get("type").cloned().unwrap_or_default();
        serde_json::from_value::<IdentifierType>(kind)
            .map_err(|_| invalid("type must be USERNAME, OIDC_GROUP or API_KEY"))?;
        let groups: Vec<String> = list_of_strings(item, "groups")?;
        match groups.iter().find(|g| !self.groups.contains(*g)) {
            Some(unknown) => Err(invalid(format!("unknown group `{unknown}`"))),
            None => Ok(()),
        }
    }
}

/// A stored policy is written only if the whole set still builds with it: the configured
/// files and the other enabled stored policies, with this one added or replaced.
struct PolicyCheck {
    engine: leakwall_policy::PolicyConfig,
    stored: Vec<StoredPolicy>,
}

impl PolicyCheck {
    async fn new(state: &AppState) -> Result<PolicyCheck, ApiError> {
        let engine = state
            .policies
            .as_ref()
            .map(|p| p.engine_config().clone())
            .unwrap_or_default();
        let stored = sources::stored(&state.store).await?;
        Ok(PolicyCheck { engine, stored })
    }

    fn check(&self, item: &Item) -> Result<(), ApiError> {
        let written = StoredPolicy::from_write(item);
        if written.name.is_empty()
            || !written
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
        {
            return Err(invalid(
                "name must be letters, digits, `_`, `-` or `.` (it names the policy in errors)",
            ));
        }
        let mut set: Vec<StoredPolicy> = self
            .stored
            .iter()
            .filter(|p| p.id != written.id)
            .cloned()
            .collect();
        if item.get("enabled") != Some(&Value::Bool(false)) {
            set.push(written);
        }
        let decision = sources::build_now(&self.engine, &set, sources::no_scan(), None);
        match decision.policies() {
            Ok(_) => Ok(()),
            Err(e) => Err(invalid(format!("the policy does not compile: {e}"))),
        }
    }
}

fn confidence(item: &Item) -> Result<(), ApiError> {
    match item.get("confidence") {
        None | Some(Value::Null) => Ok(()),
        Some(c) if c.as_f64().is_some_and(|c| (0.0..=1.0).contains(&c)) => Ok(()),
        Some(_) => Err(invalid("confidence must be between 0 and 1")),
    }
}

fn incident(item: &Item) -> Result<(), ApiError> {
    one_of(item, "status", &STATUSES)?;
    one_of(item, "category", &CATEGORIES)?;
    confidence(item)
}

fn one_of(item: &Item, key: &str, allowed: &[&str]) -> Result<(), ApiError> {
    match item.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(()),
        Some(_) => Err(invalid(format!(
            "{key} must be one of {}",
            allowed.join(", ")
        ))),
    }
}

fn list_of_strings(item: &Item, key: &str) -> Result<Vec<String>, ApiError> {
    match item.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|_| invalid(format!("{key} must be a list of strings"))),
    }
}

/// The permission fields of a group or principal, parsed and compiled (a bad endpoint regex or
/// filter is refused here rather than failing every later request of its members).
fn permissions(item: &Item, owner: &str) -> Result<Permissions, ApiError> {
    let mut fields = serde_json::Map::new();
    for key in [
        "permitted_endpoints",
        "filter_fields",
        "exclude_fields",
        "update_fields_permitted",
        "update_fields_restricted",
    ] {
        if let Some(v) = item.get(key).filter(|v| !v.is_null()) {
            fields.insert(key.into(), v.clone());
        }
    }
    let perms: Permissions = serde_json::from_value(Value::Object(fields))
        .map_err(|e| invalid(format!("{owner} permissions: {e}")))?;
    let probe = Identifier {
        id: "probe".into(),
        kind: IdentifierType::Username,
        name: String::new(),
        username: String::new(),
        email: String::new(),
        groups: Vec::new(),
        enabled: true,
        permissions: perms.clone(),
    };
    Access::for_identifier(&probe, |_| None).map_err(|e| invalid(e.to_string()))?;
    Ok(perms)
}
