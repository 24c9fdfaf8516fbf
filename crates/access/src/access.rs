//! [`Access`]: the effective permissions of one caller, resolved from the admin data.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::endpoint::{normalize, CompiledRule};
use crate::error::{AccessError, Denied, DeniedReason};
use crate::model::{EndpointRule, FieldFilter, Group, Identifier, Permissions};
use crate::query::{Condition, Op, Scope};

/// The effective permissions of one caller: what it may call, see and write.
///
/// Built with [`Access::for_identifier`] (one identifier and its groups: lists unioned, filters
/// ANDed) and [`Access::any_of`] (a person with several OIDC groups: scopes ORed).
#[derive(Debug, Clone)]
pub struct Access {
    rules: Vec<CompiledRule>,
    endpoints: Vec<EndpointRule>,
    scope: Scope,
    excluded: BTreeSet<String>,
    update_permitted: Option<BTreeSet<String>>,
    update_restricted: BTreeSet<String>,
}

impl Access {
    /// The permissions of `id` combined with those of every group in `id.groups`.
    ///
    /// `lookup` finds a group by id. An unknown group, a bad endpoint expression or a bad
    /// filter is an error, never a silent grant; a disabled identifier is
    /// [`AccessError::Disabled`].
    pub fn for_identifier(
        id: &Identifier,
        lookup: impl Fn(&str) -> Option<Group>,
    ) -> Result<Access, AccessError> {
        if !id.enabled {
            return Err(AccessError::Disabled(id.id.clone()));
        }
        let mut access = Access::nothing();
        let mut filters = Vec::new();
        access.add(&id.permissions, &id.id, &mut filters)?;
        for group_id in &id.groups {
            let group = lookup(group_id).ok_or_else(|| AccessError::UnknownGroup {
                identifier: id.id.clone(),
                group: group_id.clone(),
            })?;
            access.add(&group.permissions, &group.id, &mut filters)?;
        }
        access.scope = if filters.is_empty() {
            None
        } else {
            Some(vec![filters])
        };
        Ok(access)
    }

    /// The permissions of a person with several OIDC groups: any part's permission suffices.
    ///
    /// Endpoints, exclusions and restricted fields are unioned; `update_fields_permitted` is
    /// the union of the parts that have one; the scope is `None` if any part sees everything,
    /// otherwise the OR of all parts' branches. No parts: nothing permitted, nothing visible.
    pub fn any_of(parts: Vec<Access>) -> Access {
        let mut all = Access::nothing();
        let mut everything_visible = false;
        for part in parts {
            for rule in part.rules {
                all.push_rule(rule);
            }
            all.excluded.extend(part.excluded);
            all.update_restricted.extend(part.update_restricted);
            if let Some(permitted) = part.update_permitted {
                all.update_permitted
                    .get_or_insert_with(BTreeSet::new)
                    .extend(permitted);
            }
            match part.scope {
                None => everything_visible = true,
                Some(branches) => all.scope.get_or_insert_with(Vec::new).extend(branches),
            }
        }
        if everything_visible {
            all.scope = None;
        }
        all
    }

    /// Every method on every path, every item, every field: for internal use and tests.
    pub fn everything() -> Access {
        let rule = EndpointRule {
            method: "*".into(),
            endpoint: ".*".into(),
        };
        let mut access = Access::nothing();
        // ".*" always compiles.
        if let Ok(compiled) = CompiledRule::new(&rule, "everything") {
            access.push_rule(compiled);
        }
        access.scope = None;
        access
    }

    /// Whether some permitted endpoint allows `method` on `path`: the method equals the rule's (ASCII case-insensitive) or the
    /// rule's is `*`, and the rule's expression matches the normalized path from its start.
    /// The query string is cut off and an `/api` prefix removed; a path with `.`/`..`
    /// segments or not starting with `/` is never permitted.
    pub fn permits(&self, method: &str, path: &str) -> bool {
        let Some(path) = normalize(path) else {
            return false;
        };
        self.rules.iter().any(|r| r.allows(method, path))
    }

    /// The items the caller may see.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Whether `item` is inside the caller's scope (a missing field satisfies no filter).
    pub fn visible(&self, item: &Map<String, Value>) -> bool {
        match &self.scope {
            None => true,
            Some(branches) => branches.iter().any(|b| b.iter().all(|c| c.matches(item))),
        }
    }

    /// Removes the excluded fields (top level) from an output item.
    pub fn strip(&self, item: &mut Map<String, Value>) {
        for field in &self.excluded {
            item.remove(field);
        }
    }

    /// Denies a create or update body that contains an excluded field.
    pub fn check_input(&self, body: &Map<String, Value>) -> Result<(), Denied> {
        match body.keys().find(|k| self.excluded.contains(*k)) {
            Some(field) => Err(denied(field, DeniedReason::Excluded)),
            None => Ok(()),
        }
    }

    /// [`Access::check_input`], then `update_fields_permitted` (if present, every field must
    /// be in it) and `update_fields_restricted`.
    pub fn check_update(&self, body: &Map<String, Value>) -> Result<(), Denied> {
        self.check_input(body)?;
        for field in body.keys() {
            if let Some(permitted) = &self.update_permitted {
                if !permitted.contains(field) {
                    return Err(denied(field, DeniedReason::NotPermitted));
                }
            }
            if self.update_restricted.contains(field) {
                return Err(denied(field, DeniedReason::Restricted));
            }
        }
        Ok(())
    }

    /// Denies query conditions on an excluded field: filtering on a field the caller may not
    /// see would reveal its values.
    pub fn check_conditions(&self, conditions: &[Condition]) -> Result<(), Denied> {
        match conditions.iter().find(|c| self.excluded.contains(&c.field)) {
            Some(c) => Err(denied(&c.field, DeniedReason::ExcludedFilter)),
            None => Ok(()),
        }
    }

    /// The fields removed from every output.
    pub fn excluded(&self) -> &BTreeSet<String> {
        &self.excluded
    }

    /// The permitted endpoints, deduplicated, in the order first seen.
    pub fn endpoints(&self) -> &[EndpointRule] {
        &self.endpoints
    }

    /// If present, the only fields an update may touch.
    pub fn update_fields_permitted(&self) -> Option<&BTreeSet<String>> {
        self.update_permitted.as_ref()
    }

    /// Fields an update may not touch.
    pub fn update_fields_restricted(&self) -> &BTreeSet<String> {
        &self.update_restricted
    }

    fn nothing() -> Access {
        Access {
            rules: Vec::new(),
            endpoints: Vec::new(),
            scope: Some(Vec::new()),
            excluded: BTreeSet::new(),
            update_permitted: None,
            update_restricted: BTreeSet::new(),
        }
    }

    fn push_rule(&mut self, rule: CompiledRule) {
        if !self.endpoints.contains(&rule.rule) {
            self.endpoints.push(rule.rule.clone());
            self.rules.push(rule);
        }
    }

    /// Adds one identifier's or group's permissions; its filters are appended to `filters`.
    fn add(
        &mut self,
        p: &Permissions,
        owner: &str,
        filters: &mut Vec<Condition>,
    ) -> Result<(), AccessError> {
        for rule in &p.permitted_endpoints {
            self.push_rule(CompiledRule::new(rule, owner)?);
        }
        for filter in &p.filter_fields {
            let condition = filter_condition(filter, owner)?;
            if !filters.contains(&condition) {
                filters.push(condition);
            }
        }
        self.excluded.extend(p.exclude_fields.iter().cloned());
        if let Some(permitted) = &p.update_fields_permitted {
            let set = self.update_permitted.get_or_insert_with(BTreeSet::new);
            set.extend(permitted.iter().cloned());
        }
        self.update_restricted
            .extend(p.update_fields_restricted.iter().cloned());
        Ok(())
    }
}

fn denied(field: &str, reason: DeniedReason) -> Denied {
    Denied {
        field: field.to_string(),
        reason,
    }
}

/// A string filter is `field = value`, a list of scalars `field IN (...)`.
fn filter_condition(filter: &FieldFilter, owner: &str) -> Result<Condition, AccessError> {
    let invalid = |message: &str| AccessError::InvalidFilter {
        owner: owner.to_string(),
        field: filter.field.clone(),
        message: message.to_string(),
    };
    let op = match &filter.value {
        Value::String(_) => Op::Eq,
        Value::Array(items) if items.iter().all(is_scalar) => Op::In,
        Value::Array(_) => return Err(invalid("a list may hold only strings, numbers, booleans")),
        _ => return Err(invalid("the value must be a string or a list")),
    };
    Ok(Condition {
        field: filter.field.clone(),
        op,
        value: filter.value.clone(),
    })
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_become_eq_or_in_and_other_values_are_refused() {
        let f = |value: Value| {
            filter_condition(
                &FieldFilter {
                    field: "t".into(),
                    value,
                },
                "g",
            )
        };
        assert_eq!(f(json!("a")).map(|c| c.op), Ok(Op::Eq));
        assert_eq!(f(json!(["a", 1])).map(|c| c.op), Ok(Op::In));
        assert!(f(json!(5)).is_err());
        assert!(f(json!([["a"]])).is_err());
    }

    #[test]
    fn any_of_deduplicates_endpoints() {
        let all = Access::any_of(vec![Access::everything(), Access::everything()]);
        assert_eq!(all.endpoints().len(), 1);
        assert!(all.scope().is_none());
    }
}
