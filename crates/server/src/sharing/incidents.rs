//! Sharing incidents: every decision that warns or rejects, and every revocation carried out
//! with its outcome, is a row of `incidents` (source `sharing`), visible in the admin API.
//!
//! Fields: `file` the folder, `author` the actor, `location` the grantee, `detector` the rule,
//! `action` (`warn`, `reject`, `revoke`), `message` the decision's message, `excerpt` the side
//! effects (one line each), `outcome` what became of it, `channel` where it was asked
//! (`http`, `grpc`, `proxy`).

use leakwall_policy::sharing::{ShareRequest, SharingDecision, SideEffect};
use leakwall_store::{schemas::INCIDENTS, Item, Store};
use serde_json::Value;

/// The `source` of sharing incidents.
pub const SOURCE: &str = "sharing";

fn text(value: impl Into<String>) -> Value {
    Value::String(value.into())
}

/// One line per side effect: `revoke WRITE from bob@corp.example (share 12 on /Projects)`.
pub fn describe(effects: &[SideEffect]) -> String {
    effects
        .iter()
        .map(|e| {
            let share = e
                .share_id
                .as_deref()
                .map(|id| format!("share {id} on "))
                .unwrap_or_default();
            format!("revoke {} from {} ({share}{})", e.flag, e.grantee, e.path)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Records a warning or a rejection. A failure to write is logged, not returned: the caller
/// already has its decision.
pub async fn record_decision(
    store: &Store,
    request: &ShareRequest,
    decision: &SharingDecision,
    origin: &str,
) {
    let grantee = match request.change.grantee.as_str() {
        "" => request.change.share_id.clone().unwrap_or_default(),
        grantee => grantee.to_owned(),
    };
    let outcome = match (decision.decision.as_str(), decision.side_effects.is_empty()) {
        ("reject", _) => "rejected",
        (_, true) => "warned",
        (_, false) => "warned; revocations to apply",
    };
    let mut item = Item::new();
    item.insert("source".into(), text(SOURCE));
    item.insert("channel".into(), text(origin));
    item.insert("author".into(), text(request.actor.trim().to_lowercase()));
    item.insert("file".into(), text(request.folder.path.clone()));
    item.insert("location".into(), text(grantee));
    item.insert("message".into(), text(decision.message.clone()));
    item.insert("excerpt".into(), text(describe(&decision.side_effects)));
    let rule = decision.rule.clone().unwrap_or_else(|| "sharing".into());
    item.insert("detector".into(), text(rule));
    item.insert("action".into(), text(decision.decision.as_str()));
    item.insert("outcome".into(), text(outcome));
    write(store, item).await;
}

/// Records one revocation carried out (or given up) by the proxy, with its outcome.
pub async fn record_revocation(
    store: &Store,
    folder: &str,
    actor: &str,
    effect: &SideEffect,
    outcome: &str,
) {
    let mut item = Item::new();
    item.insert("source".into(), text(SOURCE));
    item.insert("channel".into(), text("proxy"));
    item.insert("author".into(), text(actor));
    item.insert("file".into(), text(folder));
    item.insert("location".into(), text(effect.grantee.clone()));
    item.insert(
        "message".into(),
        text(format!("WRITE revoked after an external share of {folder}")),
    );
    item.insert(
        "excerpt".into(),
        text(describe(std::slice::from_ref(effect))),
    );
    item.insert(
        "detector".into(),
        text(leakwall_policy::sharing::RULE_EXTERNAL_SHARE),
    );
    item.insert("action".into(), text("revoke"));
    item.insert("outcome".into(), text(outcome));
    write(store, item).await;
}

async fn write(store: &Store, item: Item) {
    if let Err(e) = store.create(&INCIDENTS, item, None).await {
        tracing::error!(error = %e, "recording a sharing incident");
    }
}
