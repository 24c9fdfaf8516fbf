//! Validating create and update bodies against a [`Schema`] and per-field custom validators.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::error::ValidationError;
use crate::rfc3339::is_rfc3339;
use crate::schema::{Field, FieldKind, Schema};

/// The outcome of a custom validator: the spec's boolean or `{result, message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The value is acceptable.
    Pass,
    /// The value is refused, with a user-facing message (empty: "invalid value for `x`").
    Fail(String),
}

impl From<bool> for Verdict {
    /// `true` passes; `false` fails with the default message "invalid value for `x`".
    fn from(ok: bool) -> Verdict {
        if ok {
            Verdict::Pass
        } else {
            Verdict::Fail(String::new())
        }
    }
}

/// A custom validator of one field's value.
pub type FieldCheck = Box<dyn Fn(&Value) -> Verdict + Send + Sync>;

/// The custom validators of a resource, by field. On create, every validated field is required.
#[derive(Default)]
pub struct Validators {
    checks: BTreeMap<String, FieldCheck>,
}

impl Validators {
    /// No custom validators.
    pub fn new() -> Validators {
        Validators::default()
    }

    /// Adds (or replaces) the validator of `field`; it may return a [`Verdict`] or a `bool`.
    pub fn with<F, R>(mut self, field: impl Into<String>, check: F) -> Validators
    where
        F: Fn(&Value) -> R + Send + Sync + 'static,
        R: Into<Verdict>,
    {
        self.checks
            .insert(field.into(), Box::new(move |v: &Value| check(v).into()));
        self
    }

    fn run(&self, field: &str, value: &Value) -> Result<(), ValidationError> {
        let Some(check) = self.checks.get(field) else {
            return Ok(());
        };
        match check(value) {
            Verdict::Pass => Ok(()),
            Verdict::Fail(m) if m.is_empty() => {
                Err(err(field, format!("invalid value for `{field}`")))
            }
            Verdict::Fail(m) => Err(err(field, m)),
        }
    }
}

impl fmt::Debug for Validators {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.checks.keys()).finish()
    }
}

/// Validates a create body: no unknown, read-only or hidden fields; every required field and
/// every field with a custom validator present and not null; every value of its field's type;
/// every custom validator passing.
pub fn validate_create(
    schema: &Schema,
    body: &Map<String, Value>,
    validators: &Validators,
) -> Result<(), ValidationError> {
    for (name, value) in body {
        let field = writable_field(schema, name)?;
        check_value(field, value, validators)?;
    }
    let needed = |f: &&Field| f.required || validators.checks.contains_key(f.name);
    for field in schema.fields.iter().filter(needed) {
        if body.get(field.name).is_none_or(Value::is_null) {
            return Err(required(field.name));
        }
    }
    // A validator on a field the schema does not know can never be satisfied; say so.
    match validators.checks.keys().find(|k| schema.field(k).is_none()) {
        Some(name) => Err(required(name)),
        None => Ok(()),
    }
}

/// Validates an update body: as [`validate_create`] for the fields present, the id may not be
/// changed, and nothing is required except that a required or validated field cannot be
/// cleared (set to null).
pub fn validate_update(
    schema: &Schema,
    body: &Map<String, Value>,
    validators: &Validators,
) -> Result<(), ValidationError> {
    for (name, value) in body {
        if name == schema.id {
            return Err(err(name, format!("field `{name}` cannot be changed")));
        }
        let field = writable_field(schema, name)?;
        check_value(field, value, validators)?;
    }
    Ok(())
}

fn err(field: &str, message: String) -> ValidationError {
    ValidationError {
        field: field.to_string(),
        message,
    }
}

fn required(name: &str) -> ValidationError {
    err(name, format!("{name} is required"))
}

fn writable_field<'s>(schema: &'s Schema, name: &str) -> Result<&'s Field, ValidationError> {
    match schema.field(name) {
        None => Err(err(name, format!("unknown field `{name}`"))),
        Some(f) if f.read_only || f.hidden => {
            Err(err(name, format!("field `{name}` is read-only")))
        }
        Some(f) => Ok(f),
    }
}

/// The type check, then the custom validator; null only clears an optional, unvalidated field.
fn check_value(
    field: &Field,
    value: &Value,
    validators: &Validators,
) -> Result<(), ValidationError> {
    if value.is_null() {
        if field.required || validators.checks.contains_key(field.name) {
            return Err(required(field.name));
        }
        return Ok(());
    }
    let (ok, expected) = match field.kind {
        FieldKind::Text => (value.is_string(), "a string"),
        FieldKind::Time => (value.as_str().is_some_and(is_rfc3339), "an RFC 3339 time"),
        FieldKind::Integer => (value.is_i64(), "an integer"),
        FieldKind::Float => (value.is_number(), "a number"),
        FieldKind::Bool => (value.is_boolean(), "true or false"),
        FieldKind::Json => (value.is_array() || value.is_object(), "a list or an object"),
    };
    if !ok {
        return Err(err(
            field.name,
            format!("`{}` must be {expected}", field.name),
        ));
    }
    validators.run(field.name, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_false_verdict_gets_the_default_message() {
        let v = Validators::new()
            .with("x", |_: &Value| false)
            .with("y", |_: &Value| true);
        let e = v.run("x", &json!(1)).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("x", "invalid value for `x`")
        );
        assert!(v.run("y", &json!(1)).is_ok());
        assert!(v.run("unvalidated", &json!(1)).is_ok());
        assert_eq!(format!("{v:?}"), r#"{"x", "y"}"#);
    }
}
