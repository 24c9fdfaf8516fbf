//! Hostile input never panics: query parsing and condition evaluation.

use leakwall_access::{parse_query, Condition, Op};
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::INCIDENTS;

const OPS: [Op; 13] = [
    Op::Eq,
    Op::Ne,
    Op::In,
    Op::NotIn,
    Op::StartsWith,
    Op::Contains,
    Op::NotContains,
    Op::Exists,
    Op::Gt,
    Op::Lt,
    Op::Gte,
    Op::Lte,
    Op::Between,
];

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z0-9:.-]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        Just("status".to_string()),
        Just("severity".to_string()),
        Just("score".to_string()),
        Just("tags".to_string()),
        Just("resolved".to_string()),
        Just("seen".to_string()),
        ".{0,6}",
    ];
    let op = prop_oneof![Just(String::new()), "__[a-z]{0,11}", ".{0,4}"];
    (field, op).prop_map(|(f, o)| f + &o)
}

fn raw_value() -> impl Strategy<Value = String> {
    prop_oneof![".{0,16}", json().prop_map(|v| v.to_string())]
}

proptest! {
    #[test]
    fn parse_query_never_panics(
        path in prop::collection::vec((key(), raw_value()), 0..2),
        query in prop::collection::vec((key(), raw_value()), 0..6),
    ) {
        let _ = parse_query(&INCIDENTS, &path, &query, &["limit"]);
    }

    #[test]
    fn matches_never_panics(op in 0..OPS.len(), value in json(), item in json(), field in "[a-c]") {
        let condition = Condition { field, op: OPS[op], value };
        let item = match item {
            Value::Object(m) => m,
            other => Map::from_iter([("a".to_string(), other)]),
        };
        let _ = condition.matches(&item);
    }

    #[test]
    fn parsed_conditions_evaluate(key in key(), raw in raw_value(), item in json()) {
        if let Ok(conditions) = parse_query(&INCIDENTS, &[], &[(key, raw)], &[]) {
            let item = match item { Value::Object(m) => m, _ => Map::new() };
            for c in conditions {
                let _ = c.matches(&item);
            }
        }
    }
}
