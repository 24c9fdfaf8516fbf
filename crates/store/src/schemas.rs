//! The resources of the admin API: their fields, in column order, the id first.

use leakwall_access::{Field, FieldKind, Schema};

const fn field(name: &'static str, kind: FieldKind) -> Field {
    Field {
        name,
        kind,
        required: false,
        read_only: false,
        hidden: false,
    }
}

const fn required(name: &'static str, kind: FieldKind) -> Field {
    Field {
        required: true,
        ..field(name, kind)
    }
}

const fn read_only(name: &'static str, kind: FieldKind) -> Field {
    Field {
        read_only: true,
        ..field(name, kind)
    }
}

const fn hidden(name: &'static str, kind: FieldKind) -> Field {
    Field {
        hidden: true,
        read_only: true,
        ..field(name, kind)
    }
}

const fn generated_id() -> Field {
    read_only("id", FieldKind::Integer)
}

use FieldKind::{Bool, Float, Integer, Json, Text, Time};

/// Detection patterns: built-in overrides and custom detectors, keyed by `name`.
pub static DETECTORS: Schema = Schema {
    name: "detectors",
    id: "name",
    generated_id: false,
    newest_first: false,
    sort: None,
    fields: &[
        required("name", Text),
        field("pattern", Text),
        field("category", Text),
        field("confidence", Float),
        field("keywords", Json),
        field("validator", Text),
        field("enabled", Bool),
        field("description", Text),
        read_only("created_at", Time),
        read_only("updated_at", Time),
    ],
};

/// What a scan found and what was done about it.
pub static INCIDENTS: Schema = Schema {
    name: "incidents",
    id: "id",
    generated_id: true,
    newest_first: true,
    sort: Some("created_at"),
    fields: &[
        generated_id(),
        required("source", Text),
        field("channel", Text),
        field("author", Text),
        field("message", Text),
        field("file", Text),
        field("location", Text),
        field("excerpt", Text),
        required("detector", Text),
        field("category", Text),
        field("confidence", Float),
        field("action", Text),
        field("outcome", Text),
        field("status", Text),
        read_only("created_at", Time),
        read_only("updated_at", Time),
    ],
};

/// Rego policies stored in the database; `version` counts changes of `source`.
pub static POLICIES: Schema = Schema {
    name: "policies",
    id: "id",
    generated_id: true,
    newest_first: false,
    sort: None,
    fields: &[
        generated_id(),
        required("name", Text),
        required("source", Text),
        field("enabled", Bool),
        read_only("version", Integer),
        read_only("created_at", Time),
        read_only("updated_at", Time),
    ],
};

/// Auth identifiers: users, OIDC groups and API keys (whose secret is kept only as a hash).
pub static PRINCIPALS: Schema = Schema {
    name: "principals",
    id: "id",
    generated_id: false,
    newest_first: false,
    sort: None,
    fields: &[
        required("id", Text),
        required("type", Text),
        field("name", Text),
        field("username", Text),
        field("email", Text),
        field("groups", Json),
        field("enabled", Bool),
        field("permitted_endpoints", Json),
        field("filter_fields", Json),
        field("exclude_fields", Json),
        field("update_fields_permitted", Json),
        field("update_fields_restricted", Json),
        hidden("key_hash", Text),
        read_only("created_at", Time),
        read_only("updated_at", Time),
    ],
};

/// Permission groups.
pub static GROUPS: Schema = Schema {
    name: "groups",
    id: "id",
    generated_id: false,
    newest_first: false,
    sort: None,
    fields: &[
        required("id", Text),
        field("name", Text),
        field("permitted_endpoints", Json),
        field("filter_fields", Json),
        field("exclude_fields", Json),
        field("update_fields_permitted", Json),
        field("update_fields_restricted", Json),
        read_only("created_at", Time),
        read_only("updated_at", Time),
    ],
};

/// The audit log: one row per authorized, successful call. Read-only; newest first.
pub static AUDIT: Schema = Schema {
    name: "audit",
    id: "id",
    generated_id: true,
    newest_first: true,
    sort: Some("time"),
    fields: &[
        generated_id(),
        field("time", Time),
        field("action", Text),
        field("resource", Text),
        field("item_id", Text),
        field("method", Text),
        field("path", Text),
        field("path_params", Json),
        field("query_params", Json),
        field("body", Json),
        field("user", Json),
        field("user_id", Text),
        field("source_ip", Text),
        field("user_agent", Text),
        hidden("expires_at", Time),
    ],
};

/// The decision log: one row per policy decision (input masked as configured). Written by
/// the server in batches, read-only through the API, expiring; newest first.
pub static DECISIONS: Schema = Schema {
    name: "decisions",
    id: "id",
    generated_id: true,
    newest_first: true,
    sort: Some("time"),
    fields: &[
        generated_id(),
        field("decision_id", Text),
        field("time", Time),
        field("origin", Text),
        field("query", Text),
        field("input", Json),
        field("result", Json),
        field("allowed", Bool),
        field("reason", Text),
        field("duration_us", Integer),
        field("policy_version", Text),
        field("erased", Json),
        hidden("expires_at", Time),
    ],
};

/// The sharing-rule settings: one row (id `default`), written through
/// `/api/sharing/settings` (audited), read by every process. Lists and maps are JSON.
pub static SHARING_SETTINGS: Schema = Schema {
    name: "sharing_settings",
    id: "id",
    generated_id: false,
    newest_first: false,
    sort: None,
    fields: &[
        required("id", Text),
        field("enabled", Bool),
        field("internal_pattern", Text),
        field("trusted_users", Json),
        field("groups", Json),
        field("rules", Json),
        field("rule_files", Json),
        read_only("created_at", Time),
        read_only("updated_at", Time),
    ],
};

/// The five writable resources (every schema but [`AUDIT`]).
pub const RESOURCES: [&Schema; 5] = [&DETECTORS, &INCIDENTS, &POLICIES, &PRINCIPALS, &GROUPS];

/// The schema of a resource by its name (`incidents`, ..., `audit`).
pub fn schema(name: &str) -> Option<&'static Schema> {
    [
        &DETECTORS,
        &INCIDENTS,
        &POLICIES,
        &PRINCIPALS,
        &GROUPS,
        &AUDIT,
        &DECISIONS,
    ]
    .into_iter()
    .find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_first_and_names_are_unique() {
        for s in RESOURCES.into_iter().chain([&AUDIT, &DECISIONS]) {
            assert_eq!(s.fields[0].name, s.id, "{}", s.name);
            assert_eq!(schema(s.name), Some(s));
            let mut names: Vec<_> = s.fields.iter().map(|f| f.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), s.fields.len(), "{}", s.name);
        }
        assert!(schema("nope").is_none());
    }
}
