//! Values between JSON and SQL: parameters typed by the field's kind, rows back to items, and
//! the one time format.

use leakwall_access::{Field, FieldKind};
use serde_json::{Number, Value};
use sqlx::any::AnyRow;
use sqlx::Row;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::{Error, Item};

/// A bound parameter, typed so that PostgreSQL sees the column's own type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    /// BIGINT / INTEGER.
    Int(Option<i64>),
    /// DOUBLE PRECISION / REAL.
    Float(Option<f64>),
    /// BOOLEAN (0/1 on SQLite).
    Bool(Option<bool>),
    /// TEXT: text, times and JSON.
    Text(Option<String>),
}

impl Param {
    /// A non-null text parameter.
    pub(crate) fn text(s: impl Into<String>) -> Param {
        Param::Text(Some(s.into()))
    }

    /// Whether this is SQL NULL.
    pub(crate) fn is_null(&self) -> bool {
        matches!(
            self,
            Param::Int(None) | Param::Float(None) | Param::Bool(None) | Param::Text(None)
        )
    }
}

/// Now, in the stored time format.
pub(crate) fn now() -> String {
    format_time(OffsetDateTime::now_utc())
}

/// `time` in the stored format: fixed-width RFC 3339 UTC with milliseconds
/// (`2026-11-23T03:56:42.123Z`), so that string order is time order.
pub(crate) fn format_time(time: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    time.to_offset(UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| "9999-12-31T23:59:59.999Z".to_string())
}

/// An RFC 3339 time in the stored format, or `None` if `text` is not one.
pub(crate) fn normalize_time(text: &str) -> Option<String> {
    OffsetDateTime::parse(text, &Rfc3339).ok().map(format_time)
}

/// Now plus `ttl`, in the stored format (saturating far in the future).
pub(crate) fn after(ttl: std::time::Duration) -> String {
    let ttl = time::Duration::try_from(ttl).unwrap_or(time::Duration::MAX);
    let at = OffsetDateTime::now_utc()
        .checked_add(ttl)
        .unwrap_or_else(|| OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT));
    format_time(at)
}

/// A value written to `field` (create, update, bulk insert): strict about types.
pub(crate) fn write_param(field: &Field, value: &Value) -> Result<Param, Error> {
    let bad = |what: &str| Error::InvalidValue(format!("field `{}` must be {what}", field.name));
    if value.is_null() {
        return Ok(null_param(field.kind));
    }
    Ok(match field.kind {
        FieldKind::Integer => Param::Int(Some(value.as_i64().ok_or_else(|| bad("an integer"))?)),
        FieldKind::Float => Param::Float(Some(value.as_f64().ok_or_else(|| bad("a number"))?)),
        FieldKind::Bool => Param::Bool(Some(value.as_bool().ok_or_else(|| bad("true or false"))?)),
        FieldKind::Text => Param::text(value.as_str().ok_or_else(|| bad("a string"))?),
        FieldKind::Time => {
            let text = value.as_str().ok_or_else(|| bad("an RFC 3339 time"))?;
            Param::text(normalize_time(text).ok_or_else(|| bad("an RFC 3339 time"))?)
        }
        FieldKind::Json => Param::text(value.to_string()),
    })
}

/// An operand compared with `field` in a condition: lenient about the form (`"5"` for an
/// integer field), strict about the meaning. Times that parse as RFC 3339 are normalized so
/// that they compare with stored times; other text (such as a date prefix) is kept as is.
pub(crate) fn operand(field: &Field, value: &Value) -> Result<Param, Error> {
    let bad = |what: &str| {
        Error::InvalidValue(format!("operand for field `{}` must be {what}", field.name))
    };
    if value.is_null() {
        return Ok(null_param(field.kind));
    }
    let text = match value {
        Value::String(s) => Some(s.trim()),
        _ => None,
    };
    Ok(match field.kind {
        FieldKind::Integer => {
            let parsed = value.as_i64().or_else(|| text.and_then(|t| t.parse().ok()));
            Param::Int(Some(parsed.ok_or_else(|| bad("an integer"))?))
        }
        FieldKind::Float => {
            let parsed = value.as_f64().or_else(|| text.and_then(|t| t.parse().ok()));
            Param::Float(Some(parsed.ok_or_else(|| bad("a number"))?))
        }
        FieldKind::Bool => {
            let parsed = value
                .as_bool()
                .or_else(|| text.and_then(|t| t.parse().ok()));
            Param::Bool(Some(parsed.ok_or_else(|| bad("true or false"))?))
        }
        FieldKind::Text => Param::text(plain_text(value)),
        FieldKind::Time => {
            let raw = plain_text(value);
            Param::text(normalize_time(&raw).unwrap_or(raw))
        }
        FieldKind::Json => Param::text(value.to_string()),
    })
}

/// A scalar as text: strings as they are, anything else as JSON.
pub(crate) fn plain_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn null_param(kind: FieldKind) -> Param {
    match kind {
        FieldKind::Integer => Param::Int(None),
        FieldKind::Float => Param::Float(None),
        FieldKind::Bool => Param::Bool(None),
        FieldKind::Text | FieldKind::Time | FieldKind::Json => Param::Text(None),
    }
}

/// Column `index` of `row` as the JSON value of `field`.
pub(crate) fn cell(row: &AnyRow, index: usize, field: &Field) -> Result<Value, Error> {
    Ok(match field.kind {
        FieldKind::Integer => row
            .try_get::<Option<i64>, _>(index)?
            .map_or(Value::Null, Value::from),
        FieldKind::Float => {
            let float = match row.try_get::<Option<f64>, _>(index) {
                Ok(v) => v,
                Err(_) => row.try_get::<Option<i64>, _>(index)?.map(|i| i as f64),
            };
            float
                .and_then(Number::from_f64)
                .map_or(Value::Null, Value::Number)
        }
        FieldKind::Bool => {
            let flag = match row.try_get::<Option<bool>, _>(index) {
                Ok(v) => v,
                Err(_) => row.try_get::<Option<i64>, _>(index)?.map(|i| i != 0),
            };
            flag.map_or(Value::Null, Value::Bool)
        }
        FieldKind::Text | FieldKind::Time => row
            .try_get::<Option<String>, _>(index)?
            .map_or(Value::Null, Value::String),
        FieldKind::Json => match row.try_get::<Option<String>, _>(index)? {
            None => Value::Null,
            Some(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        },
    })
}

/// A row whose columns are `fields`, in order, as an item.
pub(crate) fn item(row: &AnyRow, fields: &[&Field]) -> Result<Item, Error> {
    let mut out = Item::new();
    for (index, field) in fields.iter().enumerate() {
        out.insert(field.name.to_string(), cell(row, index, field)?);
    }
    Ok(out)
}

/// An item's id as the text stored in `audit.item_id`.
pub(crate) fn id_text(id: &Value) -> String {
    plain_text(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_fixed_width_utc_with_milliseconds() {
        assert_eq!(
            normalize_time("2026-11-23T04:56:42.1234+01:00").as_deref(),
            Some("2026-11-23T03:56:42.123Z")
        );
        assert_eq!(
            normalize_time("2026-11-23T03:56:42Z").as_deref(),
            Some("2026-11-23T03:56:42.000Z")
        );
        assert_eq!(normalize_time("2026-11-23"), None);
        assert_eq!(now().len(), 24);
        assert!(after(std::time::Duration::MAX).starts_with("9999-"));
    }

    #[test]
    fn operands_follow_the_field_kind() {
        let int = Field {
            name: "id",
            kind: FieldKind::Integer,
            required: false,
            read_only: false,
            hidden: false,
        };
        assert_eq!(
            operand(&int, &Value::from("42")).ok(),
            Some(Param::Int(Some(42)))
        );
        assert!(operand(&int, &Value::from("x")).is_err());
        assert!(write_param(&int, &Value::from("42")).is_err());
    }
}
