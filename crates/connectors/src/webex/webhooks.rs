//! Webex webhooks (spec §5.4): list them (RFC 5988 `Link` paging), delete them, and create
//! the org-wide `messages`/`created` webhook real-time DLP needs.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use reqwest::header::LINK;
use serde::Deserialize;

use super::client::WebexClient;
use crate::error::ApiError;
use crate::secret::Token;

/// Webhooks asked for per page.
pub const PAGE_SIZE: u32 = 100;
/// Pages [`WebexClient::list_webhooks`] reads at most (2,000 webhooks at [`PAGE_SIZE`]);
/// a `next` link beyond is not followed, so a looping or endless list cannot hold a caller.
pub const MAX_PAGES: usize = 20;

/// A webhook as Webex describes it. Its `secret` is never kept.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// The webhook id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Where Webex POSTs deliveries.
    pub target_url: String,
    /// `messages`, `rooms`, …
    pub resource: String,
    /// `created`, `deleted`, …
    pub event: String,
    /// `org` for org-wide webhooks, `creator` otherwise.
    #[serde(default)]
    pub owned_by: Option<String>,
    /// The organization.
    #[serde(default)]
    pub org_id: Option<String>,
    /// The integration that created it (ours: the integration id).
    #[serde(default)]
    pub app_id: Option<String>,
    /// `active` or `inactive`.
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    items: Vec<Webhook>,
}

impl WebexClient {
    /// `GET /v1/webhooks`, following `Link: <…>; rel="next"` (on the API origin only) for at
    /// most [`MAX_PAGES`] pages.
    pub async fn list_webhooks(&self, token: &Token) -> Result<Vec<Webhook>, ApiError> {
        let name = "webhooks.list";
        let mut url = self.checked(&format!("{}/v1/webhooks?max={PAGE_SIZE}", self.base_url()))?;
        let mut webhooks = Vec::new();
        for _ in 0..MAX_PAGES {
            let request = self.http().get(url.clone()).bearer_auth(token.expose());
            let response = self.send(name, request).await?;
            let next = response
                .headers()
                .get_all(LINK)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(next_link);
            let page: Page = self.read_json(name, response).await?;
            webhooks.extend(page.items);
            let Some(next) = next else {
                return Ok(webhooks);
            };
            let next = url.join(&next).map_err(|_| ApiError::DisallowedUrl)?;
            url = self.checked(next.as_str())?;
        }
        Ok(webhooks)
    }

    /// `DELETE /v1/webhooks/{id}`; one already gone (404) counts as deleted.
    pub async fn delete_webhook(&self, token: &Token, id: &str) -> Result<(), ApiError> {
        self.delete("webhooks.delete", "webhooks", id, token).await
    }

    /// `POST /v1/webhooks`: the org-wide `messages`/`created` webhook (`ownedBy: org`) to
    /// `target_url`, deliveries signed with `secret` (needs the compliance officer's
    /// `webhooks_write` and `messages_read` scopes).
    pub async fn create_webhook(
        &self,
        token: &Token,
        name: &str,
        target_url: &str,
        secret: &Token,
    ) -> Result<Webhook, ApiError> {
        let body = serde_json::json!({
            "name": name, "targetUrl": target_url, "resource": "messages",
            "event": "created", "ownedBy": "org", "secret": secret.expose(),
        });
        self.json(
            reqwest::Method::POST,
            "webhooks.create",
            "/v1/webhooks",
            token,
            Some(body),
        )
        .await
    }
}

/// The `rel="next"` target of one `Link` header value (RFC 5988): `<url>; rel="next"`,
/// possibly among other links and with several relation types. The URL may be relative.
pub fn next_link(value: &str) -> Option<String> {
    value.split('<').skip(1).find_map(|link| {
        let (target, params) = link.split_once('>')?;
        let is_next = params.split(';').any(|param| {
            let Some((key, rels)) = param.trim().split_once('=') else {
                return false;
            };
            key.trim().eq_ignore_ascii_case("rel")
                && rels
                    .trim()
                    .trim_end_matches(',')
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        is_next.then(|| target.trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links() {
        let one = r#"<https://webexapis.com/v1/webhooks?max=2&cursor=abc>; rel="next""#;
        assert_eq!(
            next_link(one).as_deref(),
            Some("https://webexapis.com/v1/webhooks?max=2&cursor=abc")
        );
        let many = r#"<https://h/a?x=1,2>; rel="prev", <https://h/b>; rel="last next""#;
        assert_eq!(next_link(many).as_deref(), Some("https://h/b"));
        assert_eq!(
            next_link("</v1/webhooks?c=1>;REL=next").as_deref(),
            Some("/v1/webhooks?c=1")
        );
        assert_eq!(next_link(r#"<https://h/a>; rel="prev""#), None);
        assert_eq!(next_link(r#"<https://h/a; rel="next""#), None);
        assert_eq!(next_link(""), None);
        assert_eq!(next_link("garbage; rel=next"), None);
    }
}
