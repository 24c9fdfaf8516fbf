//! Platform installations: the tokens one Leakwall holds per workspace (Slack team), written
//! by the OAuth install flow and read by the workers that act on that workspace.
//!
//! The store keeps tokens as the server hands them over: sealed (authenticated encryption
//! with a key the store never sees). An installation is not a resource of the admin API, so
//! no list or filter route can return it.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::codec::{now, Param};
use crate::sql::Sql;
use crate::{Error, Store};

/// One workspace's installation of our app.
#[derive(Clone, PartialEq, Eq)]
pub struct Installation {
    /// The platform (`slack`).
    pub platform: String,
    /// The tenant: a Slack team id (`T…`).
    pub tenant: String,
    /// The workspace name.
    pub tenant_name: Option<String>,
    /// The Enterprise Grid org, if any.
    pub enterprise_id: Option<String>,
    /// Our app's id.
    pub app_id: Option<String>,
    /// Our bot user.
    pub bot_user_id: Option<String>,
    /// The bot token, sealed.
    pub bot_token: String,
    /// The bot token's scopes, comma-separated.
    pub bot_scopes: String,
    /// The installing user.
    pub user_id: Option<String>,
    /// The installing user's token, sealed, when user scopes were granted.
    pub user_token: Option<String>,
    /// The user token's scopes, comma-separated.
    pub user_scopes: String,
    /// When it was first installed (set by the store).
    pub created_at: Option<String>,
    /// When it was last installed again (set by the store).
    pub updated_at: Option<String>,
}

impl std::fmt::Debug for Installation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Installation")
            .field("platform", &self.platform)
            .field("tenant", &self.tenant)
            .field("tenant_name", &self.tenant_name)
            .field("bot_scopes", &self.bot_scopes)
            .field("user_token", &self.user_token.is_some())
            .field("user_scopes", &self.user_scopes)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "\"platform\", \"tenant\", \"tenant_name\", \"enterprise_id\", \"app_id\", \
    \"bot_user_id\", \"bot_token\", \"bot_scopes\", \"user_id\", \"user_token\", \"user_scopes\", \
    \"created_at\", \"updated_at\"";

fn text(value: &Option<String>) -> Param {
    Param::Text(value.clone())
}

impl Store {
    /// Saves an installation: a new one, or a reinstall that replaces the tokens and scopes of
    /// the same (platform, tenant) and keeps its `created_at`.
    pub async fn save_installation(&self, installation: &Installation) -> Result<(), Error> {
        let at = now();
        let i = installation;
        let values = [
            Param::text(i.platform.as_str()),
            Param::text(i.tenant.as_str()),
            text(&i.tenant_name),
            text(&i.enterprise_id),
            text(&i.app_id),
            text(&i.bot_user_id),
            Param::text(i.bot_token.as_str()),
            Param::text(i.bot_scopes.as_str()),
            text(&i.user_id),
            text(&i.user_token),
            Param::text(i.user_scopes.as_str()),
            Param::text(at.as_str()),
            Param::text(at.as_str()),
        ];
        let mut sql = Sql::new(self.backend);
        sql.push("INSERT INTO \"installations\" (")
            .push(COLUMNS)
            .push(") VALUES (");
        for (n, value) in values.into_iter().enumerate() {
            sql.push(if n > 0 { ", " } else { "" }).param(value);
        }
        sql.push(") ON CONFLICT (\"platform\", \"tenant\") DO UPDATE SET ");
        let replaced = [
            "tenant_name",
            "enterprise_id",
            "app_id",
            "bot_user_id",
            "bot_token",
            "bot_scopes",
            "user_id",
            "user_token",
            "user_scopes",
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

    /// The installation of `tenant` on `platform`, if there is one.
    pub async fn installation(
        &self,
        platform: &str,
        tenant: &str,
    ) -> Result<Option<Installation>, Error> {
        let mut sql = Sql::new(self.backend);
        sql.push("SELECT ")
            .push(COLUMNS)
            .push(" FROM \"installations\" WHERE \"platform\" = ")
            .param(Param::text(platform))
            .push(" AND \"tenant\" = ")
            .param(Param::text(tenant));
        let row = sql.query().fetch_optional(&self.pool).await?;
        row.map(|row| installation(&row)).transpose()
    }

    /// Removes the installation of `tenant` (the app was uninstalled); whether there was one.
    pub async fn delete_installation(&self, platform: &str, tenant: &str) -> Result<bool, Error> {
        let mut sql = Sql::new(self.backend);
        sql.push("DELETE FROM \"installations\" WHERE \"platform\" = ")
            .param(Param::text(platform))
            .push(" AND \"tenant\" = ")
            .param(Param::text(tenant));
        Ok(sql.query().execute(&self.pool).await?.rows_affected() > 0)
    }
}

fn installation(row: &AnyRow) -> Result<Installation, Error> {
    let opt = |name: &str| -> Result<Option<String>, Error> { Ok(row.try_get(name)?) };
    let req = |name: &str| -> Result<String, Error> {
        opt(name)?.ok_or_else(|| Error::Corrupt(format!("installations.{name} is null")))
    };
    Ok(Installation {
        platform: req("platform")?,
        tenant: req("tenant")?,
        tenant_name: opt("tenant_name")?,
        enterprise_id: opt("enterprise_id")?,
        app_id: opt("app_id")?,
        bot_user_id: opt("bot_user_id")?,
        bot_token: req("bot_token")?,
        bot_scopes: opt("bot_scopes")?.unwrap_or_default(),
        user_id: opt("user_id")?,
        user_token: opt("user_token")?,
        user_scopes: opt("user_scopes")?.unwrap_or_default(),
        created_at: opt("created_at")?,
        updated_at: opt("updated_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(bot: &str, user: Option<&str>) -> Installation {
        Installation {
            platform: "slack".into(),
            tenant: "T1".into(),
            tenant_name: Some("Acme".into()),
            enterprise_id: None,
            app_id: Some("A1".into()),
            bot_user_id: Some("UBOT".into()),
            bot_token: bot.into(),
            bot_scopes: "chat:write,files:read".into(),
            user_id: Some("UADMIN".into()),
            user_token: user.map(str::to_owned),
            user_scopes: "chat:write".into(),
            created_at: None,
            updated_at: None,
        }
    }

    #[tokio::test]
    async fn installations_are_saved_replaced_and_deleted() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        assert!(store.installation("slack", "T1").await.unwrap().is_none());
        store
            .save_installation(&sample("sealed-1", Some("sealed-u")))
            .await
            .unwrap();
        let first = store.installation("slack", "T1").await.unwrap().unwrap();
        assert_eq!(first.bot_token, "sealed-1");
        assert_eq!(first.user_token.as_deref(), Some("sealed-u"));
        store
            .save_installation(&sample("sealed-2", None))
            .await
            .unwrap();
        let again = store.installation("slack", "T1").await.unwrap().unwrap();
        assert_eq!(again.bot_token, "sealed-2");
        assert_eq!(
            again.user_token, None,
            "a reinstall replaces the user token"
        );
        assert_eq!(again.created_at, first.created_at);
        assert!(!format!("{again:?}").contains("sealed"));
        assert!(store.installation("webex", "T1").await.unwrap().is_none());
        assert!(store.delete_installation("slack", "T1").await.unwrap());
        assert!(!store.delete_installation("slack", "T1").await.unwrap());
    }

    #[tokio::test]
    async fn a_forgotten_key_is_new_again() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let ttl = std::time::Duration::from_secs(60);
        assert!(store.remember("s", "k", ttl).await.unwrap());
        assert!(!store.remember("s", "k", ttl).await.unwrap());
        store.forget("s", "k").await.unwrap();
        assert!(store.remember("s", "k", ttl).await.unwrap());
    }

    #[tokio::test]
    async fn many_keys_are_remembered_in_one_statement() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let ttl = std::time::Duration::from_secs(60);
        assert!(store.remember("s", "b", ttl).await.unwrap());
        let keys: Vec<String> = ["a", "b", "c", "a"].map(str::to_owned).to_vec();
        let mut first = store.remember_all("s", &keys, ttl).await.unwrap();
        first.sort();
        assert_eq!(first, ["a", "c"]);
        assert!(store
            .remember_all("s", &keys, ttl)
            .await
            .unwrap()
            .is_empty());
        assert!(store.remember_all("other", &keys, ttl).await.unwrap().len() == 3);
        assert!(store.remember_all("s", &[], ttl).await.unwrap().is_empty());
    }
}
