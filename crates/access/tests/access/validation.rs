//! Create and update validation: schema types, read-only fields, custom validators.

use leakwall_access::{validate_create, validate_update, ValidationError, Validators, Verdict};
use leakwall_core::ErrorCode;
use serde_json::{json, Value};

use crate::{obj, INCIDENTS};

fn validators() -> Validators {
    Validators::new()
        .with("severity", |v: &Value| {
            v.as_i64().is_some_and(|n| (1..=5).contains(&n))
        })
        .with("team", |v: &Value| match v.as_str() {
            Some(t) if t.ends_with("-ops") => Verdict::Pass,
            _ => Verdict::Fail("team must end in -ops".into()),
        })
}

fn create(body: Value) -> Result<(), String> {
    validate_create(&INCIDENTS, &obj(body), &validators()).map_err(|e| e.to_string())
}

fn update(body: Value) -> Result<(), String> {
    validate_update(&INCIDENTS, &obj(body), &validators()).map_err(|e| e.to_string())
}

#[test]
fn create_rules() {
    let ok = json!({"status": "open", "severity": 2, "team": "blue-ops"});
    assert_eq!(create(ok), Ok(()));
    let table = [
        (
            json!({"severity": 2, "team": "a-ops"}),
            "status is required",
        ),
        (
            json!({"status": null, "severity": 2, "team": "a-ops"}),
            "status is required",
        ),
        (
            json!({"status": "open", "team": "a-ops"}),
            "severity is required",
        ),
        (json!({"status": "open", "severity": 2}), "team is required"),
        (
            json!({"status": "open", "severity": 9, "team": "a-ops"}),
            "invalid value for `severity`",
        ),
        (
            json!({"status": "open", "severity": 2, "team": "red"}),
            "team must end in -ops",
        ),
        (
            json!({"status": "open", "severity": 2, "team": "a-ops", "x": 1}),
            "unknown field `x`",
        ),
        (
            json!({"id": 1, "status": "open"}),
            "field `id` is read-only",
        ),
        (
            json!({"created": "2024-01-01T00:00:00Z"}),
            "field `created` is read-only",
        ),
        (
            json!({"secret_hash": "x"}),
            "field `secret_hash` is read-only",
        ),
        (json!({"status": 1}), "`status` must be a string"),
        (
            json!({"status": "o", "severity": 2.5}),
            "`severity` must be an integer",
        ),
        (
            json!({"status": "o", "score": "1"}),
            "`score` must be a number",
        ),
        (
            json!({"status": "o", "resolved": "yes"}),
            "`resolved` must be true or false",
        ),
        (
            json!({"status": "o", "seen": "yesterday"}),
            "`seen` must be an RFC 3339 time",
        ),
        (
            json!({"status": "o", "tags": "aws"}),
            "`tags` must be a list or an object",
        ),
    ];
    for (body, message) in table {
        assert_eq!(create(body.clone()), Err(message.to_string()), "{body}");
    }
}

#[test]
fn update_rules() {
    let table = [
        (json!({"status": "closed"}), None),
        (
            json!({"tags": null, "seen": "2024-05-01T12:00:00+02:00"}),
            None,
        ),
        (json!({"id": 2}), Some("field `id` cannot be changed")),
        (
            json!({"created": "2024-01-01T00:00:00Z"}),
            Some("field `created` is read-only"),
        ),
        (json!({"status": null}), Some("status is required")),
        (json!({"severity": null}), Some("severity is required")),
        (json!({"severity": 0}), Some("invalid value for `severity`")),
        (json!({"score": true}), Some("`score` must be a number")),
        (json!({"zzz": 1}), Some("unknown field `zzz`")),
    ];
    for (body, message) in table {
        assert_eq!(
            update(body.clone()),
            message.map(str::to_string).map_or(Ok(()), Err),
            "{body}"
        );
    }
}

#[test]
fn error_carries_field_and_code() {
    let err = validate_update(&INCIDENTS, &obj(json!({"score": "x"})), &Validators::new());
    let err: ValidationError = err.unwrap_err();
    assert_eq!(err.field, "score");
    assert_eq!(err.code(), ErrorCode::ValidationFailed);
}
