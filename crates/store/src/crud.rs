//! Reading and writing the items of a resource, each write with its audit row in one
//! transaction.

use leakwall_access::{Condition, Field, Schema, Scope};
use serde_json::Value;
use sqlx::AnyConnection;

use crate::audit::{self, AuditEntry};
use crate::codec::{cell, id_text, item, now, operand, Param};
use crate::error::is_unique_violation;
use crate::filter::{push_filters, readable_field};
use crate::keyset;
use crate::prepare::{new_row, patch_row};
use crate::schemas::{AUDIT, POLICIES};
use crate::sql::{id_field, visible, Sql};
use crate::{Backend, Error, Item, Listed, Page, Store};

/// The check an update runs on the merged item before writing; `Err` carries the message of
/// [`Error::Rejected`].
pub type UpdateCheck = dyn Fn(&Item) -> Result<(), String> + Send + Sync;

impl Store {
    /// One page of the items in `scope` that satisfy every condition, ordered by id (keyset
    /// pagination: pass [`Listed::next`] as [`Page::after`]). Expired audit rows are skipped.
    pub async fn list(
        &self,
        schema: &Schema,
        scope: &Scope,
        conditions: &[Condition],
        page: &Page,
    ) -> Result<Listed, Error> {
        let fields = visible(schema);
        let limit = page.limit.clamp(1, 1000) as usize;
        let newest = page.newest_first.unwrap_or(schema.newest_first);
        let mut sql = Sql::new(self.backend);
        sql.push("SELECT ")
            .columns(&fields)
            .push(" FROM ")
            .ident(schema.name);
        push_where(&mut sql, schema, scope, conditions)?;
        let order = keyset::Order::of(schema, newest);
        if let Some(after) = page.after.as_ref().filter(|v| !v.is_null()) {
            order.push_after(&mut sql, after)?;
        }
        order.push_order_by(&mut sql);
        sql.push(" LIMIT ")
            .param(Param::Int(Some(limit as i64 + 1)));
        let rows = sql.query().fetch_all(&self.pool).await?;
        let mut items = Vec::with_capacity(rows.len().min(limit));
        for row in rows.iter().take(limit) {
            items.push(item(row, &fields)?);
        }
        let next = match rows.len() > limit {
            true => items.last().map(|last| order.cursor(last)),
            false => None,
        };
        Ok(Listed { items, next })
    }

    /// The distinct non-null values of field `key` among the items in `scope` that satisfy
    /// every condition, sorted, at most `limit` (1..=1000).
    pub async fn values(
        &self,
        schema: &Schema,
        scope: &Scope,
        conditions: &[Condition],
        key: &str,
        limit: u32,
    ) -> Result<Vec<Value>, Error> {
        let field = readable_field(schema, key)?;
        let limit = i64::from(limit.clamp(1, 1000));
        // A skip scan: each step jumps to the next larger value through the field's index,
        // so a few distinct values among a million rows cost a few index probes, not a scan.
        let mut sql = Sql::new(self.backend);
        sql.push("WITH RECURSIVE v(x, n) AS (SELECT MIN(")
            .ident(field.name)
            .push("), 1 FROM ")
            .ident(schema.name);
        push_where(&mut sql, schema, scope, conditions)?;
        sql.push(" UNION ALL SELECT (SELECT MIN(")
            .ident(field.name)
            .push(") FROM ")
            .ident(schema.name);
        push_where(&mut sql, schema, scope, conditions)?;
        sql.push(" AND ")
            .ident(field.name)
            .push(" > v.x), n + 1 FROM v WHERE v.x IS NOT NULL AND n < ")
            .param(Param::Int(Some(limit)));
        sql.push(") SELECT x FROM v WHERE x IS NOT NULL");
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter().map(|row| cell(row, 0, field)).collect()
    }

    /// The item with this id, if it exists and is in `scope`.
    pub async fn get(
        &self,
        schema: &Schema,
        scope: &Scope,
        id: &Value,
    ) -> Result<Option<Item>, Error> {
        let mut conn = self.pool.acquire().await?;
        load(&mut conn, self.backend, schema, scope, id).await
    }

    /// Creates an item (see [`Store::create_with`]).
    pub async fn create(
        &self,
        schema: &Schema,
        item: Item,
        audit: Option<AuditEntry>,
    ) -> Result<Item, Error> {
        self.create_with(schema, item, Item::new(), audit).await
    }

    /// Creates an item with hidden fields set from `hidden` (such as a principal's
    /// `key_hash`), and its audit row (`CREATE`, body = `item`) in the same transaction.
    ///
    /// Fills the generated id, `created_at`/`updated_at` and defaults (an incident's `status`
    /// is `open`, a principal is `enabled`, a policy's `version` is 1); read-only fields given
    /// in `item` are ignored. Returns the stored item without hidden fields. A duplicate id is
    /// [`Error::Conflict`]; a field the schema lacks is [`Error::UnknownField`]; a missing
    /// required field or a value of the wrong type is [`Error::InvalidValue`].
    pub async fn create_with(
        &self,
        schema: &Schema,
        item: Item,
        hidden: Item,
        audit: Option<AuditEntry>,
    ) -> Result<Item, Error> {
        refuse_audit(schema)?;
        let row = new_row(schema, &item, &hidden, false)?;
        let id = id_field(schema);
        let mut sql = Sql::new(self.backend);
        let fields: Vec<&Field> = row.iter().map(|(f, _)| *f).collect();
        sql.push("INSERT INTO ")
            .ident(schema.name)
            .push(" (")
            .columns(&fields);
        sql.push(") VALUES (");
        for (i, (_, param)) in row.into_iter().enumerate() {
            sql.push(if i > 0 { ", " } else { "" }).param(param);
        }
        sql.push(") RETURNING ").ident(id.name);
        let mut tx = self.begin_write().await?;
        let inserted = match sql.query().fetch_one(&mut *tx).await {
            Err(e) if is_unique_violation(&e) => {
                let given = item.get(schema.id).map(id_text);
                return Err(Error::Conflict(match given {
                    Some(given) => format!("{} `{given}` already exists", schema.name),
                    None => format!("{}: a unique value already exists", schema.name),
                }));
            }
            other => other?,
        };
        let new_id = cell(&inserted, 0, id)?;
        if let Some(entry) = audit {
            let body = Value::Object(item);
            let item_id = id_text(&new_id);
            audit::insert(&mut tx, self, &entry, &body, schema.name, Some(&item_id)).await?;
        }
        let stored = load(&mut tx, self.backend, schema, &None, &new_id).await?;
        tx.commit().await?;
        stored.ok_or_else(|| Error::Corrupt(format!("{}: created item not found", schema.name)))
    }

    /// Updates the item with this id if it is in `scope`, in one transaction: loads it, merges
    /// `patch`, runs `check` on the merged item (an `Err` is [`Error::Rejected`] and nothing is
    /// written), writes, stamps `updated_at` (and bumps a policy's `version` when its `source`
    /// changes) and writes the audit row (`UPDATE`, body = `patch`). Read-only fields in the
    /// patch are ignored. `None` when the item is not visible.
    pub async fn update(
        &self,
        schema: &Schema,
        scope: &Scope,
        id: &Value,
        patch: Item,
        check: &UpdateCheck,
        audit: Option<AuditEntry>,
    ) -> Result<Option<Item>, Error> {
        refuse_audit(schema)?;
        let changes = patch_row(schema, &patch)?;
        let id_param = match operand(id_field(schema), id) {
            Ok(param) => param,
            Err(_) => return Ok(None),
        };
        let mut tx = self.begin_write().await?;
        let Some(current) = load(&mut tx, self.backend, schema, scope, id).await? else {
            return Ok(None);
        };
        let mut merged = current.clone();
        for (field, _) in &changes {
            let value = patch.get(field.name).cloned().unwrap_or_default();
            merged.insert(field.name.to_string(), value);
        }
        check(&merged).map_err(Error::Rejected)?;
        let bump = schema.name == POLICIES.name
            && changes.iter().any(|(f, _)| f.name == "source")
            && current.get("source") != merged.get("source");
        let mut sql = Sql::new(self.backend);
        sql.push("UPDATE ").ident(schema.name).push(" SET ");
        for (field, param) in changes {
            sql.ident(field.name).push(" = ").param(param).push(", ");
        }
        sql.push("\"updated_at\" = ").param(Param::text(now()));
        if bump {
            sql.push(", \"version\" = \"version\" + 1");
        }
        sql.push(" WHERE ")
            .ident(schema.id)
            .push(" = ")
            .param(id_param);
        sql.query().execute(&mut *tx).await?;
        if let Some(entry) = audit {
            let item_id = id_text(id);
            audit::insert(
                &mut tx,
                self,
                &entry,
                &Value::Object(patch),
                schema.name,
                Some(&item_id),
            )
            .await?;
        }
        let stored = load(&mut tx, self.backend, schema, &None, id).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Deletes the item with this id if it is in `scope`, with its audit row (`DELETE`, body
    /// as given in `audit`) in the same transaction; returns the deleted item, or `None` when
    /// it is not visible.
    pub async fn delete(
        &self,
        schema: &Schema,
        scope: &Scope,
        id: &Value,
        audit: Option<AuditEntry>,
    ) -> Result<Option<Item>, Error> {
        refuse_audit(schema)?;
        let id_param = match operand(id_field(schema), id) {
            Ok(param) => param,
            Err(_) => return Ok(None),
        };
        let mut tx = self.begin_write().await?;
        let Some(current) = load(&mut tx, self.backend, schema, scope, id).await? else {
            return Ok(None);
        };
        let mut sql = Sql::new(self.backend);
        sql.push("DELETE FROM ")
            .ident(schema.name)
            .push(" WHERE ")
            .ident(schema.id);
        sql.push(" = ").param(id_param);
        sql.query().execute(&mut *tx).await?;
        if let Some(entry) = audit {
            let item_id = id_text(id);
            let body = entry.body.clone();
            audit::insert(&mut tx, self, &entry, &body, schema.name, Some(&item_id)).await?;
        }
        tx.commit().await?;
        Ok(Some(current))
    }
}

/// Appends ` WHERE 1=1`, the audit log's expiry, the scope and the conditions.
fn push_where(
    sql: &mut Sql,
    schema: &Schema,
    scope: &Scope,
    conditions: &[Condition],
) -> Result<(), Error> {
    sql.push(" WHERE 1=1");
    if schema.name == AUDIT.name {
        audit::push_live(sql);
    }
    push_filters(sql, schema, scope, conditions)
}

/// The visible item with this id in `scope`, read on `conn` (a transaction or a connection).
pub(crate) async fn load(
    conn: &mut AnyConnection,
    backend: Backend,
    schema: &Schema,
    scope: &Scope,
    id: &Value,
) -> Result<Option<Item>, Error> {
    let id_field = id_field(schema);
    let Ok(id_param) = operand(id_field, id) else {
        return Ok(None);
    };
    if id_param.is_null() {
        return Ok(None);
    }
    let fields = visible(schema);
    let mut sql = Sql::new(backend);
    sql.push("SELECT ")
        .columns(&fields)
        .push(" FROM ")
        .ident(schema.name);
    push_where(&mut sql, schema, scope, &[])?;
    sql.push(" AND ")
        .ident(id_field.name)
        .push(" = ")
        .param(id_param);
    match sql.query().fetch_optional(&mut *conn).await? {
        Some(row) => Ok(Some(item(&row, &fields)?)),
        None => Ok(None),
    }
}

fn refuse_audit(schema: &Schema) -> Result<(), Error> {
    if schema.name == AUDIT.name {
        return Err(Error::Rejected("the audit log is read-only".to_string()));
    }
    Ok(())
}
