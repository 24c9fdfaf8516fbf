//! The Web API client against the fake Slack: Slack's rules and typed errors.

use std::time::Duration;

use leakwall_connectors::fake::{FakeGrant, FakeMessage, FakeToken, TokenKind};
use leakwall_connectors::slack::{OAuthExchange, SlackClientConfig};
use leakwall_connectors::{ApiError, Token};

use crate::util::{add_file, client, workspace, ADMIN, AUTHOR, BOT, CHANNEL, LEAK_TS, MEMBER};

fn api_error(result: Result<impl std::fmt::Debug, ApiError>) -> ApiError {
    result.expect_err("an error")
}

#[tokio::test]
async fn bot_token_cannot_delete_another_users_message() {
    let fake = workspace().await;
    let err = api_error(
        client(&fake)
            .chat_delete(&Token::new(BOT), CHANNEL, LEAK_TS)
            .await,
    );
    assert_eq!(err.api_error(), Some("cant_delete_message"));
    assert!(err.permanent());
    assert!(fake.message(CHANNEL, LEAK_TS).is_some());
    let call = &fake.calls_to("chat.delete")[0];
    assert_eq!(call.token, Some(TokenKind::Bot));
    assert_eq!(call.params["ts"], LEAK_TS);
}

#[tokio::test]
async fn admin_user_token_deletes_it() {
    let fake = workspace().await;
    client(&fake)
        .chat_delete(&Token::new(ADMIN), CHANNEL, LEAK_TS)
        .await
        .unwrap();
    assert!(fake.message(CHANNEL, LEAK_TS).is_none());
    assert_eq!(fake.calls_to("chat.delete")[0].token, Some(TokenKind::User));
}

#[tokio::test]
async fn non_admin_user_token_cannot_delete_someone_elses_message() {
    let fake = workspace().await;
    let err = api_error(
        client(&fake)
            .chat_delete(&Token::new(MEMBER), CHANNEL, LEAK_TS)
            .await,
    );
    assert_eq!(err.api_error(), Some("cant_delete_message"));
}

#[tokio::test]
async fn bot_deletes_its_own_message() {
    let fake = workspace().await;
    let c = client(&fake);
    let posted = c
        .post_message(&Token::new(BOT), CHANNEL, "notice", None)
        .await
        .unwrap();
    c.chat_delete(&Token::new(BOT), CHANNEL, &posted.ts)
        .await
        .unwrap();
    assert!(fake.message(CHANNEL, &posted.ts).is_none());
}

#[tokio::test]
async fn unknown_message_and_channel_are_permanent_errors() {
    let fake = workspace().await;
    let c = client(&fake);
    let err = api_error(c.chat_delete(&Token::new(ADMIN), CHANNEL, "1.000").await);
    assert_eq!(err.api_error(), Some("message_not_found"));
    assert!(err.permanent());
    let err = api_error(c.chat_delete(&Token::new(ADMIN), "C404", LEAK_TS).await);
    assert_eq!(err.api_error(), Some("channel_not_found"));
    assert!(err.permanent());
}

#[tokio::test]
async fn bad_tokens_and_missing_scopes() {
    let fake = workspace().await;
    fake.add_token(FakeToken::bot("xoxb-readonly", "UBOT2", &["files:read"]));
    let c = client(&fake);
    let err = api_error(
        c.chat_delete(&Token::new("xoxb-unknown"), CHANNEL, LEAK_TS)
            .await,
    );
    assert_eq!(err.api_error(), Some("invalid_auth"));
    let err = api_error(
        c.post_message(&Token::new("xoxb-readonly"), CHANNEL, "x", None)
            .await,
    );
    let ApiError::Api { error, needed, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (error.as_str(), needed.as_deref()),
        ("missing_scope", Some("chat:write"))
    );
    assert!(err.permanent());
    assert_eq!(
        fake.calls_to("chat.postMessage")[0].token,
        Some(TokenKind::Bot)
    );
}

#[tokio::test]
async fn notice_is_posted_in_the_thread() {
    let fake = workspace().await;
    let posted = client(&fake)
        .post_message(
            &Token::new(BOT),
            CHANNEL,
            "blocked by Leakwall",
            Some(LEAK_TS),
        )
        .await
        .unwrap();
    assert_eq!(posted.channel, CHANNEL);
    let stored = fake.message(CHANNEL, &posted.ts).unwrap();
    assert_eq!(stored.thread_ts.as_deref(), Some(LEAK_TS));
    assert_eq!(stored.user, "UBOT");
    assert_eq!(stored.text, "blocked by Leakwall");
}

#[tokio::test]
async fn rate_limit_gives_the_retry_after_seconds() {
    let fake = workspace().await;
    fake.rate_limit("chat.postMessage", 1, 42);
    let c = client(&fake);
    let err = api_error(c.post_message(&Token::new(BOT), CHANNEL, "x", None).await);
    assert_eq!(
        err,
        ApiError::RateLimited {
            retry_after: Duration::from_secs(42)
        }
    );
    assert!(!err.permanent());
    assert!(c
        .post_message(&Token::new(BOT), CHANNEL, "x", None)
        .await
        .is_ok());
}

#[tokio::test]
async fn ephemeral_and_direct_message() {
    let fake = workspace().await;
    fake.add_token(FakeToken::bot(
        "xoxb-im",
        "UBOT3",
        &["chat:write", "im:write"],
    ));
    let c = client(&fake);
    c.post_ephemeral(&Token::new(BOT), CHANNEL, AUTHOR, "only you", Some(LEAK_TS))
        .await
        .unwrap();
    let call = &fake.calls_to("chat.postEphemeral")[0];
    assert_eq!(
        (
            call.params["user"].as_str(),
            call.params["thread_ts"].as_str()
        ),
        (AUTHOR, LEAK_TS)
    );
    let err = api_error(c.open_dm(&Token::new(BOT), AUTHOR).await);
    assert_eq!(err.api_error(), Some("missing_scope"));
    let dm = c.open_dm(&Token::new("xoxb-im"), AUTHOR).await.unwrap();
    c.post_message(&Token::new("xoxb-im"), &dm, "you leaked", None)
        .await
        .unwrap();
    assert_eq!(fake.messages(&dm).len(), 1);
}

#[tokio::test]
async fn files_info_and_download_within_the_limit() {
    let fake = workspace().await;
    let url = add_file(&fake, "F1", 1000);
    let c = client(&fake);
    let info = c.files_info(&Token::new(BOT), "F1").await.unwrap();
    assert_eq!(
        (info.size, info.url_private_download.as_deref()),
        (Some(1000), Some(url.as_str()))
    );
    assert_eq!(info.user.as_deref(), Some(AUTHOR));
    let bytes = c.download(&Token::new(BOT), &url, 1000).await.unwrap();
    assert_eq!(bytes.len(), 1000);
    let err = api_error(c.files_info(&Token::new(BOT), "F404").await);
    assert_eq!(err.api_error(), Some("file_not_found"));
}

#[tokio::test]
async fn download_over_the_limit_is_a_typed_error() {
    let fake = workspace().await;
    let url = add_file(&fake, "F1", 1001);
    let err = api_error(client(&fake).download(&Token::new(BOT), &url, 1000).await);
    assert_eq!(err, ApiError::TooLarge { limit: 1000 });
    assert!(err.permanent());
}

#[tokio::test]
async fn streamed_download_over_the_limit_stops_at_the_limit() {
    let fake = workspace().await;
    fake.set_chunked_downloads(true);
    let big = add_file(&fake, "F1", 4 * 1024 * 1024);
    let small = add_file(&fake, "F2", 100 * 1024);
    let c = client(&fake);
    let err = api_error(c.download(&Token::new(BOT), &big, 64 * 1024).await);
    assert_eq!(err, ApiError::TooLarge { limit: 64 * 1024 });
    let bytes = c
        .download(&Token::new(BOT), &small, 100 * 1024)
        .await
        .unwrap();
    assert_eq!(bytes.len(), 100 * 1024);
    let err = api_error(c.download(&Token::new(BOT), &small, 100 * 1024 - 1).await);
    assert_eq!(
        err,
        ApiError::TooLarge {
            limit: 100 * 1024 - 1
        }
    );
}

#[tokio::test]
async fn download_without_files_read_gets_the_login_page() {
    let fake = workspace().await;
    let url = add_file(&fake, "F1", 10);
    let err = api_error(client(&fake).download(&Token::new(ADMIN), &url, 1000).await);
    assert_eq!(err, ApiError::NotAFile);
    let err = api_error(
        client(&fake)
            .download(&Token::new("xoxb-nobody"), &url, 1000)
            .await,
    );
    assert_eq!(err, ApiError::NotAFile);
}

#[tokio::test]
async fn the_token_is_never_sent_to_another_host() {
    let fake = workspace().await;
    add_file(&fake, "F1", 10);
    let c = client(&fake);
    for url in [
        "https://evil.example/files/F1/report.txt",
        "not a url",
        "http://127.0.0.1:1/x",
    ] {
        assert_eq!(
            api_error(c.download(&Token::new(BOT), url, 100).await),
            ApiError::DisallowedUrl
        );
    }
    assert!(fake.calls_to("files.download").is_empty());
}

#[tokio::test]
async fn bot_cannot_delete_another_users_file_admin_can() {
    let fake = workspace().await;
    fake.add_token(FakeToken::bot("xoxb-fw", "UBOT", &["files:write"]));
    add_file(&fake, "F1", 10);
    let c = client(&fake);
    let err = api_error(c.files_delete(&Token::new("xoxb-fw"), "F1").await);
    assert_eq!(err.api_error(), Some("cant_delete_file"));
    c.files_delete(&Token::new(ADMIN), "F1").await.unwrap();
    assert!(!fake.has_file("F1"));
}

fn grant() -> FakeGrant {
    FakeGrant {
        redirect_uri: "https://leakwall.example/oauth/slack/callback".into(),
        team_id: "T9".into(),
        team_name: "Acme".into(),
        bot: FakeToken::bot("xoxb-new", "UB9", &["chat:write", "files:read"]),
        user: Some(FakeToken::user("xoxp-new", "UADMIN9", &["chat:write", "files:write"]).admin()),
    }
}

fn exchange(secret: &str) -> OAuthExchange {
    OAuthExchange {
        client_id: "111.222".into(),
        client_secret: Token::new(secret),
        code: "code-1".into(),
        redirect_uri: "https://leakwall.example/oauth/slack/callback".into(),
    }
}

#[tokio::test]
async fn oauth_exchange_returns_bot_and_user_tokens() {
    let fake = workspace().await;
    fake.set_oauth_client("111.222", "shh");
    fake.add_oauth_code("code-1", grant());
    let c = client(&fake);
    assert_eq!(
        api_error(c.oauth_access(&exchange("wrong")).await).api_error(),
        Some("bad_client_secret")
    );
    let install = c.oauth_access(&exchange("shh")).await.unwrap();
    assert_eq!(
        (install.team_id.as_str(), install.team_name.as_deref()),
        ("T9", Some("Acme"))
    );
    let bot = install.bot.unwrap();
    assert_eq!(bot.token.expose(), "xoxb-new");
    assert_eq!(bot.scopes, ["chat:write", "files:read"]);
    assert_eq!(bot.user_id.as_deref(), Some("UB9"));
    let user = install.user.unwrap();
    assert_eq!(
        (user.token.expose(), user.user_id.as_deref()),
        ("xoxp-new", Some("UADMIN9"))
    );
    assert!(!format!("{user:?}").contains("xoxp-new"));
    // The granted user token works; the code is single-use.
    fake.add_message(FakeMessage::new(CHANNEL, "5.5", AUTHOR, "x"));
    c.chat_delete(&user.token, CHANNEL, "5.5").await.unwrap();
    assert_eq!(
        api_error(c.oauth_access(&exchange("shh")).await).api_error(),
        Some("invalid_code")
    );
}

#[test]
fn a_bad_base_url_is_a_config_error() {
    let config = SlackClientConfig {
        api_base: "not a url".into(),
        ..SlackClientConfig::default()
    };
    assert!(matches!(config.build(), Err(ApiError::Config(_))));
}
