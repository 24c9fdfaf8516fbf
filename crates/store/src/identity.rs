//! Callers: principals as `leakwall_access` identifiers, permission groups, API keys.

use leakwall_access::{Group, Identifier};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::audit::AuditEntry;
use crate::codec::{item, Param};
use crate::keys::{hash_key, new_api_key};
use crate::schemas::{GROUPS, PRINCIPALS};
use crate::sql::{visible, Sql};
use crate::{Error, Item, Store};

/// The keys of a principal row that make up an [`Identifier`].
const IDENTIFIER_KEYS: &[&str] = &[
    "id",
    "type",
    "name",
    "username",
    "email",
    "groups",
    "enabled",
    "permitted_endpoints",
    "filter_fields",
    "exclude_fields",
    "update_fields_permitted",
    "update_fields_restricted",
];

/// The keys of a group row that make up a [`Group`].
const GROUP_KEYS: &[&str] = &[
    "id",
    "name",
    "permitted_endpoints",
    "filter_fields",
    "exclude_fields",
    "update_fields_permitted",
    "update_fields_restricted",
];

impl Store {
    /// The principal with this id (enabled or not: the caller decides what disabled means).
    pub async fn identifier(&self, id: &str) -> Result<Option<Identifier>, Error> {
        self.principal_where("id", id).await
    }

    /// The API-key principal whose secret hashes to `hash` (see [`hash_key`]).
    pub async fn identifier_by_key_hash(&self, hash: &str) -> Result<Option<Identifier>, Error> {
        self.principal_where("key_hash", hash).await
    }

    /// Every permission group, by id.
    pub async fn groups(&self) -> Result<Vec<Group>, Error> {
        let fields = visible(&GROUPS);
        let mut sql = Sql::new(self.backend);
        sql.push("SELECT ")
            .columns(&fields)
            .push(" FROM \"groups\" ORDER BY \"id\"");
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| convert(&item(row, &fields)?, GROUP_KEYS, "group"))
            .collect()
    }

    /// Whether any API key exists (a fresh install has none).
    pub async fn has_api_keys(&self) -> Result<bool, Error> {
        let mut sql = Sql::new(self.backend);
        sql.push("SELECT \"id\" FROM \"principals\" WHERE \"type\" = ");
        sql.param(Param::text("API_KEY")).push(" LIMIT 1");
        Ok(sql.query().fetch_optional(&self.pool).await?.is_some())
    }

    /// Creates an enabled API-key principal in `groups` and returns it with its secret, which
    /// is stored only as its hash and cannot be shown again.
    pub async fn create_api_key(
        &self,
        name: &str,
        username: &str,
        groups: &[String],
        audit: Option<AuditEntry>,
    ) -> Result<(Item, String), Error> {
        let key = new_api_key();
        let mut principal = Item::new();
        principal.insert("id".into(), Value::from(key.id.as_str()));
        principal.insert("type".into(), Value::from("API_KEY"));
        principal.insert("name".into(), Value::from(name));
        principal.insert("username".into(), Value::from(username));
        principal.insert("groups".into(), Value::from(groups.to_vec()));
        principal.insert("enabled".into(), Value::Bool(true));
        let mut hidden = Item::new();
        hidden.insert("key_hash".into(), Value::from(hash_key(&key.secret)));
        let stored = self
            .create_with(&PRINCIPALS, principal, hidden, audit)
            .await?;
        Ok((stored, key.secret))
    }

    async fn principal_where(
        &self,
        column: &str,
        value: &str,
    ) -> Result<Option<Identifier>, Error> {
        let fields = visible(&PRINCIPALS);
        let mut sql = Sql::new(self.backend);
        sql.push("SELECT ")
            .columns(&fields)
            .push(" FROM \"principals\" WHERE ");
        sql.ident(column).push(" = ").param(Param::text(value));
        match sql.query().fetch_optional(&self.pool).await? {
            Some(row) => Ok(Some(convert(
                &item(&row, &fields)?,
                IDENTIFIER_KEYS,
                "principal",
            )?)),
            None => Ok(None),
        }
    }
}

/// An admin-data row as its `leakwall_access` type: the listed keys, nulls left out.
fn convert<T: DeserializeOwned>(row: &Item, keys: &[&str], what: &str) -> Result<T, Error> {
    let object: Item = keys
        .iter()
        .filter_map(|key| {
            row.get(*key)
                .filter(|v| !v.is_null())
                .map(|v| (key.to_string(), v.clone()))
        })
        .collect();
    let id = row
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    serde_json::from_value(Value::Object(object))
        .map_err(|e| Error::Corrupt(format!("{what} `{id}`: {e}")))
}
