//! The Slack connector carrying out decisions against the fake Slack.

use leakwall_connectors::fake::{FakeMessage, TokenKind};
use leakwall_connectors::slack::{SlackConnector, SlackTokens};
use leakwall_connectors::{
    Action, ApiError, Author, Connector, ConversationKind, FileRef, Job, JobKind, Location,
    MessageText, Notice, Outcome, Platform, ScanTarget, Token, Trigger,
};

use crate::util::{add_file, client, workspace, ADMIN, AUTHOR, BOT, CHANNEL, LEAK_TS, MEMBER};

fn connector(fake: &leakwall_connectors::fake::FakeSlack, user: Option<&str>) -> SlackConnector {
    let tokens = SlackTokens {
        bot: Token::new(BOT),
        user: user.map(Token::new),
    };
    SlackConnector::new(client(fake), tokens)
}

fn target(ts: Option<&str>, thread: Option<&str>, files: Vec<FileRef>) -> ScanTarget {
    ScanTarget {
        location: Location {
            conversation: CHANNEL.into(),
            conversation_kind: ConversationKind::Public,
            message: ts.map(str::to_owned),
            thread: thread.map(str::to_owned),
        },
        author: Author {
            user: Some(AUTHOR.into()),
            bot: None,
        },
        trigger: Trigger::Message,
        text: Some(MessageText::new("card 4111 1111 1111 1111")),
        files,
    }
}

fn scan_job(target: ScanTarget) -> Job {
    Job {
        platform: Platform::Slack,
        tenant: "T1".into(),
        event_id: "Ev1".into(),
        event_time: 1_700_000_000,
        kind: JobKind::Scan(target),
    }
}

fn block() -> Action {
    Action::Block { notice: notice() }
}

fn notice() -> Notice {
    Notice {
        public: "A message from <@UAUTHOR> was blocked by Leakwall: it contained a payment card"
            .into(),
        private: "Your message contained a payment card number and was removed.".into(),
    }
}

fn file(id: &str) -> FileRef {
    FileRef {
        id: id.into(),
        name: None,
        mimetype: None,
        size: None,
        url: None,
    }
}

#[tokio::test]
async fn block_deletes_with_the_user_token_and_posts_the_notices() {
    let fake = workspace().await;
    let job = scan_job(target(Some(LEAK_TS), None, vec![]));
    let outcome = connector(&fake, Some(ADMIN)).act(&job, &block()).await;
    assert_eq!(
        outcome,
        Outcome::Done {
            removed: true,
            notified: true
        }
    );
    assert!(fake.message(CHANNEL, LEAK_TS).is_none());
    assert_eq!(fake.calls_to("chat.delete")[0].token, Some(TokenKind::User));
    let notices = fake.messages(CHANNEL);
    assert_eq!(notices.len(), 1);
    assert!(notices[0].text.contains("blocked by Leakwall"));
    assert_eq!(notices[0].user, "UBOT");
    let private = &fake.calls_to("chat.postEphemeral")[0];
    assert_eq!(
        (private.params["user"].as_str(), private.token),
        (AUTHOR, Some(TokenKind::Bot))
    );
    assert!(!private.params.contains_key("thread_ts"));
}

#[tokio::test]
async fn block_of_a_thread_reply_posts_the_notice_in_the_thread() {
    let fake = workspace().await;
    fake.add_message(
        FakeMessage::new(CHANNEL, "1700000001.000001", AUTHOR, "reply").in_thread(LEAK_TS),
    );
    let job = scan_job(target(Some("1700000001.000001"), Some(LEAK_TS), vec![]));
    let outcome = connector(&fake, Some(ADMIN)).act(&job, &block()).await;
    assert_eq!(
        outcome,
        Outcome::Done {
            removed: true,
            notified: true
        }
    );
    let notice = fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.user == "UBOT")
        .unwrap();
    assert_eq!(notice.thread_ts.as_deref(), Some(LEAK_TS));
    assert_eq!(
        fake.calls_to("chat.postEphemeral")[0].params["thread_ts"],
        LEAK_TS
    );
}

#[tokio::test]
async fn without_a_user_token_block_falls_back_to_notices() {
    let fake = workspace().await;
    let job = scan_job(target(Some(LEAK_TS), None, vec![]));
    let outcome = connector(&fake, None).act(&job, &block()).await;
    assert_eq!(
        outcome,
        Outcome::NotifiedOnly {
            reason: "no user token installed".into()
        }
    );
    assert!(fake.message(CHANNEL, LEAK_TS).is_some());
    assert!(fake.calls_to("chat.delete").is_empty());
    assert_eq!(fake.calls_to("chat.postMessage").len(), 1);
}

#[tokio::test]
async fn a_refused_deletion_is_recorded_and_the_notices_still_go_out() {
    let fake = workspace().await;
    let job = scan_job(target(Some(LEAK_TS), None, vec![]));
    let outcome = connector(&fake, Some(MEMBER)).act(&job, &block()).await;
    assert_eq!(
        outcome,
        Outcome::NotifiedOnly {
            reason: "chat.delete: cant_delete_message".into()
        }
    );
    assert!(fake.message(CHANNEL, LEAK_TS).is_some());
    assert_eq!(fake.calls_to("chat.postMessage").len(), 1);
}

#[tokio::test]
async fn rate_limited_deletion_reschedules_and_the_retry_completes() {
    let fake = workspace().await;
    fake.rate_limit("chat.delete", 1, 30);
    let job = scan_job(target(Some(LEAK_TS), None, vec![]));
    let c = connector(&fake, Some(ADMIN));
    let first = c.act(&job, &block()).await;
    assert_eq!(
        first,
        Outcome::RateLimited {
            retry_after_secs: 30
        }
    );
    assert_eq!(
        first.retry_after(),
        Some(std::time::Duration::from_secs(30))
    );
    assert!(!first.is_final());
    assert!(fake.calls_to("chat.postMessage").is_empty());
    assert_eq!(
        c.act(&job, &block()).await,
        Outcome::Done {
            removed: true,
            notified: true
        }
    );
}

#[tokio::test]
async fn a_retry_after_the_deletion_counts_the_message_as_removed() {
    let fake = workspace().await;
    fake.rate_limit("chat.postMessage", 1, 5);
    let job = scan_job(target(Some(LEAK_TS), None, vec![]));
    let c = connector(&fake, Some(ADMIN));
    assert_eq!(
        c.act(&job, &block()).await,
        Outcome::RateLimited {
            retry_after_secs: 5
        }
    );
    assert!(fake.message(CHANNEL, LEAK_TS).is_none());
    // Second delivery: chat.delete answers message_not_found, which is success here.
    assert_eq!(
        c.act(&job, &block()).await,
        Outcome::Done {
            removed: true,
            notified: true
        }
    );
}

#[tokio::test]
async fn block_of_a_shared_file_deletes_the_file() {
    let fake = workspace().await;
    add_file(&fake, "F1", 10);
    let job = scan_job(target(None, None, vec![file("F1")]));
    let outcome = connector(&fake, Some(ADMIN)).act(&job, &block()).await;
    assert_eq!(
        outcome,
        Outcome::Done {
            removed: true,
            notified: true
        }
    );
    assert!(!fake.has_file("F1"));
    assert!(fake.calls_to("chat.delete").is_empty());
}

#[tokio::test]
async fn warn_keeps_the_message_and_replies_in_its_thread() {
    let fake = workspace().await;
    let job = scan_job(target(Some(LEAK_TS), None, vec![]));
    let outcome = connector(&fake, Some(ADMIN))
        .act(&job, &Action::Warn { notice: notice() })
        .await;
    assert_eq!(
        outcome,
        Outcome::Done {
            removed: false,
            notified: true
        }
    );
    assert!(fake.message(CHANNEL, LEAK_TS).is_some());
    assert!(fake.calls_to("chat.delete").is_empty());
    let reply = fake
        .messages(CHANNEL)
        .into_iter()
        .find(|m| m.user == "UBOT")
        .unwrap();
    assert_eq!(reply.thread_ts.as_deref(), Some(LEAK_TS));
}

#[tokio::test]
async fn allow_and_close_jobs_call_nothing() {
    let fake = workspace().await;
    let c = connector(&fake, Some(ADMIN));
    let job = scan_job(target(Some(LEAK_TS), None, vec![]));
    assert_eq!(
        c.act(&job, &Action::Allow).await,
        Outcome::Done {
            removed: false,
            notified: false
        }
    );
    let close = Job {
        kind: JobKind::Close(target(Some(LEAK_TS), None, vec![]).location),
        ..job
    };
    assert_eq!(
        c.act(&close, &block()).await,
        Outcome::Done {
            removed: false,
            notified: false
        }
    );
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn fetch_looks_the_file_up_and_downloads_it_with_the_bot_token() {
    let fake = workspace().await;
    add_file(&fake, "F1", 500);
    let bytes = connector(&fake, None)
        .fetch(&file("F1"), 1000)
        .await
        .unwrap();
    assert_eq!(bytes.len(), 500);
    let methods: Vec<_> = fake
        .calls()
        .into_iter()
        .map(|c| (c.method, c.token))
        .collect();
    assert_eq!(
        methods,
        [
            ("files.info".to_owned(), Some(TokenKind::Bot)),
            ("files.download".to_owned(), Some(TokenKind::Bot))
        ]
    );
}

#[tokio::test]
async fn fetch_refuses_a_file_declared_too_large_without_downloading() {
    let fake = workspace().await;
    add_file(&fake, "F1", 5000);
    let err = connector(&fake, None)
        .fetch(&file("F1"), 1000)
        .await
        .unwrap_err();
    assert_eq!(err, ApiError::TooLarge { limit: 1000 });
    assert!(fake.calls_to("files.download").is_empty());
}

#[tokio::test]
async fn the_connector_works_as_a_trait_object() {
    let fake = workspace().await;
    let c: Box<dyn Connector> = Box::new(connector(&fake, Some(ADMIN)));
    let job = scan_job(target(Some(LEAK_TS), None, vec![]));
    assert_eq!(
        c.act(&job, &block()).await,
        Outcome::Done {
            removed: true,
            notified: true
        }
    );
}
