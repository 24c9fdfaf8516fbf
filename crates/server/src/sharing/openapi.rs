//! The OpenAPI schemas of the sharing routes (request and response bodies).

use serde_json::{json, Value};

fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

fn flags() -> Value {
    json!({"type": "array", "items": {"type": "string", "enum": ["WRITE", "MANAGE", "READ"]}})
}

fn share_type() -> Value {
    json!({"type": "string", "enum": ["user", "group", "link", "email", "federated"]})
}

/// The component schemas: `SharingRequest`, `SharingDecision`, `SharingSettings`.
pub fn schemas() -> Vec<(&'static str, Value)> {
    let entry = json!({"type": "object", "required": ["share_type"], "additionalProperties": false,
        "properties": {"path": {"type": "string"}, "share_id": {"type": "string"},
            "share_type": share_type(), "grantee": {"type": "string"}, "flags": flags()}});
    let change = json!({"type": "object", "required": ["kind"], "additionalProperties": false,
        "properties": {"kind": {"type": "string", "enum": ["create", "update"]},
            "share_type": share_type(), "grantee": {"type": "string"}, "flags": flags(),
            "share_id": {"type": "string"}}});
    let request = json!({"type": "object", "required": ["folder", "change", "actor"],
        "additionalProperties": false, "properties": {
            "folder": {"type": "object", "required": ["path"], "additionalProperties": false,
                "properties": {"path": {"type": "string"}, "owner": {"type": "string"}}},
            "access": {"type": "array", "items": entry},
            "change": change,
            "actor": {"type": "string", "format": "email"}}});
    let effect = json!({"type": "object", "properties": {
        "action": {"type": "string", "enum": ["revoke"]}, "flag": {"type": "string"},
        "grantee": {"type": "string"}, "share_id": {"type": "string"}, "path": {"type": "string"}}});
    let decision = json!({"type": "object", "required": ["decision"], "properties": {
        "decision": {"type": "string", "enum": ["allow", "warn", "reject"]},
        "rule": {"type": "string"}, "message": {"type": "string"},
        "side_effects": {"type": "array", "items": effect}, "external_users": strings()}});
    let settings = json!({"type": "object", "additionalProperties": false, "properties": {
        "enabled": {"type": "boolean"}, "internal_pattern": {"type": "string"},
        "trusted_users": strings(),
        "groups": {"type": "object", "additionalProperties": strings()},
        "rules": {"type": "object", "additionalProperties": {"type": "string"}},
        "rule_files": strings(),
        "updated_at": {"type": "string", "format": "date-time", "readOnly": true}}});
    vec![
        ("SharingRequest", request),
        ("SharingDecision", decision),
        ("SharingSettings", settings),
    ]
}

/// The request and response schema names of a sharing route, by method and path.
pub fn bodies(method: &str, path: &str) -> Option<(Option<&'static str>, &'static str)> {
    match (method, path) {
        ("POST", "/v1/sharing/evaluate") => Some((Some("SharingRequest"), "SharingDecision")),
        ("GET", "/api/sharing/settings") => Some((None, "SharingSettings")),
        ("PATCH", "/api/sharing/settings") => Some((Some("SharingSettings"), "SharingSettings")),
        _ => None,
    }
}
