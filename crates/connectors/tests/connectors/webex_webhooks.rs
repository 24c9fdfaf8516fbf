//! The Webex webhook client against the fake (paging, create, delete, scopes, rate limits)
//! and against the stub (a bounded number of pages, links off the API origin).

use std::time::Duration;

use leakwall_connectors::fake::FakeWebhook;
use leakwall_connectors::webex::webhooks::MAX_PAGES;
use leakwall_connectors::{ApiError, Token};

use crate::webex_client::{answer, stub};
use crate::webex_fake::{client, two_orgs, ORG_A, ORG_B, TOKEN_A};

fn old_webhook(org: &str, n: usize) -> FakeWebhook {
    FakeWebhook {
        id: format!("OLD{n}"),
        name: format!("old {n}"),
        target_url: "https://old.example/hook".into(),
        resource: "messages".into(),
        event: "created".into(),
        secret: None,
        owned_by: "org".into(),
        org_id: org.into(),
        app_id: "APP1".into(),
        status: "active".into(),
    }
}

#[tokio::test]
async fn listing_follows_next_links_over_several_pages() {
    let fake = two_orgs().await;
    for n in 0..250 {
        fake.add_webhook(old_webhook(ORG_A, n));
    }
    fake.add_webhook(old_webhook(ORG_B, 999));
    let listed = client(&fake)
        .list_webhooks(&Token::new(TOKEN_A))
        .await
        .unwrap();
    let ids: Vec<String> = listed.iter().map(|w| w.id.clone()).collect();
    let expected: Vec<String> = (0..250).map(|n| format!("OLD{n}")).collect();
    assert_eq!(ids, expected, "every page, in order, and nothing of org B");
    let pages = fake
        .calls()
        .iter()
        .filter(|c| c.method == "GET" && c.path == "/v1/webhooks")
        .count();
    assert_eq!(pages, 3);
    assert_eq!(listed[0].app_id.as_deref(), Some("APP1"));
    assert_eq!(listed[0].owned_by.as_deref(), Some("org"));
}

#[tokio::test]
async fn create_makes_a_signed_org_webhook_and_delete_removes_it() {
    let fake = two_orgs().await;
    let (c, token) = (client(&fake), Token::new(TOKEN_A));
    let created = c
        .create_webhook(
            &token,
            "leakwall",
            "https://dlp.example.com/webhooks/webex",
            &Token::new("hook-secret"),
        )
        .await
        .unwrap();
    assert_eq!(
        (created.resource.as_str(), created.event.as_str()),
        ("messages", "created")
    );
    assert_eq!(created.owned_by.as_deref(), Some("org"));
    assert_eq!(created.org_id.as_deref(), Some(ORG_A));
    assert_eq!(created.status.as_deref(), Some("active"));
    let kept = fake.webhooks(ORG_A);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].secret.as_deref(), Some("hook-secret"));
    assert_eq!(kept[0].target_url, "https://dlp.example.com/webhooks/webex");
    assert!(fake.webhooks(ORG_B).is_empty());

    c.delete_webhook(&token, &created.id).await.unwrap();
    assert!(fake.webhooks(ORG_A).is_empty());
    c.delete_webhook(&token, &created.id).await.unwrap(); // already gone: 404 is done
}

#[tokio::test]
async fn missing_scopes_are_forbidden() {
    let fake = two_orgs().await;
    let hour = Duration::from_secs(3600);
    fake.add_token(
        ORG_A,
        "read-only",
        &["spark-compliance:webhooks_read"],
        hour,
    );
    fake.add_token(
        ORG_A,
        "no-messages",
        &["spark-compliance:webhooks_write"],
        hour,
    );
    let c = client(&fake);
    for token in ["read-only", "no-messages"] {
        let err = c
            .create_webhook(
                &Token::new(token),
                "leakwall",
                "https://dlp.example.com/hook",
                &Token::new("s"),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, ApiError::Status { status: 403, .. }),
            "{token}: {err:?}"
        );
        assert!(err.permanent());
    }
    assert!(fake.webhooks(ORG_A).is_empty());
}

#[tokio::test]
async fn a_rate_limited_list_says_when_to_retry() {
    let fake = two_orgs().await;
    fake.rate_limit("GET", "/v1/webhooks", 1, 9);
    let c = client(&fake);
    let err = c.list_webhooks(&Token::new(TOKEN_A)).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(9)));
    assert_eq!(c.list_webhooks(&Token::new(TOKEN_A)).await, Ok(vec![]));
}

#[tokio::test]
async fn an_endless_list_stops_after_the_page_limit() {
    let page = r#"{"items":[{"id":"W","name":"n","targetUrl":"https://t","resource":"messages","event":"created"}]}"#;
    let (origin, seen) = stub(answer(
        "200 OK",
        &[r#"link: </v1/webhooks?cursor=again>; rel="next""#],
        page,
    ))
    .await;
    let c = crate::webex_client::client(&origin);
    let listed = c.list_webhooks(&Token::new("t")).await.unwrap();
    assert_eq!(listed.len(), MAX_PAGES);
    assert_eq!(seen.lock().unwrap().len(), MAX_PAGES);
}

#[tokio::test]
async fn a_next_link_off_the_api_origin_is_not_followed() {
    let page = r#"{"items":[]}"#;
    let (origin, seen) = stub(answer(
        "200 OK",
        &[r#"link: <https://evil.example/v1/webhooks>; rel="next""#],
        page,
    ))
    .await;
    let c = crate::webex_client::client(&origin);
    assert_eq!(
        c.list_webhooks(&Token::new("t")).await,
        Err(ApiError::DisallowedUrl)
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}
