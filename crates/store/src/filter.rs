//! Scopes and conditions as SQL: every operator of [`Op`], with bound parameters.
//!
//! Column names come only from the schema; a condition on a field the schema does not have, or
//! on a hidden one, is [`Error::UnknownField`]. Text matching is case-sensitive on both
//! backends: `startswith` compares a `substr` prefix, `contains` uses `instr` (SQLite) or
//! `strpos` (PostgreSQL), never `LIKE`, which SQLite folds for ASCII.

use leakwall_access::{Condition, Field, FieldKind, Op, Schema, Scope};
use serde_json::Value;

use crate::codec::{operand, plain_text, Param};
use crate::sql::Sql;
use crate::{Backend, Error};

/// Appends ` AND <scope> AND <each condition>`; call after a `WHERE 1=1` or another predicate.
pub(crate) fn push_filters(
    sql: &mut Sql,
    schema: &Schema,
    scope: &Scope,
    conditions: &[Condition],
) -> Result<(), Error> {
    if let Some(branches) = scope {
        sql.push(" AND (");
        if branches.is_empty() {
            sql.push("1=0");
        }
        for (i, branch) in branches.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("(1=1");
            for condition in branch {
                sql.push(" AND ");
                push_condition(sql, schema, condition)?;
            }
            sql.push(")");
        }
        sql.push(")");
    }
    for condition in conditions {
        sql.push(" AND ");
        push_condition(sql, schema, condition)?;
    }
    Ok(())
}

/// A field that conditions may name: in the schema and not hidden.
pub(crate) fn readable_field<'s>(schema: &'s Schema, name: &str) -> Result<&'s Field, Error> {
    match schema.field(name) {
        Some(field) if !field.hidden => Ok(field),
        _ => Err(Error::UnknownField(name.to_string())),
    }
}

/// Appends one condition, parenthesized.
fn push_condition(sql: &mut Sql, schema: &Schema, condition: &Condition) -> Result<(), Error> {
    let field = readable_field(schema, &condition.field)?;
    let value = &condition.value;
    sql.push("(");
    match condition.op {
        Op::Eq if value.is_null() => column(sql, field).push(" IS NULL"),
        Op::Ne if value.is_null() => column(sql, field).push(" IS NOT NULL"),
        Op::Eq => compare(sql, field, "=", value)?,
        Op::Ne => {
            column(sql, field).push(" IS NULL OR ");
            compare(sql, field, "<>", value)?
        }
        Op::In => push_in(sql, field, value, false)?,
        Op::NotIn => push_in(sql, field, value, true)?,
        Op::StartsWith => {
            let prefix = plain_text(value);
            let length = prefix.chars().count();
            sql.push("substr(");
            text_column(sql, field).push(&format!(", 1, {length}) = "));
            sql.param(Param::text(prefix))
        }
        Op::Contains => push_contains(sql, field, value, "> 0"),
        Op::NotContains => {
            column(sql, field).push(" IS NULL OR ");
            push_contains(sql, field, value, "= 0")
        }
        Op::Exists => {
            let exists = match value {
                Value::Bool(b) => *b,
                Value::String(s) if s == "true" => true,
                Value::String(s) if s == "false" => false,
                _ => return Err(invalid(field, "exists takes true or false")),
            };
            column(sql, field).push(if exists { " IS NOT NULL" } else { " IS NULL" })
        }
        Op::Gt => compare(sql, field, ">", value)?,
        Op::Lt => compare(sql, field, "<", value)?,
        Op::Gte => compare(sql, field, ">=", value)?,
        Op::Lte => compare(sql, field, "<=", value)?,
        Op::Between => {
            let (low, high) = match value.as_array().map(Vec::as_slice) {
                Some([low, high]) if !low.is_null() && !high.is_null() => (low, high),
                _ => return Err(invalid(field, "between takes a list of two values")),
            };
            column(sql, field).push(" BETWEEN ");
            sql.param(operand(field, low)?).push(" AND ");
            sql.param(operand(field, high)?)
        }
    };
    sql.push(")");
    Ok(())
}

fn column<'a>(sql: &'a mut Sql, field: &Field) -> &'a mut Sql {
    sql.ident(field.name)
}

/// The column as text: itself for text, times and JSON, otherwise cast.
fn text_column<'a>(sql: &'a mut Sql, field: &Field) -> &'a mut Sql {
    match field.kind {
        FieldKind::Text | FieldKind::Time | FieldKind::Json => column(sql, field),
        FieldKind::Integer | FieldKind::Float | FieldKind::Bool => {
            sql.push("CAST(").ident(field.name).push(" AS TEXT)")
        }
    }
}

/// `column <op> ?`; a null operand compares with nothing.
fn compare<'a>(
    sql: &'a mut Sql,
    field: &Field,
    op: &str,
    value: &Value,
) -> Result<&'a mut Sql, Error> {
    let param = operand(field, value)?;
    if param.is_null() {
        return Err(invalid(field, "the operand may not be null"));
    }
    column(sql, field).push(" ").push(op).push(" ");
    Ok(sql.param(param))
}

/// `column [NOT] IN (...)`: an empty list is false for IN and true for NOT IN; NOT IN, like
/// `ne`, includes NULLs. A null in the list matches NULL.
fn push_in<'a>(
    sql: &'a mut Sql,
    field: &Field,
    value: &Value,
    negated: bool,
) -> Result<&'a mut Sql, Error> {
    let list = value
        .as_array()
        .ok_or_else(|| invalid(field, "in and notin take a list"))?;
    let (nulls, values): (Vec<&Value>, Vec<&Value>) = list.iter().partition(|v| v.is_null());
    let params = values
        .iter()
        .map(|v| operand(field, v))
        .collect::<Result<Vec<_>, _>>()?;
    if negated {
        column(sql, field).push(if nulls.is_empty() {
            " IS NULL OR "
        } else {
            " IS NOT NULL AND "
        });
    } else if !nulls.is_empty() {
        column(sql, field).push(" IS NULL OR ");
    }
    if params.is_empty() {
        return Ok(sql.push(if negated { "1=1" } else { "1=0" }));
    }
    column(sql, field).push(if negated { " NOT IN (" } else { " IN (" });
    for (i, param) in params.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.param(param);
    }
    Ok(sql.push(")"))
}

/// `instr(column, ?) <test>` (or `strpos`). On a JSON field the needle is the JSON text of the
/// operand, so `contains "a"` means "the list has the string a".
fn push_contains<'a>(sql: &'a mut Sql, field: &Field, value: &Value, test: &str) -> &'a mut Sql {
    let needle = match field.kind {
        FieldKind::Json => value.to_string(),
        _ => plain_text(value),
    };
    sql.push(match sql.backend() {
        Backend::Sqlite => "instr(",
        Backend::Postgres => "strpos(",
    });
    text_column(sql, field).push(", ");
    sql.param(Param::text(needle)).push(") ").push(test)
}

fn invalid(field: &Field, message: &str) -> Error {
    Error::InvalidValue(format!("field `{}`: {message}", field.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schemas::INCIDENTS;

    fn render(backend: Backend, scope: &Scope, conditions: &[Condition]) -> String {
        let mut sql = Sql::new(backend);
        sql.push("1=1");
        push_filters(&mut sql, &INCIDENTS, scope, conditions)
            .map(|()| sql.text().to_string())
            .unwrap_or_else(|e| e.to_string())
    }

    fn cond(field: &str, op: Op, value: Value) -> Condition {
        Condition {
            field: field.into(),
            op,
            value,
        }
    }

    #[test]
    fn placeholders_follow_the_dialect() {
        let c = [cond(
            "status",
            Op::In,
            serde_json::json!(["open", "closed"]),
        )];
        assert_eq!(
            render(Backend::Sqlite, &None, &c),
            r#"1=1 AND ("status" IN (?, ?))"#
        );
        assert_eq!(
            render(Backend::Postgres, &None, &c),
            r#"1=1 AND ("status" IN ($1, $2))"#
        );
    }

    #[test]
    fn empty_scope_sees_nothing_and_unknown_fields_are_refused() {
        assert_eq!(render(Backend::Sqlite, &Some(vec![]), &[]), "1=1 AND (1=0)");
        let c = [cond("nope\"", Op::Eq, Value::from("x"))];
        assert_eq!(render(Backend::Sqlite, &None, &c), "unknown field `nope\"`");
    }
}
