//! The Webex OAuth client against the fake: authorize redirect, code exchange, refresh with
//! rotation, an expired access token refreshed and the call retried, rate limits.

use std::time::Duration;

use leakwall_connectors::fake::FakeWebex;
use leakwall_connectors::webex::{authorize_url, TokenGrant, WebexClient};
use leakwall_connectors::{ApiError, Token};

use crate::webex_fake::{client, content_url, one_file, status, COMPLIANCE};

const CLIENT_ID: &str = "client-id";
const REDIRECT: &str = "https://dlp.example.com/oauth/webex/callback";
const ORG: &str = "ORG_C";

fn secret() -> Token {
    Token::new("client-secret")
}

/// A fake with the integration and one pending consent (`code-1`) for `ORG_C`.
async fn integration() -> FakeWebex {
    let fake = FakeWebex::start().await.expect("fake starts");
    fake.set_integration(CLIENT_ID, "client-secret", "APP1");
    fake.add_code("code-1", ORG, COMPLIANCE);
    fake
}

async fn exchange(c: &WebexClient) -> Result<TokenGrant, ApiError> {
    c.exchange_code(CLIENT_ID, &secret(), "code-1", REDIRECT)
        .await
}

#[tokio::test]
async fn authorize_redirects_with_code_and_state_and_binds_the_redirect_uri() {
    let fake = integration().await;
    let url = authorize_url(
        &fake.base_url(),
        CLIENT_ID,
        REDIRECT,
        &["spark-compliance:messages_read", "spark:kms"],
        "signed-state",
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = http.get(&url).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().unwrap();
    assert_eq!(
        location,
        format!("{REDIRECT}?code=code-1&state=signed-state")
    );

    let c = client(&fake);
    let err = c
        .exchange_code(CLIENT_ID, &secret(), "code-1", "https://evil.example/cb")
        .await
        .unwrap_err();
    assert_eq!(status(err), 400, "another redirect_uri is refused");
    let grant = exchange(&c).await.unwrap();
    assert_eq!(grant.expires_in, 14 * 24 * 3600);
    assert_eq!(grant.refresh_token_expires_in, 90 * 24 * 3600);
    assert_eq!(
        status(exchange(&c).await.unwrap_err()),
        400,
        "a code is single-use"
    );
}

#[tokio::test]
async fn bad_client_credentials_are_unauthorized() {
    let fake = integration().await;
    let err = client(&fake)
        .exchange_code(CLIENT_ID, &Token::new("wrong"), "code-1", REDIRECT)
        .await
        .unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert!(!err.to_string().contains("wrong"));
}

#[tokio::test]
async fn refresh_rotates_both_tokens_and_refuses_the_old_refresh_token() {
    let fake = integration().await;
    fake.set_token_lifetimes(Duration::from_secs(60), Duration::from_secs(600));
    let c = client(&fake);
    let first = exchange(&c).await.unwrap();
    assert_eq!(
        (first.expires_in, first.refresh_token_expires_in),
        (60, 600)
    );
    let second = c
        .refresh(CLIENT_ID, &secret(), &first.refresh_token)
        .await
        .unwrap();
    assert_ne!(second.access_token, first.access_token);
    assert_ne!(second.refresh_token, first.refresh_token);
    let err = c
        .refresh(CLIENT_ID, &secret(), &first.refresh_token)
        .await
        .unwrap_err();
    assert_eq!(status(err), 400);
    let third = c
        .refresh(CLIENT_ID, &secret(), &second.refresh_token)
        .await
        .unwrap();
    assert_ne!(third.refresh_token, second.refresh_token);
    let debug = format!("{third:?}");
    assert!(!debug.contains(third.access_token.expose()), "{debug}");
    assert!(!debug.contains(third.refresh_token.expose()), "{debug}");
}

#[tokio::test]
async fn an_expired_token_is_refused_then_refreshed_and_the_call_retried() {
    let fake = integration().await;
    let c = client(&fake);
    let grant = exchange(&c).await.unwrap();
    let posted = one_file(&fake, ORG).await;
    let url = content_url(&fake, &posted.content_ids[0]);
    fake.expire_token(grant.access_token.expose());
    let err = c.hold(&grant.access_token, &url).await.unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert_eq!(fake.file(&posted.content_ids[0]).first_touch, None);

    let fresh = c
        .refresh(CLIENT_ID, &secret(), &grant.refresh_token)
        .await
        .unwrap();
    c.hold(&fresh.access_token, &url).await.unwrap();
    assert!(fake.file(&posted.content_ids[0]).first_touch.is_some());
}

#[tokio::test]
async fn a_rate_limited_refresh_says_when_to_retry() {
    let fake = integration().await;
    let c = client(&fake);
    let grant = exchange(&c).await.unwrap();
    fake.rate_limit("POST", "/v1/access_token", 1, 5);
    let err = c
        .refresh(CLIENT_ID, &secret(), &grant.refresh_token)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ApiError::RateLimited {
            retry_after: Duration::from_secs(5)
        }
    );
    c.refresh(CLIENT_ID, &secret(), &grant.refresh_token)
        .await
        .unwrap();
}
