//! Webex deliveries into jobs: group and direct rooms, several files, ignored events,
//! hostile input.

use leakwall_connectors::webex::{EventParser, Handling, Ignored};
use leakwall_connectors::{
    ConversationKind, Job, JobKind, ParseError, Platform, ScanTarget, Trigger,
};
use serde_json::{json, Value};

fn delivery(data: Value) -> Vec<u8> {
    json!({
        "id": "WEBHOOK1", "name": "leakwall", "targetUrl": "https://lw.example/webex",
        "resource": "messages", "event": "created", "orgId": "ORG1", "createdBy": "P0",
        "appId": "APP", "ownedBy": "org", "status": "active", "actorId": "PERSON1",
        "data": data,
    })
    .to_string()
    .into_bytes()
}

fn job(body: &[u8]) -> Job {
    match EventParser::default().parse(body) {
        Ok(Handling::Job(job)) => job,
        other => panic!("expected a job, got {other:?}"),
    }
}

fn scan(job: &Job) -> &ScanTarget {
    match &job.kind {
        JobKind::Scan(target) => target,
        other => panic!("expected a scan, got {other:?}"),
    }
}

#[test]
fn group_room_with_two_files() {
    let body = delivery(json!({
        "id": "MSG1", "roomId": "ROOM1", "roomType": "group", "personId": "PERSON1",
        "personEmail": "a@example.com", "created": "2023-11-14T22:13:20.000Z",
        "files": ["https://webexapis.com/v1/contents/C1?allow=dlpEvaluating",
                  "https://webexapis.com/v1/contents/C2?allow=dlpEvaluating"],
    }));
    let job = job(&body);
    assert_eq!(job.platform, Platform::Webex);
    assert_eq!(job.tenant, "ORG1");
    assert_eq!(job.event_id, "MSG1");
    assert_eq!(job.event_time, 1_700_000_000);
    let target = scan(&job);
    assert_eq!(target.location.conversation, "ROOM1");
    assert_eq!(target.location.conversation_kind, ConversationKind::Group);
    assert_eq!(target.location.message.as_deref(), Some("MSG1"));
    assert_eq!(target.author.user.as_deref(), Some("PERSON1"));
    assert_eq!(target.trigger, Trigger::FileShare);
    assert_eq!(target.text, None);
    let ids: Vec<_> = target.files.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["C1", "C2"]);
    assert_eq!(
        target.files[1].url.as_deref(),
        Some("https://webexapis.com/v1/contents/C2?allow=dlpEvaluating")
    );
    // It travels on the queue.
    let back: Job = serde_json::from_slice(&serde_json::to_vec(&job).unwrap()).unwrap();
    assert_eq!(back, job);
}

#[test]
fn direct_room_and_deliveries_of_the_same_message_share_the_event_id() {
    let data = json!({
        "id": "MSG2", "roomId": "ROOM2", "roomType": "direct", "personId": "P2",
        "files": ["https://webexapis.com/v1/contents/C9?allow=dlpEvaluating"],
    });
    let first = job(&delivery(data.clone()));
    let mut again: Value = serde_json::from_slice(&delivery(data)).unwrap();
    again["id"] = json!("WEBHOOK1");
    again["actorId"] = json!("OTHER");
    let second = job(again.to_string().as_bytes());
    assert_eq!(
        scan(&first).location.conversation_kind,
        ConversationKind::Direct
    );
    assert_eq!(
        (first.tenant.as_str(), first.event_id.as_str()),
        ("ORG1", "MSG2")
    );
    assert_eq!(first, second);
}

#[test]
fn message_without_files_is_a_text_job() {
    let job = job(&delivery(
        json!({"id": "MSG3", "roomId": "R", "roomType": "group"}),
    ));
    let target = scan(&job);
    assert!(target.files.is_empty());
    assert_eq!(target.trigger, Trigger::Message);
    assert_eq!(target.author.user, None);
    assert_eq!(job.event_time, 0);
}

#[test]
fn other_resources_and_events_are_ignored() {
    let parser = EventParser::default();
    let body = json!({"resource": "rooms", "event": "created", "orgId": "O", "data": {}});
    assert_eq!(
        parser.parse(body.to_string().as_bytes()),
        Ok(Handling::Ignored(Ignored::Resource("rooms".into())))
    );
    let body = json!({"resource": "messages", "event": "deleted", "orgId": "O",
                      "data": {"id": "M", "roomId": "R"}});
    assert_eq!(
        parser.parse(body.to_string().as_bytes()),
        Ok(Handling::Ignored(Ignored::Event("deleted".into())))
    );
}

#[test]
fn missing_ids_are_malformed() {
    let parser = EventParser::default();
    for data in [
        json!({"roomId": "R", "files": []}),
        json!({"id": "", "roomId": "R"}),
        json!({"id": "M"}),
        json!({"id": "M", "roomId": "R", "files": ["https://h/v1/messages/x"]}),
        json!({"id": "M", "roomId": "R", "files": [7]}),
    ] {
        let result = parser.parse(&delivery(data.clone()));
        assert!(
            matches!(result, Err(ParseError::Malformed(_))),
            "{data}: {result:?}"
        );
    }
    let no_org = json!({"resource": "messages", "event": "created",
                        "data": {"id": "M", "roomId": "R"}});
    assert!(matches!(
        parser.parse(no_org.to_string().as_bytes()),
        Err(ParseError::Malformed(_))
    ));
}

#[test]
fn hostile_input_is_an_error_not_a_panic() {
    let parser = EventParser::new(64 * 1024);
    let deep = "[".repeat(50_000);
    let many_files: Vec<String> = (0..101)
        .map(|i| format!("https://h/v1/contents/C{i}"))
        .collect();
    let too_many = delivery(json!({"id": "M", "roomId": "R", "files": many_files}));
    for body in [
        b"".as_slice(),
        b"\xff\xfe",
        b"null",
        b"[]",
        deep.as_bytes(),
        br#"{"resource":"messages","event":"created","orgId":"O","data":"x"}"#,
        &too_many,
    ] {
        assert!(
            parser.parse(body).is_err(),
            "{:.40}",
            String::from_utf8_lossy(body)
        );
    }
    let big = vec![b' '; 64 * 1024 + 1];
    assert_eq!(
        parser.parse(&big),
        Err(ParseError::TooLarge {
            len: 64 * 1024 + 1,
            limit: 64 * 1024
        })
    );
}

#[test]
fn errors_do_not_echo_the_input() {
    let err = EventParser::default()
        .parse(br#"{"resource":"messages","event":"created","orgId":"secret-4111"#)
        .unwrap_err();
    assert!(!err.to_string().contains("4111"), "{err}");
}
