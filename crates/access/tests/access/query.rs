//! Every query operator, parsed and evaluated, and the errors naming the parameter.

use leakwall_access::{parse_query, Condition, Op, QueryError};
use leakwall_core::ErrorCode;
use serde_json::{json, Value};

use crate::{obj, INCIDENTS};

const RESERVED: &[&str] = &["limit", "after", "order"];

fn parse(query: &[(&str, &str)]) -> Result<Vec<Condition>, QueryError> {
    let query: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    parse_query(&INCIDENTS, &[], &query, RESERVED)
}

fn one(key: &str, value: &str) -> Condition {
    let mut conditions = parse(&[(key, value)]).expect(key);
    assert_eq!(conditions.len(), 1, "{key}");
    conditions.remove(0)
}

#[test]
fn every_operator_parses_typed_and_evaluates() {
    let item = obj(json!({
        "status": "open", "severity": 3, "score": 0.5, "team": "blue-ops",
        "seen": "2024-05-01T12:00:00Z", "tags": ["aws", "prod"], "resolved": false,
    }));
    let table: &[(&str, &str, Op, Value, bool)] = &[
        ("status", "open", Op::Eq, json!("open"), true),
        ("severity", "3", Op::Eq, json!(3), true),
        ("resolved", "false", Op::Eq, json!(false), true),
        ("status__ne", "open", Op::Ne, json!("open"), false),
        ("excerpt__ne", "x", Op::Ne, json!("x"), true),
        (
            "status__in",
            r#"["open","new"]"#,
            Op::In,
            json!(["open", "new"]),
            true,
        ),
        ("severity__in", r#"[1,"3"]"#, Op::In, json!([1, 3]), true),
        ("team__in", "[1,2]", Op::In, json!(["1", "2"]), false),
        (
            "status__notin",
            r#"["open"]"#,
            Op::NotIn,
            json!(["open"]),
            false,
        ),
        (
            "team__startswith",
            "blue",
            Op::StartsWith,
            json!("blue"),
            true,
        ),
        (
            "team__startswith",
            "ops",
            Op::StartsWith,
            json!("ops"),
            false,
        ),
        ("team__contains", "e-o", Op::Contains, json!("e-o"), true),
        ("team__contains", "E-O", Op::Contains, json!("E-O"), false),
        ("tags__contains", "aws", Op::Contains, json!("aws"), true),
        ("tags__contains", "aw", Op::Contains, json!("aw"), false),
        (
            "team__notcontains",
            "red",
            Op::NotContains,
            json!("red"),
            true,
        ),
        (
            "tags__notcontains",
            "prod",
            Op::NotContains,
            json!("prod"),
            false,
        ),
        ("team__exists", "true", Op::Exists, json!(true), true),
        ("excerpt__exists", "false", Op::Exists, json!(false), true),
        ("excerpt__exists", "true", Op::Exists, json!(true), false),
        ("severity__gt", "2", Op::Gt, json!(2), true),
        ("severity__gt", "3", Op::Gt, json!(3), false),
        ("severity__gte", "3", Op::Gte, json!(3), true),
        ("severity__lt", "10", Op::Lt, json!(10), true),
        ("severity__lte", "2", Op::Lte, json!(2), false),
        ("score__lt", "1", Op::Lt, json!(1), true),
        ("score__gte", "0.5", Op::Gte, json!(0.5), true),
        ("team__gt", "blue", Op::Gt, json!("blue"), true),
        (
            "seen__gte",
            "2024-05-01T12:00:00Z",
            Op::Gte,
            json!("2024-05-01T12:00:00Z"),
            true,
        ),
        (
            "seen__lt",
            "2024-05-01T11:59:59Z",
            Op::Lt,
            json!("2024-05-01T11:59:59Z"),
            false,
        ),
        (
            "severity__between",
            "[3,5]",
            Op::Between,
            json!([3, 5]),
            true,
        ),
        (
            "severity__between",
            r#"["1","2"]"#,
            Op::Between,
            json!([1, 2]),
            false,
        ),
        (
            "seen__between",
            r#"["2024-05-01T00:00:00Z","2024-05-02T00:00:00Z"]"#,
            Op::Between,
            json!(["2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"]),
            true,
        ),
    ];
    for (key, raw, op, value, matches) in table {
        let c = one(key, raw);
        assert_eq!((c.op, &c.value), (*op, value), "{key}={raw}");
        assert_eq!(c.matches(&item), *matches, "{key}={raw} on {item:?}");
    }
}

#[test]
fn reserved_keys_are_skipped_and_path_filters_win() {
    assert_eq!(
        parse(&[("limit", "10"), ("order", "x"), ("after", "3")]),
        Ok(vec![])
    );
    let path = vec![("status".to_string(), "open".to_string())];
    let query: Vec<(String, String)> = [("status", "closed"), ("status__ne", "x"), ("team", "b")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let got = parse_query(&INCIDENTS, &path, &query, RESERVED).unwrap();
    let fields: Vec<(&str, Op, &Value)> = got
        .iter()
        .map(|c| (c.field.as_str(), c.op, &c.value))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("status", Op::Eq, &json!("open")),
            ("team", Op::Eq, &json!("b"))
        ]
    );
    let bad_path = vec![("severity".to_string(), "high".to_string())];
    assert!(matches!(
        parse_query(&INCIDENTS, &bad_path, &[], RESERVED),
        Err(QueryError::BadValue { .. })
    ));
}

#[test]
fn errors_name_the_parameter() {
    let table: &[(&str, &str, &str)] = &[
        ("nope", "1", "unknown field `nope`"),
        ("secret_hash", "x", "unknown field `secret_hash`"),
        ("secret_hash__exists", "true", "unknown field `secret_hash`"),
        (
            "status__like",
            "x",
            "unknown operator `like` in `status__like`",
        ),
        ("status__in", "open", "`status__in`: expected a JSON list"),
        (
            "status__notin",
            r#"{"a":1}"#,
            "`status__notin`: expected a JSON list",
        ),
        ("status__in", "[[1]]", "`status__in`: list values must be"),
        (
            "severity__between",
            "[1]",
            "`severity__between`: expected a JSON list of two",
        ),
        ("severity__between", "[1,2,3]", "got 3 values"),
        (
            "team__exists",
            "yes",
            "`team__exists`: must be true or false",
        ),
        ("severity", "high", "`severity`: must be an integer"),
        (
            "severity__in",
            "[1.5]",
            "`severity__in`: must be an integer",
        ),
        ("score__gt", "NaN", "`score__gt`: must be a number"),
        ("resolved", "1", "`resolved`: must be true or false"),
        (
            "severity__startswith",
            "1",
            "operator `startswith` cannot be used on `severity`",
        ),
        ("resolved__gt", "true", "cannot be used on `resolved`"),
        ("tags", "aws", "cannot be used on `tags`"),
    ];
    for (key, raw, message) in table {
        let err = parse(&[(key, raw)]).unwrap_err();
        assert!(err.to_string().contains(message), "{key}={raw}: {err}");
        assert_eq!(err.code(), ErrorCode::BadRequest);
    }
    let long = format!("[{}]", vec!["1"; 1001].join(","));
    assert!(parse(&[("severity__in", &long)]).is_err());
}
