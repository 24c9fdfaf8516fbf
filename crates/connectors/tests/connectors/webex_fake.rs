//! The fake Webex's own rules (spec §6): the hold and its timers, the verdict, signed
//! deliveries, organizations kept apart, tokens and scopes, `Trackingid`.

use std::time::Duration;

use leakwall_connectors::fake::webex::FakeFile;
use leakwall_connectors::fake::{FakePost, FakeWebex, FakeWebhook, Posted};
use leakwall_connectors::webex::{Verdict, WebexClient, WebexVerifier};
use leakwall_connectors::{ApiError, Token, WebhookVerifier};

use crate::webex_client::{answer, stub};

pub const ORG_A: &str = "ORG_A";
pub const ORG_B: &str = "ORG_B";
pub const TOKEN_A: &str = "token-a";
pub const TOKEN_B: &str = "token-b";
pub const COMPLIANCE: &[&str] = &[
    "spark-compliance:messages_read",
    "spark-compliance:messages_write",
    "spark-compliance:webhooks_read",
    "spark-compliance:webhooks_write",
    "spark:messages_write",
];
const HOUR: Duration = Duration::from_secs(3600);

/// A fake with two orgs, each with a compliance officer's token.
pub async fn two_orgs() -> FakeWebex {
    let fake = FakeWebex::start().await.expect("fake starts");
    fake.set_integration("client-id", "client-secret", "APP1");
    for (org, token) in [(ORG_A, TOKEN_A), (ORG_B, TOKEN_B)] {
        fake.add_org(org);
        fake.add_token(org, token, COMPLIANCE, HOUR);
    }
    fake
}

pub fn client(fake: &FakeWebex) -> WebexClient {
    fake.client_config().build().expect("client builds")
}

pub fn post(org: &str, files: &[(&str, &str, &[u8])]) -> FakePost {
    FakePost {
        org_id: org.into(),
        room_id: "ROOM1".into(),
        room_type: "group".into(),
        person_id: "PERSON1".into(),
        person_email: "alice@example.com".into(),
        text: Some("see attached".into()),
        files: files
            .iter()
            .map(|(name, content_type, bytes)| FakeFile {
                name: (*name).into(),
                content_type: (*content_type).into(),
                bytes: bytes.to_vec(),
            })
            .collect(),
    }
}

/// Posts one small text file in `org`.
pub async fn one_file(fake: &FakeWebex, org: &str) -> Posted {
    fake.post_file(post(org, &[("a.txt", "text/plain", b"x")]))
        .await
}

/// The content URL of a posted file, as the delivery would carry it.
pub fn content_url(fake: &FakeWebex, id: &str) -> String {
    format!("{}/v1/contents/{id}?allow=dlpEvaluating", fake.base_url())
}

/// The HTTP status of a refused call (401 for `Unauthorized`).
pub fn status(err: ApiError) -> u16 {
    match err {
        ApiError::Status { status, .. } => status,
        ApiError::Unauthorized { .. } => 401,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn first_touch_is_recorded_only_with_dlp_unchecked() {
    let fake = two_orgs().await;
    let posted = fake
        .post_file(post(ORG_A, &[("a.pdf", "application/pdf", b"%PDF-1.7 x")]))
        .await;
    let id = &posted.content_ids[0];
    let plain = reqwest::Client::new()
        .get(content_url(&fake, id))
        .bearer_auth(TOKEN_A)
        .send()
        .await
        .unwrap();
    assert_eq!(
        plain.status(),
        423,
        "a held file is not served without the hold"
    );
    assert_eq!(fake.file(id).first_touch, None);
    assert_eq!(fake.file(id).touches, 0);

    let info = client(&fake)
        .hold(&Token::new(TOKEN_A), &content_url(&fake, id))
        .await
        .unwrap();
    assert_eq!(info.content_type.as_deref(), Some("application/pdf"));
    assert_eq!(info.length, Some(10));
    assert_eq!(info.filename.as_deref(), Some("a.pdf"));
    let bytes = client(&fake)
        .download(&Token::new(TOKEN_A), &content_url(&fake, id), 1024)
        .await
        .unwrap();
    assert_eq!(bytes, b"%PDF-1.7 x");
    let state = fake.file(id);
    assert!(state
        .first_touch
        .is_some_and(|t| t < Duration::from_secs(5)));
    assert_eq!(state.touches, 2);
    assert!(!state.unscanned);
}

#[tokio::test]
async fn an_untouched_file_is_posted_unscanned_and_takes_no_verdict() {
    let fake = two_orgs().await;
    fake.set_unscanned_after(Duration::from_millis(150));
    let posted = one_file(&fake, ORG_A).await;
    let id = &posted.content_ids[0];
    assert!(!fake.file(id).unscanned, "not before the timer");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(fake.file(id).unscanned);
    let err = client(&fake)
        .verdict(
            &Token::new(TOKEN_A),
            &content_url(&fake, id),
            Verdict::Reject,
        )
        .await
        .unwrap_err();
    assert_eq!(status(err), 409);
    assert_eq!(fake.file(id).verdict, None);
}

#[tokio::test]
async fn the_verdict_is_recorded_once_with_its_time() {
    let fake = two_orgs().await;
    let posted = one_file(&fake, ORG_A).await;
    let (c, token) = (client(&fake), Token::new(TOKEN_A));
    let url = content_url(&fake, &posted.content_ids[0]);
    c.hold(&token, &url).await.unwrap();
    c.verdict(&token, &url, Verdict::Approve).await.unwrap();
    let state = fake.file(&posted.content_ids[0]);
    assert_eq!(state.verdict, Some(Verdict::Approve));
    assert!(state.verdict_after.unwrap() >= state.first_touch.unwrap());
    c.verdict(&token, &url, Verdict::Approve).await.unwrap();
    let err = c.verdict(&token, &url, Verdict::Reject).await.unwrap_err();
    assert_eq!(status(err), 409);
    assert_eq!(fake.file(&posted.content_ids[0]), state, "unchanged");
    let puts = fake.calls().iter().filter(|c| c.method == "PUT").count();
    assert_eq!(puts, 3);
}

#[tokio::test]
async fn a_verdict_after_the_decision_deadline_is_refused() {
    let fake = two_orgs().await;
    fake.set_decision_deadline(Duration::from_millis(100));
    let posted = one_file(&fake, ORG_A).await;
    let (c, token) = (client(&fake), Token::new(TOKEN_A));
    let url = content_url(&fake, &posted.content_ids[0]);
    c.hold(&token, &url).await.unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(fake.file(&posted.content_ids[0]).decision_missed);
    let err = c.verdict(&token, &url, Verdict::Approve).await.unwrap_err();
    assert_eq!(status(err), 409);
    assert_eq!(fake.file(&posted.content_ids[0]).verdict, None);
}

#[tokio::test]
async fn a_rejected_file_is_not_served_and_an_approved_one_is() {
    let fake = two_orgs().await;
    let posted = fake
        .post_file(post(
            ORG_A,
            &[("a.txt", "text/plain", b"a"), ("b.txt", "text/plain", b"b")],
        ))
        .await;
    let (c, token) = (client(&fake), Token::new(TOKEN_A));
    let http = reqwest::Client::new();
    for (id, verdict, expected) in [
        (&posted.content_ids[0], Verdict::Approve, 200),
        (&posted.content_ids[1], Verdict::Reject, 403),
    ] {
        let url = content_url(&fake, id);
        c.hold(&token, &url).await.unwrap();
        c.verdict(&token, &url, verdict).await.unwrap();
        let plain = http.get(&url).bearer_auth(TOKEN_A).send().await.unwrap();
        assert_eq!(plain.status(), expected, "{verdict:?}");
    }
}

fn webhook(org: &str, id: &str, target: &str, secret: &str) -> FakeWebhook {
    FakeWebhook {
        id: id.into(),
        name: "leakwall".into(),
        target_url: target.into(),
        resource: "messages".into(),
        event: "created".into(),
        secret: Some(secret.into()),
        owned_by: "org".into(),
        org_id: org.into(),
        app_id: "APP1".into(),
        status: "active".into(),
    }
}

#[tokio::test]
async fn deliveries_are_signed_and_go_only_to_the_orgs_webhooks() {
    let fake = two_orgs().await;
    let (target_a, seen_a) = stub(answer("200 OK", &[], "")).await;
    let (target_b, seen_b) = stub(answer("200 OK", &[], "")).await;
    fake.add_webhook(webhook(
        ORG_A,
        "WH_A",
        &format!("{target_a}/hook"),
        "secret-a",
    ));
    fake.add_webhook(webhook(
        ORG_B,
        "WH_B",
        &format!("{target_b}/hook"),
        "secret-b",
    ));
    let posted = one_file(&fake, ORG_A).await;
    assert_eq!(posted.deliveries, [(format!("{target_a}/hook"), Ok(200))]);
    assert_eq!(seen_a.lock().unwrap().len(), 1);
    assert!(
        seen_b.lock().unwrap().is_empty(),
        "org B hears nothing of org A"
    );

    let delivery = fake.delivery(ORG_A, &posted.message_id).unwrap();
    let mut headers = http::HeaderMap::new();
    for (name, value) in &delivery.headers {
        headers.insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let now = std::time::SystemTime::now();
    let right = WebexVerifier::new(Token::new("secret-a"));
    let wrong = WebexVerifier::new(Token::new("secret-b"));
    assert_eq!(right.verify(&headers, &delivery.body, now), Ok(()));
    assert!(wrong.verify(&headers, &delivery.body, now).is_err());

    let body: serde_json::Value = serde_json::from_slice(&delivery.body).unwrap();
    assert_eq!(body["orgId"], ORG_A);
    assert_eq!(body["data"]["id"], posted.message_id.as_str());
    assert_eq!(
        body["data"]["files"][0],
        content_url(&fake, &posted.content_ids[0]).as_str()
    );
    assert_eq!(fake.send_delivery(&delivery).await, Ok(200), "replayable");
}

#[tokio::test]
async fn a_token_of_one_org_finds_nothing_of_another() {
    let fake = two_orgs().await;
    let posted = one_file(&fake, ORG_B).await;
    let (c, token_a) = (client(&fake), Token::new(TOKEN_A));
    let url = content_url(&fake, &posted.content_ids[0]);
    assert_eq!(status(c.hold(&token_a, &url).await.unwrap_err()), 404);
    let err = c
        .verdict(&token_a, &url, Verdict::Reject)
        .await
        .unwrap_err();
    assert_eq!(status(err), 404);
    let err = c.message(&token_a, &posted.message_id).await.unwrap_err();
    assert_eq!(status(err), 404);
    c.delete_message(&token_a, &posted.message_id)
        .await
        .unwrap(); // 404 counts as gone
    assert!(
        fake.has_message(&posted.message_id),
        "org B's message is untouched"
    );
    assert_eq!(fake.file(&posted.content_ids[0]).touches, 0);

    let message = c
        .message(&Token::new(TOKEN_B), &posted.message_id)
        .await
        .unwrap();
    assert_eq!(message.text.unwrap().as_str(), "see attached");
    assert_eq!(message.files, [url]);
}

#[tokio::test]
async fn tokens_and_scopes_are_checked_and_every_answer_is_tracked() {
    let fake = two_orgs().await;
    fake.add_token(
        ORG_A,
        "read-only",
        &["spark-compliance:messages_read"],
        HOUR,
    );
    let posted = one_file(&fake, ORG_A).await;
    let c = client(&fake);
    let url = content_url(&fake, &posted.content_ids[0]);
    let err = c
        .verdict(&Token::new("read-only"), &url, Verdict::Approve)
        .await
        .unwrap_err();
    assert_eq!(status(err), 403);
    let err = c.hold(&Token::new("unknown"), &url).await.unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert!(err.to_string().contains("FAKE_WEBEX_"), "{err}");
    fake.expire_token(TOKEN_A);
    assert!(c
        .hold(&Token::new(TOKEN_A), &url)
        .await
        .unwrap_err()
        .is_unauthorized());

    let bare = reqwest::Client::new().get(&url).send().await.unwrap();
    assert_eq!(bare.status(), 401);
    assert!(bare.headers().contains_key("trackingid"));
    let body: serde_json::Value = bare.json().await.unwrap();
    assert!(body["message"].is_string() && body["trackingId"].is_string());
    let statuses: Vec<u16> = fake.calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, [403, 401, 401, 401]);
}

#[tokio::test]
async fn rate_limits_answer_429_the_given_number_of_times() {
    let fake = two_orgs().await;
    let posted = one_file(&fake, ORG_A).await;
    fake.rate_limit("PUT", "/v1/contents/", 1, 3);
    let (c, token) = (client(&fake), Token::new(TOKEN_A));
    let url = content_url(&fake, &posted.content_ids[0]);
    c.hold(&token, &url).await.unwrap();
    let err = c.verdict(&token, &url, Verdict::Approve).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
    assert_eq!(fake.file(&posted.content_ids[0]).verdict, None);
    c.verdict(&token, &url, Verdict::Approve).await.unwrap();
    assert_eq!(
        fake.file(&posted.content_ids[0]).verdict,
        Some(Verdict::Approve)
    );
}

#[tokio::test]
async fn posted_and_deleted_messages_are_recorded() {
    let fake = two_orgs().await;
    let posted = fake.post_file(post(ORG_A, &[])).await;
    let (c, token) = (client(&fake), Token::new(TOKEN_A));
    c.delete_message(&token, &posted.message_id).await.unwrap();
    assert_eq!(fake.messages_deleted(), vec![posted.message_id.clone()]);
    assert!(!fake.has_message(&posted.message_id));
    let id = c
        .post_message(
            &token,
            leakwall_connectors::webex::Recipient::Person("PERSON1"),
            "your file was blocked",
        )
        .await
        .unwrap();
    assert!(fake.has_message(&id));
    assert_eq!(
        fake.messages_posted(),
        [("PERSON1".to_owned(), "your file was blocked".to_owned())]
    );
}

#[tokio::test]
async fn odd_requests_get_webex_errors_not_a_crash() {
    let fake = two_orgs().await;
    let http = reqwest::Client::new();
    let base = fake.base_url();
    let huge = vec![b'x'; 1024 * 1024 + 1]; // one byte over the limit: nothing left unread
    let cases = [
        (http.post(format!("{base}/v1/webhooks")).body(huge), 413),
        (
            http.post(format!("{base}/v1/webhooks")).body("not json"),
            400,
        ),
        (http.get(format!("{base}/v1/webhooks?cursor=-1")), 400),
        (http.get(format!("{base}/v1/webhooks?max=0")), 400),
        (http.get(format!("{base}/v1/contents/a/b")), 404),
        (http.get(format!("{base}/v1/contents/")), 404),
        (http.patch(format!("{base}/v1/messages/M1")), 405),
        (http.get(format!("{base}/v2/anything")), 404),
    ];
    for (request, expected) in cases {
        let answer = request.bearer_auth(TOKEN_A).send().await.unwrap();
        assert_eq!(answer.status(), expected, "{}", answer.url());
    }
    let after = http.get(format!("{base}/v1/webhooks")).bearer_auth(TOKEN_A);
    assert_eq!(after.send().await.unwrap().status(), 200, "still serving");
}
