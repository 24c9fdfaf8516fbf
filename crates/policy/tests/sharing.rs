//! The sharing rules' YAML case table (`tests/sharing_cases.yaml`): each case gives settings
//! (over the table's defaults) and a request, and the expected decision, rule, message
//! fragments, revoked grantees and external users, or the error kind of a malformed request.

use std::collections::BTreeMap;
use std::path::Path;

use leakwall_policy::sharing::{ShareRequest, SharingConfig, SharingOutcome};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    settings: Value,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    note: String,
    /// Fields that replace the table's settings.
    #[serde(default)]
    settings: BTreeMap<String, Value>,
    request: Value,
    #[serde(default)]
    want: Option<SharingOutcome>,
    #[serde(default)]
    rule: Option<String>,
    /// Fragments the message contains.
    #[serde(default)]
    message: Vec<String>,
    /// Grantees whose WRITE is revoked, in order (checked when `want` is given).
    #[serde(default)]
    revoked: Vec<String>,
    #[serde(default)]
    external_users: Option<Vec<String>>,
    /// The error kind of a malformed request or settings.
    #[serde(default)]
    error: Option<String>,
}

fn check(defaults: &Value, case: &Case) -> Result<(), String> {
    let mut settings = defaults.clone();
    for (key, value) in &case.settings {
        settings[key] = value.clone();
    }
    let config: SharingConfig =
        serde_json::from_value(settings).map_err(|e| format!("settings: {e}"))?;
    let decided = config.build().and_then(|rules| {
        let request = ShareRequest::from_json(case.request.clone())?;
        rules.evaluate(&request)
    });
    let decision = match (decided, &case.error) {
        (Err(e), Some(kind)) if e.kind() == kind => return Ok(()),
        (Err(e), _) => return Err(format!("error {} ({e}), want {:?}", e.kind(), case.error)),
        (Ok(d), Some(kind)) => return Err(format!("decided {d:?}, want error {kind}")),
        (Ok(d), None) => d,
    };
    let want = case.want.ok_or("a case needs `want` or `error`")?;
    if decision.decision != want {
        return Err(format!("decided {decision:?}, want {}", want.as_str()));
    }
    if decision.rule != case.rule {
        return Err(format!("rule {:?}, want {:?}", decision.rule, case.rule));
    }
    for fragment in &case.message {
        if !decision.message.contains(fragment.as_str()) {
            return Err(format!("message `{}` lacks `{fragment}`", decision.message));
        }
    }
    let revoked: Vec<&str> = decision
        .side_effects
        .iter()
        .map(|e| e.grantee.as_str())
        .collect();
    if revoked != case.revoked {
        return Err(format!("revoked {revoked:?}, want {:?}", case.revoked));
    }
    if let Some(external) = &case.external_users {
        if &decision.external_users != external {
            return Err(format!(
                "external users {:?}, want {external:?}",
                decision.external_users
            ));
        }
    }
    Ok(())
}

#[test]
fn sharing_cases() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sharing_cases.yaml");
    let text = std::fs::read_to_string(&path).expect("read the case table");
    let table: Table = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let failures: Vec<String> = table
        .cases
        .iter()
        .filter_map(|case| {
            check(&table.settings, case)
                .err()
                .map(|e| format!("{}: {e}", case.note))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        table.cases.len(),
        failures.join("\n")
    );
    assert!(table.cases.len() >= 20);
}
