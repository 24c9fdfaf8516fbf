//! Identifiers, groups, OIDC groups: endpoints, filters, exclusions, update restrictions.

use leakwall_access::{
    Access, AccessError, DeniedReason, EndpointRule, FieldFilter, Group, Identifier,
    IdentifierType, Permissions,
};
use leakwall_core::ErrorCode;
use serde_json::{json, Value};

use crate::obj;

fn rule(method: &str, endpoint: &str) -> EndpointRule {
    EndpointRule {
        method: method.into(),
        endpoint: endpoint.into(),
    }
}

fn filter(field: &str, value: Value) -> FieldFilter {
    FieldFilter {
        field: field.into(),
        value,
    }
}

fn user(id: &str, groups: &[&str], permissions: Permissions) -> Identifier {
    Identifier {
        id: id.into(),
        kind: IdentifierType::Username,
        name: String::new(),
        username: String::new(),
        email: String::new(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        enabled: true,
        permissions,
    }
}

/// The admin data of the tests.
fn groups(id: &str) -> Option<Group> {
    let permissions = match id {
        "readers" => Permissions {
            permitted_endpoints: vec![rule("GET", "^/incidents(/.+)?$")],
            filter_fields: vec![filter("team", json!("blue"))],
            exclude_fields: vec!["excerpt".into()],
            ..Permissions::default()
        },
        "triage" => Permissions {
            permitted_endpoints: vec![rule("patch", "^/incidents/.+$")],
            filter_fields: vec![filter("severity", json!(["1", "2"]))],
            update_fields_permitted: Some(vec!["status".into(), "severity".into()]),
            update_fields_restricted: vec!["severity".into()],
            ..Permissions::default()
        },
        "open" => Permissions {
            permitted_endpoints: vec![rule("*", "^/audit")],
            ..Permissions::default()
        },
        "broken" => Permissions {
            permitted_endpoints: vec![rule("GET", "^/incidents(")],
            ..Permissions::default()
        },
        "badfilter" => Permissions {
            filter_fields: vec![filter("team", json!({"a": 1}))],
            ..Permissions::default()
        },
        _ => return None,
    };
    Some(Group {
        id: id.into(),
        name: id.into(),
        permissions,
    })
}

fn access(groups_of: &[&str], own: Permissions) -> Access {
    Access::for_identifier(&user("alice", groups_of, own), groups).expect("valid admin data")
}

#[test]
fn user_and_groups_combine_lists_and_and_filters() {
    let own = Permissions {
        permitted_endpoints: vec![rule("DELETE", "^/incidents/.+$")],
        filter_fields: vec![filter("status", json!("open"))],
        ..Permissions::default()
    };
    let a = access(&["readers", "triage"], own);
    let table = [
        ("GET", "/api/incidents", true),
        ("GET", "/api/incidents/7", true),
        ("PATCH", "/api/incidents/7", true),
        ("DELETE", "/api/incidents/7", true),
        ("POST", "/api/incidents", false),
        ("GET", "/api/groups", false),
    ];
    for (method, path, want) in table {
        assert_eq!(a.permits(method, path), want, "{method} {path}");
    }
    let items = [
        (
            json!({"team": "blue", "severity": 1, "status": "open"}),
            true,
        ),
        (
            json!({"team": "blue", "severity": "2", "status": "open"}),
            true,
        ),
        (
            json!({"team": "red", "severity": 1, "status": "open"}),
            false,
        ),
        (
            json!({"team": "blue", "severity": 3, "status": "open"}),
            false,
        ),
        (
            json!({"team": "blue", "severity": 1, "status": "closed"}),
            false,
        ),
        (json!({"team": "blue", "severity": 1}), false),
    ];
    for (item, want) in items {
        assert_eq!(a.visible(&obj(item.clone())), want, "{item}");
    }
    assert_eq!(
        a.scope().as_ref().map(|b| (b.len(), b[0].len())),
        Some((1, 3))
    );
    assert!(a.excluded().contains("excerpt"));
    assert_eq!(a.endpoints().len(), 3);
}

#[test]
fn no_filters_means_everything_visible() {
    let a = access(&["open"], Permissions::default());
    assert!(a.scope().is_none());
    assert!(a.visible(&obj(json!({"team": "anything"}))));
}

#[test]
fn oidc_groups_are_ored() {
    let blue = access(&["readers"], Permissions::default());
    let triage = access(&["triage"], Permissions::default());
    let both = Access::any_of(vec![blue.clone(), triage.clone()]);
    let table = [
        (json!({"team": "blue", "severity": 9}), true),
        (json!({"team": "red", "severity": 2}), true),
        (json!({"team": "red", "severity": 3}), false),
        (json!({}), false),
    ];
    for (item, want) in table {
        assert_eq!(both.visible(&obj(item.clone())), want, "{item}");
    }
    assert!(both.permits("GET", "/api/incidents/1") && both.permits("PATCH", "/api/incidents/1"));
    assert_eq!(both.update_fields_permitted().map(|s| s.len()), Some(2));
    // One part seeing everything makes the union see everything.
    let open = access(&["open"], Permissions::default());
    assert!(Access::any_of(vec![blue, open]).scope().is_none());
    // No parts: nothing at all.
    let none = Access::any_of(vec![]);
    assert_eq!(none.scope(), &Some(vec![]));
    assert!(!none.visible(&obj(json!({"team": "blue"}))));
    assert!(!none.permits("GET", "/api/incidents"));
    assert!(none.update_fields_permitted().is_none());
}

#[test]
fn exclusions_apply_to_output_input_and_filters() {
    let a = access(&["readers"], Permissions::default());
    let mut item = obj(json!({"id": 1, "excerpt": "AKIA...", "team": "blue"}));
    a.strip(&mut item);
    assert_eq!(item, obj(json!({"id": 1, "team": "blue"})));
    let denied = a
        .check_input(&obj(json!({"status": "x", "excerpt": "y"})))
        .unwrap_err();
    assert_eq!(
        (denied.field.as_str(), denied.reason),
        ("excerpt", DeniedReason::Excluded)
    );
    assert_eq!(
        denied.to_string(),
        "field `excerpt` may not be written by this caller"
    );
    assert_eq!(denied.code(), ErrorCode::Forbidden);
    assert!(a.check_update(&obj(json!({"excerpt": "y"}))).is_err());
    assert!(a.check_input(&obj(json!({"status": "x"}))).is_ok());
    let cond = leakwall_access::Condition {
        field: "excerpt".into(),
        op: leakwall_access::Op::Contains,
        value: json!("AKIA"),
    };
    assert_eq!(
        a.check_conditions(&[cond]).map_err(|d| d.reason),
        Err(DeniedReason::ExcludedFilter)
    );
}

#[test]
fn update_fields_permitted_and_restricted() {
    let a = access(&["triage"], Permissions::default());
    let table = [
        (json!({"status": "closed"}), None),
        (
            json!({"team": "red"}),
            Some(("team", DeniedReason::NotPermitted)),
        ),
        (
            json!({"severity": 1}),
            Some(("severity", DeniedReason::Restricted)),
        ),
    ];
    for (body, want) in table {
        let got = a.check_update(&obj(body.clone())).err();
        assert_eq!(
            got.as_ref().map(|d| (d.field.as_str(), d.reason)),
            want,
            "{body}"
        );
        // A create is not an update: only exclusions apply.
        assert!(a.check_input(&obj(body)).is_ok());
    }
    let denied = a.check_update(&obj(json!({"severity": 1}))).unwrap_err();
    assert_eq!(
        denied.to_string(),
        "field `severity` may not be updated by this caller"
    );
}

#[test]
fn bad_admin_data_and_disabled_identifiers_are_errors() {
    let cases: [(&[&str], bool, ErrorCode, &str); 4] = [
        (
            &["readers", "ghosts"],
            true,
            ErrorCode::Internal,
            "unknown group `ghosts`",
        ),
        (
            &["broken"],
            true,
            ErrorCode::Internal,
            "not a valid regular expression",
        ),
        (
            &["badfilter"],
            true,
            ErrorCode::Internal,
            "filter on `team`",
        ),
        (
            &["readers"],
            false,
            ErrorCode::Unauthorized,
            "`alice` is disabled",
        ),
    ];
    for (member_of, enabled, code, message) in cases {
        let mut id = user("alice", member_of, Permissions::default());
        id.enabled = enabled;
        let err = Access::for_identifier(&id, groups).unwrap_err();
        assert_eq!(err.code(), code, "{member_of:?}");
        assert!(err.to_string().contains(message), "{err}");
    }
    let mut id = user("alice", &["ghosts"], Permissions::default());
    id.groups = vec!["ghosts".into()];
    assert_eq!(
        Access::for_identifier(&id, groups).unwrap_err(),
        AccessError::UnknownGroup {
            identifier: "alice".into(),
            group: "ghosts".into()
        }
    );
}

#[test]
fn endpoint_regexes_are_anchored_and_paths_normalized() {
    let own = Permissions {
        permitted_endpoints: vec![
            rule("GET", "^/incidents/.+$"),
            rule("GET", "/detectors"),
            rule("POST", "/v1/scan"),
        ],
        ..Permissions::default()
    };
    let a = access(&[], own);
    let table = [
        ("GET", "/api/incidents/7", true),
        ("get", "/api/incidents/7?fields=x", true),
        ("GET", "/incidents/7", true),
        ("GET", "/api/incidents/", false),
        ("GET", "/api/incidents", false),
        ("GET", "/api/detectors", true),
        ("GET", "/api/detectors/abc", true),
        ("GET", "/api/x/detectors", false),
        ("GET", "/api/incidents/../groups", false),
        ("GET", "api/incidents/7", false),
        ("POST", "/v1/scan", true),
        ("POST", "/api/v1/scan", true),
        ("POST", "/x/v1/scan", false),
        ("PATCH", "/api/incidents/7", false),
        ("GET", "/apiincidents/7", false),
    ];
    for (method, path, want) in table {
        assert_eq!(a.permits(method, path), want, "{method} {path}");
    }
    let all = Access::everything();
    assert!(all.permits("PURGE", "/anything") && all.scope().is_none());
    assert!(!all.permits("GET", "/a/../b"));
}
