//! Turning path filters and a query string into [`Condition`]s.

use serde_json::{Number, Value};

use crate::error::QueryError;
use crate::query::{Condition, Op};
use crate::schema::{Field, FieldKind, Schema};

/// The most values an `in`/`notin` list may hold.
pub const MAX_LIST_LEN: usize = 1000;

/// The conditions of a request: path filters (`/R/{key}/{value}`, always equality) first,
/// then the query string's `field=value` and `field__op=value` pairs.
///
/// Keys in `reserved` (paging, ordering) are skipped. A path filter takes precedence: every
/// query-string condition on the same field is dropped. Values are typed by the field's
/// [`FieldKind`] (see [`Condition`]). Unknown or hidden fields, unknown operators, operators
/// that do not apply to the field's type and unusable values are errors naming the parameter.
pub fn parse_query(
    schema: &Schema,
    path_filters: &[(String, String)],
    query: &[(String, String)],
    reserved: &[&str],
) -> Result<Vec<Condition>, QueryError> {
    let mut conditions = Vec::new();
    for (key, value) in path_filters {
        let field = known_field(schema, key)?;
        conditions.push(condition(field, Op::Eq, key, value)?);
    }
    for (key, value) in query {
        if reserved.contains(&key.as_str()) {
            continue;
        }
        let (name, op) = split_key(schema, key)?;
        if path_filters.iter().any(|(k, _)| k == name) {
            continue;
        }
        let field = known_field(schema, name)?;
        conditions.push(condition(field, op, key, value)?);
    }
    Ok(conditions)
}

/// Splits `field__op` into the field name and the operator; a plain key is equality.
fn split_key<'k>(schema: &Schema, key: &'k str) -> Result<(&'k str, Op), QueryError> {
    if schema.field(key).is_some() {
        return Ok((key, Op::Eq));
    }
    let Some((field, op)) = key.rsplit_once("__") else {
        return Ok((key, Op::Eq));
    };
    let op = op_named(op).ok_or_else(|| QueryError::BadOperator {
        field: field.to_string(),
        op: op.to_string(),
    })?;
    Ok((field, op))
}

fn op_named(name: &str) -> Option<Op> {
    Some(match name {
        "in" => Op::In,
        "notin" => Op::NotIn,
        "ne" => Op::Ne,
        "startswith" => Op::StartsWith,
        "contains" => Op::Contains,
        "notcontains" => Op::NotContains,
        "exists" => Op::Exists,
        "gt" => Op::Gt,
        "lt" => Op::Lt,
        "gte" => Op::Gte,
        "lte" => Op::Lte,
        "between" => Op::Between,
        _ => return None,
    })
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Eq => "eq",
        Op::Ne => "ne",
        Op::In => "in",
        Op::NotIn => "notin",
        Op::StartsWith => "startswith",
        Op::Contains => "contains",
        Op::NotContains => "notcontains",
        Op::Exists => "exists",
        Op::Gt => "gt",
        Op::Lt => "lt",
        Op::Gte => "gte",
        Op::Lte => "lte",
        Op::Between => "between",
    }
}

fn known_field<'s>(schema: &'s Schema, name: &str) -> Result<&'s Field, QueryError> {
    match schema.field(name) {
        Some(field) if !field.hidden => Ok(field),
        _ => Err(QueryError::UnknownField(name.to_string())),
    }
}

fn applies(op: Op, kind: FieldKind) -> bool {
    use FieldKind::*;
    match op {
        Op::Exists => true,
        Op::Eq | Op::Ne | Op::In | Op::NotIn => kind != Json,
        Op::StartsWith => matches!(kind, Text | Time),
        Op::Contains | Op::NotContains => matches!(kind, Text | Time | Json),
        Op::Gt | Op::Lt | Op::Gte | Op::Lte | Op::Between => {
            matches!(kind, Integer | Float | Text | Time)
        }
    }
}

fn kind_words(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Text => "a text field",
        FieldKind::Integer => "an integer field",
        FieldKind::Float => "a number field",
        FieldKind::Bool => "a true/false field",
        FieldKind::Time => "a time field",
        FieldKind::Json => "a list or object field",
    }
}

fn condition(field: &Field, op: Op, param: &str, raw: &str) -> Result<Condition, QueryError> {
    if !applies(op, field.kind) {
        return Err(QueryError::Unsupported {
            field: field.name.to_string(),
            op: op_name(op).to_string(),
            kind: kind_words(field.kind).to_string(),
        });
    }
    let value = match op {
        Op::Exists => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad_value(param, "must be true or false")),
        },
        Op::In | Op::NotIn => Value::Array(list(field.kind, param, raw, None)?),
        Op::Between => Value::Array(list(field.kind, param, raw, Some(2))?),
        Op::StartsWith | Op::Contains | Op::NotContains => Value::String(raw.to_string()),
        _ => typed(field.kind, param, raw)?,
    };
    Ok(Condition {
        field: field.name.to_string(),
        op,
        value,
    })
}

fn bad_value(param: &str, message: &str) -> QueryError {
    QueryError::BadValue {
        field: param.to_string(),
        message: message.to_string(),
    }
}

fn bad_list(param: &str, message: String) -> QueryError {
    QueryError::BadList {
        field: param.to_string(),
        message,
    }
}

/// A JSON list of scalars, each typed by `kind`; `exact` demands that many elements.
fn list(
    kind: FieldKind,
    param: &str,
    raw: &str,
    exact: Option<usize>,
) -> Result<Vec<Value>, QueryError> {
    let expected = match exact {
        Some(_) => "expected a JSON list of two values, as in [1,5] or [\"a\",\"m\"]",
        None => "expected a JSON list, as in [\"a\",\"b\"]",
    };
    let items = match serde_json::from_str::<Value>(raw) {
        Ok(Value::Array(items)) => items,
        Ok(_) => return Err(bad_list(param, expected.to_string())),
        Err(e) => return Err(bad_list(param, format!("{expected}; not valid JSON: {e}"))),
    };
    if exact.is_some_and(|n| n != items.len()) {
        return Err(bad_list(
            param,
            format!("{expected}; got {} values", items.len()),
        ));
    }
    if items.len() > MAX_LIST_LEN {
        return Err(bad_list(
            param,
            format!("at most {MAX_LIST_LEN} values are allowed"),
        ));
    }
    items
        .iter()
        .map(|item| element(kind, param, item))
        .collect()
}

fn element(kind: FieldKind, param: &str, item: &Value) -> Result<Value, QueryError> {
    let text = match item {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => {
            let message = "list values must be strings, numbers or true/false".to_string();
            return Err(bad_list(param, message));
        }
    };
    match (kind, item) {
        (FieldKind::Integer, Value::Number(n)) if n.is_i64() => Ok(item.clone()),
        (FieldKind::Float, Value::Number(_)) | (FieldKind::Bool, Value::Bool(_)) => {
            Ok(item.clone())
        }
        _ => typed(kind, param, &text),
    }
}

/// A single value typed by the field's kind: numbers for Integer/Float, a bool for Bool,
/// otherwise the text as it is.
fn typed(kind: FieldKind, param: &str, raw: &str) -> Result<Value, QueryError> {
    match kind {
        FieldKind::Text | FieldKind::Time | FieldKind::Json => Ok(Value::String(raw.to_string())),
        FieldKind::Integer => match raw.parse::<i64>() {
            Ok(n) => Ok(Value::from(n)),
            Err(_) => Err(bad_value(param, "must be an integer")),
        },
        FieldKind::Float => {
            if let Ok(n) = raw.parse::<i64>() {
                return Ok(Value::from(n));
            }
            match raw.parse::<f64>().ok().and_then(Number::from_f64) {
                Some(n) => Ok(Value::Number(n)),
                None => Err(bad_value(param, "must be a number")),
            }
        }
        FieldKind::Bool => match raw {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad_value(param, "must be true or false")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: Schema = Schema {
        name: "t",
        id: "id",
        generated_id: true,
        newest_first: false,
        sort: None,
        fields: &[
            Field {
                name: "id",
                kind: FieldKind::Integer,
                required: false,
                read_only: true,
                hidden: false,
            },
            Field {
                name: "a__b",
                kind: FieldKind::Text,
                required: false,
                read_only: false,
                hidden: false,
            },
        ],
    };

    #[test]
    fn a_field_named_with_double_underscore_is_equality() {
        assert_eq!(split_key(&SCHEMA, "a__b"), Ok(("a__b", Op::Eq)));
        assert_eq!(split_key(&SCHEMA, "a__b__ne"), Ok(("a__b", Op::Ne)));
        assert_eq!(split_key(&SCHEMA, "plain"), Ok(("plain", Op::Eq)));
    }

    #[test]
    fn operator_names_round_trip() {
        for name in [
            "in",
            "notin",
            "ne",
            "startswith",
            "contains",
            "notcontains",
            "exists",
        ] {
            assert_eq!(op_named(name).map(op_name), Some(name));
        }
        for name in ["gt", "lt", "gte", "lte", "between"] {
            assert_eq!(op_named(name).map(op_name), Some(name));
        }
        assert_eq!(op_named("eq"), None);
    }

    #[test]
    fn float_values_prefer_integers_and_refuse_non_finite() {
        assert_eq!(typed(FieldKind::Float, "p", "5"), Ok(Value::from(5)));
        assert_eq!(typed(FieldKind::Float, "p", "0.25"), Ok(Value::from(0.25)));
        assert!(typed(FieldKind::Float, "p", "inf").is_err());
    }
}
