//! What an administrator sees afterwards: every rejected file is an incident (one per
//! detector or rule that caught it: org, room, author, message, file name, size, declared
//! and real type, action and outcome); every approved file is a row of the decision log
//! (`GET /api/decisions?origin=webex`), so what passed is visible too. Message text findings
//! are incidents as for Slack.

use std::time::Duration;

use leakwall_connectors::{Outcome, ScanTarget};
use leakwall_queue::worker::TaskError;
use leakwall_store::{schemas::INCIDENTS, Item};
use serde_json::{json, Value};

use super::files::{Caught, FileDecision};
use crate::state::AppState;

/// Where a message is and who wrote it, for the records.
pub struct Place<'a> {
    /// The org.
    pub org: &'a str,
    /// The message.
    pub target: &'a ScanTarget,
}

impl Place<'_> {
    fn base(&self) -> Item {
        let mut item = Item::new();
        let location = &self.target.location;
        item.insert("source".into(), "webex".into());
        item.insert("channel".into(), location.conversation.clone().into());
        item.insert("author".into(), self.target.author.user.clone().into());
        item.insert("message".into(), location.message.clone().into());
        item
    }
}

/// Records a file's decision once its verdict landed (`outcome` says how it went).
pub async fn file(
    state: &AppState,
    place: &Place<'_>,
    decision: &FileDecision,
    outcome: &str,
) -> Result<(), TaskError> {
    if decision.approve {
        return approval(state, place, decision, outcome).await;
    }
    let described = format!(
        "{} ({} bytes; declared {}; real {}; org {})",
        decision.name,
        decision
            .size
            .map_or_else(|| "?".to_owned(), |s| s.to_string()),
        decision.declared.as_deref().unwrap_or("none"),
        decision.real.as_deref().unwrap_or("unknown"),
        place.org,
    );
    for c in &decision.caught {
        let mut item = place.base();
        item.insert("file".into(), decision.name.clone().into());
        let location = if c.location.is_empty() || c.location == decision.name {
            described.clone()
        } else {
            format!("{described} at {}", c.location)
        };
        item.insert("location".into(), location.into());
        fill(
            &mut item,
            c,
            "reject",
            &format!("{outcome}; {}", decision.reason),
        );
        item.insert("status".into(), "resolved".into());
        create(state, item).await?;
    }
    metrics::counter!("leakwall_webex_files_total", "verdict" => "reject").increment(1);
    Ok(())
}

async fn approval(
    state: &AppState,
    place: &Place<'_>,
    decision: &FileDecision,
    outcome: &str,
) -> Result<(), TaskError> {
    let location = &place.target.location;
    let input = json!({
        "source": "webex", "org": place.org, "room": location.conversation,
        "author": place.target.author.user, "message": location.message,
        "file": {"name": decision.name, "size": decision.size,
            "declared": decision.declared, "real": decision.real},
        "findings": decision.caught.iter().map(|c| &c.detector).collect::<Vec<_>>(),
    });
    let mut row = Item::new();
    row.insert("origin".into(), "webex".into());
    row.insert("query".into(), "webex.file".into());
    row.insert("input".into(), input);
    row.insert(
        "result".into(),
        json!({"result": "approve", "reason": decision.reason, "decided_by": decision.by,
            "outcome": outcome}),
    );
    row.insert("allowed".into(), Value::Bool(true));
    row.insert("reason".into(), decision.reason.clone().into());
    row.insert("duration_us".into(), Value::from(0));
    row.insert("policy_version".into(), decision.by.clone().into());
    let days = state.settings.policies.decision_log.expire_days.max(1);
    state
        .store
        .insert_decisions(&[row], Duration::from_secs(days.saturating_mul(86_400)))
        .await
        .map_err(|e| TaskError::retry(format!("recording an approval: {e}")))?;
    metrics::counter!("leakwall_webex_files_total", "verdict" => "approve").increment(1);
    Ok(())
}

/// One incident per finding in the message text.
pub async fn text(
    state: &AppState,
    place: &Place<'_>,
    caught: &[Caught],
    verdict: &str,
    outcome: Option<&Outcome>,
) -> Result<(), TaskError> {
    let removed = matches!(outcome, Some(Outcome::Done { removed: true, .. }));
    let described = describe(outcome);
    for c in caught {
        let mut item = place.base();
        item.insert(
            "location".into(),
            format!("message text (org {})", place.org).into(),
        );
        fill(&mut item, c, verdict, &described);
        item.insert(
            "status".into(),
            if removed { "resolved" } else { "open" }.into(),
        );
        create(state, item).await?;
    }
    Ok(())
}

fn fill(item: &mut Item, c: &Caught, action: &str, outcome: &str) {
    item.insert("excerpt".into(), c.excerpt.clone().into());
    item.insert("detector".into(), c.detector.clone().into());
    item.insert("category".into(), c.category.clone().into());
    item.insert("confidence".into(), Value::from(c.confidence));
    item.insert("action".into(), action.into());
    item.insert("outcome".into(), outcome.into());
}

async fn create(state: &AppState, item: Item) -> Result<(), TaskError> {
    state
        .store
        .create(&INCIDENTS, item, None)
        .await
        .map(|_| ())
        .map_err(|e| TaskError::retry(format!("recording an incident: {e}")))
}

/// The outcome of acting on a message, as recorded.
fn describe(outcome: Option<&Outcome>) -> String {
    match outcome {
        None => "none: allowed".into(),
        Some(Outcome::Done { removed, notified }) => match (removed, notified) {
            (true, true) => "message deleted; author told".into(),
            (true, false) => "message deleted".into(),
            (false, true) => "author told".into(),
            (false, false) => "nothing done".into(),
        },
        Some(Outcome::NotifiedOnly { reason }) => format!("not removed ({reason}); author told"),
        Some(Outcome::Failed { error }) | Some(Outcome::Retry { error }) => {
            format!("failed: {error}")
        }
        Some(Outcome::RateLimited { retry_after_secs }) => {
            format!("rate limited (retry after {retry_after_secs} s)")
        }
    }
}
