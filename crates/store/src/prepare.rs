//! Checking and converting items before they are written.

use leakwall_access::{Field, Schema};
use serde_json::Value;

use crate::codec::{normalize_time, now, write_param, Param};
use crate::{Error, Item};

/// The value of a field on create when the item does not give one.
fn default_value(schema: &Schema, field: &Field) -> Option<Value> {
    match (schema.name, field.name) {
        ("incidents", "status") => Some(Value::from("open")),
        ("principals" | "policies", "enabled") => Some(Value::Bool(true)),
        _ => None,
    }
}

/// Whether the store stamps this field with the time of the write.
pub(crate) fn is_timestamp(field: &Field) -> bool {
    field.read_only && matches!(field.name, "created_at" | "updated_at")
}

/// Refuses keys the schema does not have or that are hidden.
fn check_keys(schema: &Schema, item: &Item) -> Result<(), Error> {
    for key in item.keys() {
        match schema.field(key) {
            Some(field) if !field.hidden => {}
            _ => return Err(Error::UnknownField(key.clone())),
        }
    }
    Ok(())
}

/// The columns and values of a new row, every column but a generated id, in schema order.
///
/// Read-only fields in `item` are ignored: the store sets ids, times and versions (with
/// `given_times`, as for imports, `created_at` and `updated_at` are taken from the item when
/// present). `hidden` sets hidden fields (such as `key_hash`).
pub(crate) fn new_row<'s>(
    schema: &'s Schema,
    item: &Item,
    hidden: &Item,
    given_times: bool,
) -> Result<Vec<(&'s Field, Param)>, Error> {
    check_keys(schema, item)?;
    if let Some(key) = hidden
        .keys()
        .find(|key| !schema.field(key).is_some_and(|f| f.hidden))
    {
        return Err(Error::UnknownField(key.clone()));
    }
    let now = now();
    let given_created = given_time(item, "created_at", given_times)?;
    let mut row = Vec::with_capacity(schema.fields.len());
    for field in schema.fields {
        if schema.generated_id && field.name == schema.id {
            continue;
        }
        let param = if is_timestamp(field) {
            let given = given_time(item, field.name, given_times)?;
            Param::text(
                given
                    .or_else(|| given_created.clone())
                    .unwrap_or_else(|| now.clone()),
            )
        } else if field.hidden {
            write_param(field, hidden.get(field.name).unwrap_or(&Value::Null))?
        } else if (schema.name, field.name) == ("policies", "version") {
            Param::Int(Some(1))
        } else if field.read_only {
            Param::Text(None)
        } else {
            let given = item.get(field.name).filter(|v| !v.is_null()).cloned();
            write_param(
                field,
                &given
                    .or_else(|| default_value(schema, field))
                    .unwrap_or_default(),
            )?
        };
        if field.required && param.is_null() {
            return Err(required(field));
        }
        row.push((field, param));
    }
    Ok(row)
}

fn given_time(item: &Item, name: &str, given_times: bool) -> Result<Option<String>, Error> {
    match item.get(name) {
        Some(Value::String(text)) if given_times => normalize_time(text)
            .map(Some)
            .ok_or_else(|| Error::InvalidValue(format!("field `{name}` must be an RFC 3339 time"))),
        _ => Ok(None),
    }
}

/// The columns and values an update writes: the patch's writable fields (read-only ones are
/// ignored), in schema order.
pub(crate) fn patch_row<'s>(
    schema: &'s Schema,
    patch: &Item,
) -> Result<Vec<(&'s Field, Param)>, Error> {
    check_keys(schema, patch)?;
    let mut row = Vec::with_capacity(patch.len());
    for field in schema
        .fields
        .iter()
        .filter(|f| !f.read_only && f.name != schema.id)
    {
        if let Some(value) = patch.get(field.name) {
            let param = write_param(field, value)?;
            if field.required && param.is_null() {
                return Err(required(field));
            }
            row.push((field, param));
        }
    }
    Ok(row)
}

fn required(field: &Field) -> Error {
    Error::InvalidValue(format!("field `{}` is required", field.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schemas::{INCIDENTS, PRINCIPALS};
    use serde_json::json;

    fn item(value: Value) -> Item {
        match value {
            Value::Object(map) => map,
            _ => Item::new(),
        }
    }

    #[test]
    fn defaults_requirements_and_unknown_fields() {
        let row = new_row(
            &INCIDENTS,
            &item(json!({"source": "slack", "detector": "aws"})),
            &Item::new(),
            false,
        );
        let row = row.unwrap_or_default();
        let status = row
            .iter()
            .find(|(f, _)| f.name == "status")
            .map(|(_, p)| p.clone());
        assert_eq!(status, Some(Param::text("open")));
        let missing = new_row(
            &INCIDENTS,
            &item(json!({"source": "slack"})),
            &Item::new(),
            false,
        );
        assert!(matches!(missing, Err(Error::InvalidValue(m)) if m.contains("detector")));
        let hidden = new_row(
            &PRINCIPALS,
            &item(json!({"id": "a", "type": "USERNAME", "key_hash": "x"})),
            &Item::new(),
            false,
        );
        assert!(matches!(hidden, Err(Error::UnknownField(f)) if f == "key_hash"));
        let patch = patch_row(&INCIDENTS, &item(json!({"id": 5, "status": "closed"})));
        assert_eq!(patch.map(|r| r.len()).ok(), Some(1));
    }
}
