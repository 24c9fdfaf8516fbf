//! The audit log: rows written with every write (in its transaction) and for reads, expiry,
//! and the history of an item rebuilt from its rows.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{AnyConnection, Row};

use crate::codec::{after, cell, now, Param};
use crate::schemas::{schema, AUDIT};
use crate::sql::Sql;
use crate::{Error, Item, Store};

/// Who did what: the request-level part of an audit row. The store adds the time, the
/// resource, the item id and the expiry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditEntry {
    /// `CREATE`, `UPDATE`, `DELETE`, `GET`, `LIST`, `SEARCH` or a custom action.
    pub action: String,
    /// The HTTP method.
    pub method: String,
    /// The request path.
    pub path: String,
    /// Path parameters (an object).
    pub path_params: Value,
    /// Query parameters (an object).
    pub query_params: Value,
    /// The request body; replaced by the item on create and by the patch on update.
    pub body: Value,
    /// The caller: `api_key_id` or `username`, `name`, `source_ip`, `user_agent`.
    pub user: Value,
    /// The caller's identifier id.
    pub user_id: String,
    /// The client address.
    pub source_ip: String,
    /// The client's `User-Agent`.
    pub user_agent: String,
}

/// One version of an item, rebuilt from the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Version {
    /// When the change was made (RFC 3339 UTC).
    pub time: String,
    /// `CREATE`, `UPDATE` or `DELETE`.
    pub action: String,
    /// Who made it (the audit row's `user`).
    pub user: Value,
    /// The item after the change; `None` after a delete.
    pub item: Option<Item>,
}

impl Store {
    /// Writes an audit row for a read (`GET`, `LIST`, `SEARCH`) or a custom action.
    pub async fn record(
        &self,
        entry: AuditEntry,
        resource: &str,
        item_id: Option<&str>,
    ) -> Result<(), Error> {
        let mut conn = self.pool.acquire().await?;
        insert(&mut conn, self, &entry, &entry.body, resource, item_id).await
    }

    /// Deletes audit rows whose expiry has passed; returns how many.
    pub async fn purge_expired_audit(&self) -> Result<u64, Error> {
        let mut sql = Sql::new(self.backend);
        sql.push("DELETE FROM \"audit\" WHERE \"expires_at\" <= ")
            .param(Param::text(now()));
        Ok(sql.query().execute(&self.pool).await?.rows_affected())
    }

    /// The versions of an item, oldest first, rebuilt from its unexpired `CREATE`, `UPDATE`
    /// and `DELETE` audit rows: a create's body is the first version, each update merges its
    /// patch into the previous version, a delete ends with no item.
    pub async fn history(&self, resource: &str, id: &str) -> Result<Vec<Version>, Error> {
        let fields = ["time", "action", "user", "body"]
            .map(|name| AUDIT.field(name).unwrap_or(&AUDIT.fields[0]));
        let mut sql = Sql::new(self.backend);
        sql.push("SELECT ")
            .columns(&fields)
            .push(" FROM \"audit\" WHERE 1=1");
        push_live(&mut sql);
        sql.push(" AND \"resource\" = ")
            .param(Param::text(resource));
        sql.push(" AND \"item_id\" = ").param(Param::text(id));
        sql.push(" AND \"action\" IN ('CREATE', 'UPDATE', 'DELETE') ORDER BY \"id\" ASC");
        let rows = sql.query().fetch_all(&self.pool).await?;
        let mut versions = Vec::with_capacity(rows.len());
        let mut current: Option<Item> = None;
        for row in &rows {
            let action: String = row.try_get(1)?;
            let body = cell(row, 3, fields[3])?;
            current = match action.as_str() {
                "CREATE" => Some(with_id(object(body), resource, id)),
                "DELETE" => None,
                _ => {
                    let mut next = current.unwrap_or_else(|| with_id(Item::new(), resource, id));
                    next.extend(object(body));
                    Some(next)
                }
            };
            versions.push(Version {
                time: row.try_get::<Option<String>, _>(0)?.unwrap_or_default(),
                action,
                user: cell(row, 2, fields[2])?,
                item: current.clone(),
            });
        }
        Ok(versions)
    }
}

/// Appends ` AND` the condition that skips expired audit rows.
pub(crate) fn push_live(sql: &mut Sql) {
    sql.push(" AND (\"expires_at\" IS NULL OR \"expires_at\" > ");
    sql.param(Param::text(now())).push(")");
}

/// Writes one audit row on `conn` (inside the caller's transaction, if any).
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    store: &Store,
    entry: &AuditEntry,
    body: &Value,
    resource: &str,
    item_id: Option<&str>,
) -> Result<(), Error> {
    let json = |value: &Value| match value {
        Value::Null => Param::Text(None),
        other => Param::text(other.to_string()),
    };
    let values = [
        Param::text(now()),
        Param::text(entry.action.as_str()),
        Param::text(resource),
        Param::Text(item_id.map(str::to_string)),
        Param::text(entry.method.as_str()),
        Param::text(entry.path.as_str()),
        json(&entry.path_params),
        json(&entry.query_params),
        json(body),
        json(&entry.user),
        Param::text(entry.user_id.as_str()),
        Param::text(entry.source_ip.as_str()),
        Param::text(entry.user_agent.as_str()),
        Param::text(after(store.audit_ttl)),
    ];
    let fields: Vec<_> = AUDIT.fields.iter().skip(1).collect();
    let mut sql = Sql::new(store.backend);
    sql.push("INSERT INTO \"audit\" (")
        .columns(&fields)
        .push(") VALUES (");
    for (i, value) in values.into_iter().enumerate() {
        sql.push(if i > 0 { ", " } else { "" }).param(value);
    }
    sql.push(")");
    sql.query().execute(&mut *conn).await?;
    Ok(())
}

fn object(value: Value) -> Item {
    match value {
        Value::Object(map) => map,
        _ => Item::new(),
    }
}

/// The item with its id field set (a create's body has no generated id).
fn with_id(mut item: Item, resource: &str, id: &str) -> Item {
    if let Some(schema) = schema(resource) {
        if !item.contains_key(schema.id) {
            let value = match schema.generated_id {
                true => id
                    .parse::<i64>()
                    .map_or_else(|_| Value::from(id), Value::from),
                false => Value::from(id),
            };
            item.insert(schema.id.to_string(), value);
        }
    }
    item
}
