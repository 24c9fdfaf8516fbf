//! The Webex OAuth integration grant (spec §5.6): the authorize URL, the code exchange and the
//! refresh, both `POST /v1/access_token` form-encoded.
//!
//! Tokens travel as [`Token`], whose `Debug` shows only a length; nothing here logs. Errors
//! are classified as for every other call: 400 (a used or unknown code or refresh token,
//! a `redirect_uri` that does not match) is [`ApiError::Status`], bad client credentials
//! (401) [`ApiError::Unauthorized`], 429 [`ApiError::RateLimited`].
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use serde::Deserialize;

use super::client::WebexClient;
use crate::error::ApiError;
use crate::secret::Token;

/// What `/v1/access_token` grants. Lifetimes are in seconds, as Webex answers them; read
/// them from here rather than assuming Webex's defaults (14 and 90 days).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TokenGrant {
    /// The access token.
    pub access_token: Token,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The refresh token; each refresh may rotate it, so keep the newest.
    pub refresh_token: Token,
    /// Seconds until the refresh token expires.
    pub refresh_token_expires_in: u64,
}

/// The URL that starts the grant: `{base}/v1/authorize?client_id=…&response_type=code&
/// redirect_uri=…&scope=…&state=…`, scopes space-separated, every value percent-encoded.
/// `base` is the API origin (`https://webexapis.com`).
pub fn authorize_url(
    base: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: &[&str],
    state: &str,
) -> String {
    format!(
        "{}/v1/authorize?client_id={}&response_type=code&redirect_uri={}&scope={}&state={}",
        base.trim_end_matches('/'),
        encode(client_id),
        encode(redirect_uri),
        encode(&scopes.join(" ")),
        encode(state),
    )
}

/// Percent-encoding of everything but RFC 3986's unreserved characters.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl WebexClient {
    /// Exchanges the `code` the authorize redirect brought (`grant_type=authorization_code`);
    /// `redirect_uri` must be the one the authorize URL named.
    pub async fn exchange_code(
        &self,
        client_id: &str,
        client_secret: &Token,
        code: &str,
        redirect_uri: &str,
    ) -> Result<TokenGrant, ApiError> {
        self.access_token(&[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("client_secret", client_secret.expose()),
            ("code", code),
            ("redirect_uri", redirect_uri),
        ])
        .await
    }

    /// A new grant for `refresh_token` (`grant_type=refresh_token`). Webex may rotate the
    /// refresh token; the old one can then be refused.
    pub async fn refresh(
        &self,
        client_id: &str,
        client_secret: &Token,
        refresh_token: &Token,
    ) -> Result<TokenGrant, ApiError> {
        self.access_token(&[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("client_secret", client_secret.expose()),
            ("refresh_token", refresh_token.expose()),
        ])
        .await
    }

    async fn access_token(&self, form: &[(&str, &str)]) -> Result<TokenGrant, ApiError> {
        let name = "access_token";
        let url = format!("{}/v1/access_token", self.base_url());
        let response = self.send(name, self.http().post(url).form(form)).await?;
        self.read_json(name, response).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_url_encodes_every_value() {
        let url = authorize_url(
            "https://webexapis.com/",
            "C1",
            "https://dlp.example.com/oauth/webex/callback?x=1",
            &["spark-compliance:messages_read", "spark:kms"],
            "a+b/c=",
        );
        assert_eq!(
            url,
            "https://webexapis.com/v1/authorize?client_id=C1&response_type=code\
             &redirect_uri=https%3A%2F%2Fdlp.example.com%2Foauth%2Fwebex%2Fcallback%3Fx%3D1\
             &scope=spark-compliance%3Amessages_read%20spark%3Akms&state=a%2Bb%2Fc%3D"
        );
    }

    #[test]
    fn grants_hide_their_tokens() {
        let grant: TokenGrant = serde_json::from_str(
            r#"{"access_token":"AT-secret","expires_in":1209599,"refresh_token":"RT-secret",
                "refresh_token_expires_in":7775999,"token_type":"Bearer"}"#,
        )
        .unwrap();
        assert_eq!(grant.expires_in, 1_209_599);
        assert_eq!(grant.refresh_token.expose(), "RT-secret");
        assert!(!format!("{grant:?}").contains("secret"));
    }
}
