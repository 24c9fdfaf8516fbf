//! The Webex connector's act mapping against the scripted stub: which calls each action
//! makes, and how errors become outcomes.

use leakwall_connectors::webex::{EventParser, Handling, WebexConnector};
use leakwall_connectors::{Action, Connector, Job, Notice, Outcome, Token};
use serde_json::json;

use crate::webex_client::{answer, client, stub};

fn job() -> Job {
    let body = json!({
        "id": "WH", "resource": "messages", "event": "created", "orgId": "ORG1",
        "data": {"id": "M1", "roomId": "R1", "roomType": "group", "personId": "P1",
                 "files": ["https://placeholder/v1/contents/C1?allow=dlpEvaluating",
                           "https://placeholder/v1/contents/C2?allow=dlpEvaluating"]},
    });
    match EventParser::default().parse(body.to_string().as_bytes()) {
        Ok(Handling::Job(job)) => job,
        other => panic!("{other:?}"),
    }
}

/// The job with its content URLs on the stub's origin.
fn job_at(origin: &str) -> Job {
    let text = serde_json::to_string(&job()).unwrap();
    serde_json::from_str(&text.replace("https://placeholder", origin)).unwrap()
}

fn notice() -> Notice {
    Notice {
        public: "blocked".into(),
        private: "your file held a card number".into(),
    }
}

fn lines(seen: &std::sync::Mutex<Vec<String>>) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|r| r.lines().next().unwrap_or_default().to_owned())
        .collect()
}

const OK: &str = r#"{"id":"N1"}"#;

#[tokio::test]
async fn allow_approves_every_file_and_posts_nothing() {
    let (origin, seen) = stub(answer("200 OK", &[], OK)).await;
    let c = WebexConnector::new(client(&origin), Token::new("t"));
    let outcome = c.act(&job_at(&origin), &Action::Allow).await;
    assert_eq!(
        outcome,
        Outcome::Done {
            removed: false,
            notified: false
        }
    );
    assert_eq!(
        lines(&seen),
        [
            "PUT /v1/contents/C1?result=approve HTTP/1.1",
            "PUT /v1/contents/C2?result=approve HTTP/1.1"
        ]
    );
}

#[tokio::test]
async fn warn_approves_and_tells_the_author() {
    let (origin, seen) = stub(answer("200 OK", &[], OK)).await;
    let c = WebexConnector::new(client(&origin), Token::new("t"));
    let outcome = c
        .act(&job_at(&origin), &Action::Warn { notice: notice() })
        .await;
    assert_eq!(
        outcome,
        Outcome::Done {
            removed: false,
            notified: true
        }
    );
    let lines = lines(&seen);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2], "POST /v1/messages HTTP/1.1");
    assert!(seen.lock().unwrap()[2].contains("\"toPersonId\":\"P1\""));
}

#[tokio::test]
async fn block_rejects_and_deletes_only_when_enabled() {
    let (origin, seen) = stub(answer("200 OK", &[], OK)).await;
    let block = Action::Block { notice: notice() };
    let c = WebexConnector::new(client(&origin), Token::new("t"));
    assert_eq!(
        c.act(&job_at(&origin), &block).await,
        Outcome::Done {
            removed: true,
            notified: true
        }
    );
    assert_eq!(
        lines(&seen)[..2],
        [
            "PUT /v1/contents/C1?result=reject HTTP/1.1",
            "PUT /v1/contents/C2?result=reject HTTP/1.1"
        ]
    );
    assert!(!lines(&seen).iter().any(|l| l.starts_with("DELETE")));
    seen.lock().unwrap().clear();
    let deleting = c.clone().deleting_messages(true);
    // Twice: a retried task repeats the same calls without failing.
    for _ in 0..2 {
        assert_eq!(
            deleting.act(&job_at(&origin), &block).await,
            Outcome::Done {
                removed: true,
                notified: true
            }
        );
    }
    assert_eq!(
        lines(&seen)
            .iter()
            .filter(|l| *l == "DELETE /v1/messages/M1 HTTP/1.1")
            .count(),
        2
    );
}

#[tokio::test]
async fn errors_become_outcomes() {
    let (origin, _) = stub(answer("429 Too Many Requests", &["retry-after: 9"], "")).await;
    let c = WebexConnector::new(client(&origin), Token::new("t"));
    assert_eq!(
        c.act(&job_at(&origin), &Action::Allow).await,
        Outcome::RateLimited {
            retry_after_secs: 9
        }
    );
    let (origin, _) = stub(answer("502 Bad Gateway", &[], "")).await;
    let c = WebexConnector::new(client(&origin), Token::new("t"));
    assert!(matches!(
        c.act(&job_at(&origin), &Action::Allow).await,
        Outcome::Retry { .. }
    ));
    let (origin, _) = stub(answer("403 Forbidden", &[], "")).await;
    let c = WebexConnector::new(client(&origin), Token::new("t"));
    assert!(matches!(
        c.act(&job_at(&origin), &Action::Allow).await,
        Outcome::Failed { .. }
    ));
}

#[tokio::test]
async fn fetch_downloads_the_content_url_under_the_limit() {
    let (origin, _) = stub(answer("200 OK", &[], "abc")).await;
    let c = WebexConnector::new(client(&origin), Token::new("t"));
    let job = job_at(&origin);
    let leakwall_connectors::JobKind::Scan(target) = &job.kind else {
        panic!("scan job");
    };
    assert_eq!(c.fetch(&target.files[0], 3).await.unwrap(), b"abc");
    assert!(c.fetch(&target.files[0], 2).await.is_err());
}
