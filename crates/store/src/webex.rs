//! Webex installations (issue 8): per organization, the compliance officer's tokens and our
//! org-wide webhook, written by the OAuth callback and the token refresh, read by the webhook
//! route (the signing secret) and the workers (the access token).
//!
//! Tokens and the webhook secret arrive sealed by the server; the store never sees them in the
//! clear, and the `Debug` of a row never shows them. Not an admin-API resource: the server's
//! read-only view lists only what is safe to show.

use sqlx::any::AnyRow;
use sqlx::Row;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::codec::{format_time, now, Param};
use crate::sql::Sql;
use crate::{Error, Store};

/// One organization's installation.
#[derive(Clone, PartialEq, Eq)]
pub struct WebexInstallation {
    /// The org id.
    pub org_id: String,
    /// The access token, sealed.
    pub access_token: String,
    /// When the access token expires, in seconds since the Unix epoch.
    pub access_expires_at: i64,
    /// The refresh token, sealed.
    pub refresh_token: String,
    /// When the refresh token expires, in seconds since the Unix epoch.
    pub refresh_expires_at: Option<i64>,
    /// Granted scopes, space-separated.
    pub scopes: String,
    /// Our webhook's id.
    pub webhook_id: Option<String>,
    /// Our webhook's signing secret, sealed.
    pub webhook_secret: Option<String>,
    /// `active`, `inactive`, `missing` or `failed: …`.
    pub webhook_status: String,
    /// When it was first installed (set by the store).
    pub created_at: Option<String>,
    /// When it last changed (set by the store).
    pub updated_at: Option<String>,
}

impl std::fmt::Debug for WebexInstallation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebexInstallation")
            .field("org_id", &self.org_id)
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .field("scopes", &self.scopes)
            .field("webhook_id", &self.webhook_id)
            .field("webhook_status", &self.webhook_status)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "\"org_id\", \"access_token\", \"access_expires_at\", \"refresh_token\", \
    \"refresh_expires_at\", \"scopes\", \"webhook_id\", \"webhook_secret\", \"webhook_status\", \
    \"created_at\", \"updated_at\"";

/// The most installations listed at once.
const MAX_LISTED: i64 = 10_000;

fn time_text(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .map(format_time)
        .unwrap_or_else(|_| "9999-12-31T23:59:59.999Z".into())
}

fn unix(text: &str) -> Result<i64, Error> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(OffsetDateTime::unix_timestamp)
        .map_err(|_| Error::Corrupt(format!("webex_installations: bad time {text}")))
}

impl Store {
    /// Saves an installation: a new one, or a reinstall that replaces everything but
    /// `created_at`.
    pub async fn save_webex_installation(&self, i: &WebexInstallation) -> Result<(), Error> {
        let at = now();
        let values = [
            Param::text(i.org_id.as_str()),
            Param::text(i.access_token.as_str()),
            Param::text(time_text(i.access_expires_at)),
            Param::text(i.refresh_token.as_str()),
            Param::Text(i.refresh_expires_at.map(time_text)),
            Param::text(i.scopes.as_str()),
            Param::Text(i.webhook_id.clone()),
            Param::Text(i.webhook_secret.clone()),
            Param::text(i.webhook_status.as_str()),
            Param::text(at.as_str()),
            Param::text(at.as_str()),
        ];
        let mut sql = Sql::new(self.backend);
        sql.push("INSERT INTO \"webex_installations\" (")
            .push(COLUMNS)
            .push(") VALUES (");
        for (n, value) in values.into_iter().enumerate() {
            sql.push(if n > 0 { ", " } else { "" }).param(value);
        }
        sql.push(") ON CONFLICT (\"org_id\") DO UPDATE SET ");
        let replaced = [
            "access_token",
            "access_expires_at",
            "refresh_token",
            "refresh_expires_at",
            "scopes",
            "webhook_id",
            "webhook_secret",
            "webhook_status",
            "updated_at",
        ];
        for (n, column) in replaced.iter().enumerate() {
            sql.push(if n > 0 { ", " } else { "" })
                .ident(column)
                .push(" = excluded.")
                .ident(column);
        }
        sql.query().execute(&self.pool).await?;
        Ok(())
    }

    /// Replaces the tokens of `org` after a refresh, only if its refresh token is still
    /// `previous` (another process may have refreshed first); whether it was replaced.
    pub async fn rotate_webex_tokens(
        &self,
        org: &str,
        previous: &str,
        next: &WebexInstallation,
    ) -> Result<bool, Error> {
        let mut sql = Sql::new(self.backend);
        sql.push("UPDATE \"webex_installations\" SET \"access_token\" = ")
            .param(Param::text(next.access_token.as_str()))
            .push(", \"access_expires_at\" = ")
            .param(Param::text(time_text(next.access_expires_at)))
            .push(", \"refresh_token\" = ")
            .param(Param::text(next.refresh_token.as_str()))
            .push(", \"refresh_expires_at\" = ")
            .param(Param::Text(next.refresh_expires_at.map(time_text)))
            .push(", \"updated_at\" = ")
            .param(Param::text(now()))
            .push(" WHERE \"org_id\" = ")
            .param(Param::text(org))
            .push(" AND \"refresh_token\" = ")
            .param(Param::text(previous));
        Ok(sql.query().execute(&self.pool).await?.rows_affected() == 1)
    }

    /// The installation of `org`, if there is one.
    pub async fn webex_installation(&self, org: &str) -> Result<Option<WebexInstallation>, Error> {
        let mut sql = Sql::new(self.backend);
        sql.push("SELECT ")
            .push(COLUMNS)
            .push(" FROM \"webex_installations\" WHERE \"org_id\" = ")
            .param(Param::text(org));
        let row = sql.query().fetch_optional(&self.pool).await?;
        row.map(|row| installation(&row)).transpose()
    }

    /// Every installation, by org id (at most 10,000).
    pub async fn webex_installations(&self) -> Result<Vec<WebexInstallation>, Error> {
        let mut sql = Sql::new(self.backend);
        sql.push("SELECT ")
            .push(COLUMNS)
            .push(" FROM \"webex_installations\" ORDER BY \"org_id\" LIMIT ")
            .param(Param::Int(Some(MAX_LISTED)));
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter().map(installation).collect()
    }

    /// Removes the installation of `org`; whether there was one.
    pub async fn delete_webex_installation(&self, org: &str) -> Result<bool, Error> {
        let mut sql = Sql::new(self.backend);
        sql.push("DELETE FROM \"webex_installations\" WHERE \"org_id\" = ")
            .param(Param::text(org));
        Ok(sql.query().execute(&self.pool).await?.rows_affected() > 0)
    }
}

fn installation(row: &AnyRow) -> Result<WebexInstallation, Error> {
    let opt = |name: &str| -> Result<Option<String>, Error> { Ok(row.try_get(name)?) };
    let req = |name: &str| -> Result<String, Error> {
        opt(name)?.ok_or_else(|| Error::Corrupt(format!("webex_installations.{name} is null")))
    };
    Ok(WebexInstallation {
        org_id: req("org_id")?,
        access_token: req("access_token")?,
        access_expires_at: unix(&req("access_expires_at")?)?,
        refresh_token: req("refresh_token")?,
        refresh_expires_at: opt("refresh_expires_at")?
            .as_deref()
            .map(unix)
            .transpose()?,
        scopes: req("scopes")?,
        webhook_id: opt("webhook_id")?,
        webhook_secret: opt("webhook_secret")?,
        webhook_status: req("webhook_status")?,
        created_at: opt("created_at")?,
        updated_at: opt("updated_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(access: &str, refresh: &str) -> WebexInstallation {
        WebexInstallation {
            org_id: "ORG1".into(),
            access_token: access.into(),
            access_expires_at: 1_800_000_000,
            refresh_token: refresh.into(),
            refresh_expires_at: Some(1_900_000_000),
            scopes: "spark-compliance:messages_read".into(),
            webhook_id: Some("WH1".into()),
            webhook_secret: Some("sealed-secret".into()),
            webhook_status: "active".into(),
            created_at: None,
            updated_at: None,
        }
    }

    #[tokio::test]
    async fn installations_are_saved_rotated_and_deleted() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        assert!(store.webex_installation("ORG1").await.unwrap().is_none());
        store
            .save_webex_installation(&sample("sealed-a1", "sealed-r1"))
            .await
            .unwrap();
        let first = store.webex_installation("ORG1").await.unwrap().unwrap();
        assert_eq!(first.access_token, "sealed-a1");
        assert_eq!(first.access_expires_at, 1_800_000_000);
        assert_eq!(first.refresh_expires_at, Some(1_900_000_000));
        assert!(!format!("{first:?}").contains("sealed"));

        let mut next = sample("sealed-a2", "sealed-r2");
        next.access_expires_at = 1_800_003_600;
        assert!(!store
            .rotate_webex_tokens("ORG1", "sealed-other", &next)
            .await
            .unwrap());
        assert!(store
            .rotate_webex_tokens("ORG1", "sealed-r1", &next)
            .await
            .unwrap());
        let rotated = store.webex_installation("ORG1").await.unwrap().unwrap();
        assert_eq!(rotated.refresh_token, "sealed-r2");
        assert_eq!(rotated.access_expires_at, 1_800_003_600);
        assert_eq!(rotated.webhook_secret.as_deref(), Some("sealed-secret"));
        assert_eq!(rotated.created_at, first.created_at);

        assert_eq!(store.webex_installations().await.unwrap().len(), 1);
        assert!(store.delete_webex_installation("ORG1").await.unwrap());
        assert!(!store.delete_webex_installation("ORG1").await.unwrap());
    }
}
