//! Events API envelopes and inner events → jobs (or the reason there is none).

use leakwall_connectors::slack::{Delivery, EventParser, Handling, Ignored};
use leakwall_connectors::{
    ConversationKind, Job, JobKind, ParseError, Platform, ScanTarget, Trigger,
};
use serde_json::json;

use crate::util::{envelope, APP, BOT_USER};

fn parse(body: &[u8]) -> Delivery {
    EventParser::default().parse(body).expect("parses")
}

fn handling(event: serde_json::Value) -> Handling {
    match parse(&envelope(event)) {
        Delivery::Callback(callback) => callback.handling,
        other => panic!("not a callback: {other:?}"),
    }
}

fn job(event: serde_json::Value) -> Job {
    match handling(event) {
        Handling::Job(job) => job,
        Handling::Ignored(why) => panic!("ignored: {why:?}"),
    }
}

fn scan(event: serde_json::Value) -> ScanTarget {
    match job(event).kind {
        JobKind::Scan(target) => target,
        other => panic!("not a scan: {other:?}"),
    }
}

fn ignored(event: serde_json::Value) -> Ignored {
    match handling(event) {
        Handling::Ignored(why) => why,
        Handling::Job(job) => panic!("not ignored: {job:?}"),
    }
}

fn message(extra: serde_json::Value) -> serde_json::Value {
    let mut m = json!({
        "type": "message", "channel": "C1", "user": "U1", "text": "my key AKIA…",
        "ts": "1700000000.000100", "event_ts": "1700000000.000100", "channel_type": "channel",
    });
    for (k, v) in extra.as_object().unwrap() {
        m[k] = v.clone();
    }
    m
}

#[test]
fn url_verification_returns_the_challenge() {
    let body = json!({"token": "t", "challenge": "3eZbrw1aB", "type": "url_verification"});
    assert_eq!(
        parse(body.to_string().as_bytes()),
        Delivery::UrlVerification {
            challenge: "3eZbrw1aB".into()
        }
    );
}

#[test]
fn app_rate_limited_is_reported() {
    let body = json!({"token": "t", "type": "app_rate_limited", "team_id": "T1",
                      "minute_rate_limited": 1_518_467_820, "api_app_id": APP});
    assert_eq!(
        parse(body.to_string().as_bytes()),
        Delivery::AppRateLimited {
            team_id: "T1".into(),
            api_app_id: APP.into(),
            minute_rate_limited: 1_518_467_820
        }
    );
}

#[test]
fn unknown_outer_type_is_unsupported_not_an_error() {
    let body = json!({"type": "block_actions", "whatever": [1, 2]});
    assert_eq!(
        parse(body.to_string().as_bytes()),
        Delivery::Unsupported {
            kind: "block_actions".into()
        }
    );
}

#[test]
fn envelope_fields_are_read() {
    let Delivery::Callback(callback) = parse(&envelope(message(json!({})))) else {
        panic!()
    };
    assert_eq!(callback.team_id, "T1");
    assert_eq!(callback.api_app_id, APP);
    assert_eq!(callback.event_id, "Ev1");
    assert_eq!(callback.event_time, 1_700_000_000);
    assert_eq!(callback.authorizations.len(), 1);
    assert!(callback.authorizations[0].is_bot);
}

#[test]
fn body_over_the_limit_is_refused_before_parsing() {
    let parser = EventParser::new(64);
    let body = vec![b'{'; 65]; // not even JSON: the size check comes first
    assert_eq!(
        parser.parse(&body),
        Err(ParseError::TooLarge { len: 65, limit: 64 })
    );
    assert!(parser.parse(b"{\"type\":\"x\"}").is_ok());
}

#[test]
fn malformed_bodies_are_errors_without_the_input() {
    for body in [
        &b"not json"[..],
        b"{}",
        b"[]",
        b"{\"type\":\"event_callback\"}",
    ] {
        let err = EventParser::default().parse(body).unwrap_err();
        assert!(matches!(err, ParseError::Malformed(_)), "{err:?}");
    }
    let secret = br#"{"type":"event_callback","team_id":"T1","api_app_id":"A","event_id":"E","event_time":"4111111111111111","event":{}}"#;
    let err = EventParser::default().parse(secret).unwrap_err();
    assert!(!err.to_string().contains("4111"), "{err}");
}

#[test]
fn plain_message_becomes_a_scan_job() {
    let job = job(message(json!({"thread_ts": "1699999999.000001"})));
    assert_eq!(
        (job.platform, job.tenant.as_str(), job.event_id.as_str()),
        (Platform::Slack, "T1", "Ev1")
    );
    let JobKind::Scan(target) = job.kind else {
        panic!()
    };
    assert_eq!(target.trigger, Trigger::Message);
    assert_eq!(target.text.unwrap().as_str(), "my key AKIA…");
    assert_eq!(target.author.user.as_deref(), Some("U1"));
    assert_eq!(target.location.conversation, "C1");
    assert_eq!(
        target.location.message.as_deref(),
        Some("1700000000.000100")
    );
    assert_eq!(target.location.thread.as_deref(), Some("1699999999.000001"));
}

#[test]
fn channel_types_map_to_conversation_kinds() {
    for (channel_type, kind) in [
        ("channel", ConversationKind::Public),
        ("group", ConversationKind::Private),
        ("im", ConversationKind::Direct),
        ("mpim", ConversationKind::Group),
        ("app_home", ConversationKind::Unknown),
    ] {
        let target = scan(message(json!({"channel_type": channel_type})));
        assert_eq!(target.location.conversation_kind, kind, "{channel_type}");
    }
}

#[test]
fn an_edit_that_adds_a_secret_is_scanned_with_the_new_text() {
    let event = json!({
        "type": "message", "subtype": "message_changed", "hidden": true, "channel": "C1",
        "channel_type": "group", "ts": "1700000050.000200", "event_ts": "1700000050.000200",
        "message": {"type": "message", "user": "U1", "text": "now with sk_live_abc",
                    "ts": "1700000000.000100", "edited": {"user": "U1", "ts": "1700000050.000000"}},
        "previous_message": {"type": "message", "user": "U1", "text": "harmless",
                             "ts": "1700000000.000100"},
    });
    let target = scan(event);
    assert_eq!(target.trigger, Trigger::Edited);
    assert_eq!(target.text.unwrap().as_str(), "now with sk_live_abc");
    assert_eq!(
        target.location.message.as_deref(),
        Some("1700000000.000100")
    );
    assert_eq!(target.location.conversation_kind, ConversationKind::Private);
}

#[test]
fn an_edit_that_changes_nothing_is_ignored() {
    let same = json!({"type": "message", "user": "U1", "text": "same", "ts": "1.1"});
    let event = json!({"type": "message", "subtype": "message_changed", "channel": "C1",
                       "message": same, "previous_message": same});
    assert_eq!(ignored(event), Ignored::Unchanged);
}

#[test]
fn file_share_carries_the_files() {
    let target = scan(message(json!({"subtype": "file_share", "files": [
        {"id": "F1", "name": "keys.docx", "mimetype": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "size": 1234, "url_private_download": "https://files.slack.com/files-pri/T1-F1/download/keys.docx"},
        {"id": "F2", "mode": "hidden_by_limit"},
        {"name": "no id, skipped"}
    ]})));
    assert_eq!(target.trigger, Trigger::FileShare);
    let ids: Vec<_> = target.files.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["F1", "F2"]);
    assert_eq!(target.files[0].size, Some(1234));
    assert!(target.files[0]
        .url
        .as_deref()
        .unwrap()
        .ends_with("keys.docx"));
}

#[test]
fn thread_broadcast_and_me_message_are_scanned() {
    assert_eq!(
        scan(message(json!({"subtype": "thread_broadcast"}))).trigger,
        Trigger::ThreadBroadcast
    );
    assert_eq!(
        scan(message(json!({"subtype": "me_message"}))).trigger,
        Trigger::MeMessage
    );
}

#[test]
fn another_apps_bot_message_is_scanned_with_attachment_text() {
    let target = scan(json!({
        "type": "message", "subtype": "bot_message", "channel": "C1", "ts": "1.2",
        "bot_id": "B999", "username": "ci", "text": "",
        "bot_profile": {"app_id": "A0OTHER"},
        "attachments": [{"pretext": "deploy", "text": "password=hunter2"}],
    }));
    assert_eq!(target.trigger, Trigger::BotMessage);
    assert_eq!(target.author.bot.as_deref(), Some("B999"));
    assert_eq!(target.text.unwrap().as_str(), "deploy\npassword=hunter2");
}

#[test]
fn our_own_messages_are_dropped() {
    // By app_id, by bot_profile.app_id, and by our bot user (authorizations[].is_bot).
    let by_app = message(json!({"bot_id": "B1", "app_id": APP, "user": "UOTHER"}));
    let by_profile = json!({"type": "message", "subtype": "bot_message", "channel": "C1",
        "ts": "1.3", "bot_id": "B1", "text": "blocked", "bot_profile": {"app_id": APP}});
    let by_user = message(json!({"user": BOT_USER}));
    for event in [by_app, by_profile, by_user] {
        assert_eq!(ignored(event), Ignored::OwnApp);
    }
}

#[test]
fn our_own_edits_are_dropped() {
    let event = json!({"type": "message", "subtype": "message_changed", "channel": "C1",
        "message": {"type": "message", "bot_id": "B1", "app_id": APP, "text": "new", "ts": "1.1"},
        "previous_message": {"type": "message", "text": "old", "ts": "1.1"}});
    assert_eq!(ignored(event), Ignored::OwnApp);
}

#[test]
fn message_deleted_closes_incidents() {
    let event = json!({"type": "message", "subtype": "message_deleted", "hidden": true,
        "channel": "C1", "channel_type": "im", "ts": "1700000100.000300",
        "deleted_ts": "1700000000.000100",
        "previous_message": {"type": "message", "user": "U1", "text": "leak", "ts": "1700000000.000100"}});
    let JobKind::Close(location) = job(event).kind else {
        panic!("not a close job")
    };
    assert_eq!(location.conversation, "C1");
    assert_eq!(location.message.as_deref(), Some("1700000000.000100"));
    assert_eq!(location.conversation_kind, ConversationKind::Direct);
}

#[test]
fn file_shared_becomes_a_file_scan() {
    let target = scan(
        json!({"type": "file_shared", "channel_id": "C1", "file_id": "F9",
        "user_id": "U1", "file": {"id": "F9"}, "event_ts": "1700000000.000100"}),
    );
    assert_eq!(target.trigger, Trigger::FileShared);
    assert_eq!(target.files[0].id, "F9");
    assert_eq!(target.location.message, None);
    assert_eq!(target.author.user.as_deref(), Some("U1"));
}

#[test]
fn file_shared_by_our_bot_is_dropped() {
    let event =
        json!({"type": "file_shared", "channel_id": "C1", "file_id": "F9", "user_id": BOT_USER});
    assert_eq!(ignored(event), Ignored::OwnApp);
}

#[test]
fn system_subtypes_and_other_events_are_ignored() {
    assert_eq!(
        ignored(message(json!({"subtype": "channel_join"}))),
        Ignored::Subtype("channel_join".into())
    );
    // channel_created has `channel` as an object: ignored, not a parse error.
    let created = json!({"type": "channel_created", "channel": {"id": "C2", "name": "x"}});
    assert_eq!(
        ignored(created),
        Ignored::EventType("channel_created".into())
    );
    assert_eq!(
        ignored(json!({"no": "type"})),
        Ignored::EventType(String::new())
    );
}

#[test]
fn a_message_without_text_or_files_is_ignored() {
    assert_eq!(ignored(message(json!({"text": "  "}))), Ignored::Empty);
}

#[test]
fn jobs_round_trip_through_json_and_debug_hides_the_text() {
    let job = job(message(json!({"text": "4111111111111111"})));
    let kwargs = serde_json::to_value(&job).unwrap();
    assert_eq!(kwargs["kind"]["type"], "scan");
    assert_eq!(serde_json::from_value::<Job>(kwargs).unwrap(), job);
    assert!(!format!("{job:?}").contains("4111"));
}

#[test]
fn truncated_and_corrupted_bodies_never_panic() {
    let bodies = [
        envelope(message(
            json!({"subtype": "file_share", "files": [{"id": "F1", "size": 3}]}),
        )),
        envelope(
            json!({"type": "message", "subtype": "message_changed", "channel": "C1",
            "message": {"text": "a", "ts": "1.1"}, "previous_message": {"text": "b"}}),
        ),
        envelope(json!({"type": "file_shared", "channel_id": "C1", "file_id": "F1"})),
    ];
    let parser = EventParser::default();
    for body in &bodies {
        for end in 0..body.len() {
            let _ = parser.parse(&body[..end]);
        }
        for i in 0..body.len() {
            for byte in [b'"', b'{', b']', b'0', 0xFF] {
                let mut corrupted = body.clone();
                corrupted[i] = byte;
                let _ = parser.parse(&corrupted);
            }
        }
    }
}

#[test]
fn deeply_nested_edits_are_an_error_not_a_stack_overflow() {
    let mut event =
        String::from(r#"{"type":"message","subtype":"message_changed","channel":"C1","message":"#);
    for _ in 0..10_000 {
        event.push_str(r#"{"message":"#);
    }
    let body = format!(
        r#"{{"type":"event_callback","team_id":"T","api_app_id":"A","event_id":"E","event_time":1,"event":{event}"#
    );
    assert!(matches!(
        EventParser::default().parse(body.as_bytes()),
        Err(ParseError::Malformed(_))
    ));
}
