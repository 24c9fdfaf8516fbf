//! Keyset pagination: the order of a page and the cursor that continues it.
//!
//! A schema with a `sort` field (incidents by `created_at`, audit by `time`) is ordered by
//! `(sort, id)`, so that a range filter on the time and the page order use one index; its
//! cursor is `"<sort value>~<id>"`. Other schemas are ordered by the id, which is the cursor.
//! A plain id is accepted as a cursor for every schema (its sort value is looked up).

use leakwall_access::{Field, Schema};
use serde_json::Value;

use crate::codec::operand;
use crate::sql::{id_field, Sql};
use crate::{Error, Item};

/// The order of one list call.
pub(crate) struct Order<'s> {
    table: &'static str,
    id: &'s Field,
    sort: Option<&'s Field>,
    newest: bool,
}

impl<'s> Order<'s> {
    /// The order of `schema`, newest first or not.
    pub(crate) fn of(schema: &'s Schema, newest: bool) -> Order<'s> {
        Order {
            table: schema.name,
            id: id_field(schema),
            sort: schema.sort.and_then(|s| schema.field(s)),
            newest,
        }
    }

    fn less_or_greater(&self) -> &'static str {
        if self.newest {
            " < "
        } else {
            " > "
        }
    }

    /// `AND` the condition of the items after `after`.
    pub(crate) fn push_after(&self, sql: &mut Sql, after: &Value) -> Result<(), Error> {
        let Some(sort) = self.sort else {
            sql.push(" AND ")
                .ident(self.id.name)
                .push(self.less_or_greater());
            sql.param(operand(self.id, after)?);
            return Ok(());
        };
        sql.push(" AND (")
            .ident(sort.name)
            .push(", ")
            .ident(self.id.name)
            .push(")")
            .push(self.less_or_greater())
            .push("(");
        match after.as_str().and_then(|s| s.rsplit_once('~')) {
            Some((value, id)) => {
                sql.param(operand(sort, &Value::String(value.to_owned()))?);
                sql.push(", ")
                    .param(operand(self.id, &Value::String(id.to_owned()))?);
            }
            None => {
                sql.push("(SELECT ")
                    .ident(sort.name)
                    .push(" FROM ")
                    .ident(self.table)
                    .push(" WHERE ")
                    .ident(self.id.name)
                    .push(" = ");
                sql.param(operand(self.id, after)?);
                sql.push("), ").param(operand(self.id, after)?);
            }
        }
        sql.push(")");
        Ok(())
    }

    /// The `ORDER BY` clause.
    pub(crate) fn push_order_by(&self, sql: &mut Sql) {
        let direction = if self.newest { " DESC" } else { " ASC" };
        sql.push(" ORDER BY ");
        if let Some(sort) = self.sort {
            sql.ident(sort.name).push(direction).push(", ");
        }
        sql.ident(self.id.name).push(direction);
    }

    /// The cursor that continues after `last`.
    pub(crate) fn cursor(&self, last: &Item) -> Value {
        let id = last.get(self.id.name).cloned().unwrap_or(Value::Null);
        let sort_value = self
            .sort
            .and_then(|s| last.get(s.name))
            .and_then(Value::as_str);
        match sort_value {
            Some(value) => {
                let id = match &id {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                Value::String(format!("{value}~{id}"))
            }
            None => id,
        }
    }
}
