//! Evaluating a [`Condition`] on an item in memory.
//!
//! The store evaluates the same conditions in SQL; the rules here are the reference:
//! - a missing field and a `null` field are the same: only the negative operators (`Ne`,
//!   `NotIn`, `NotContains`) and `Exists(false)` hold on them;
//! - equality is lenient between a string and a scalar: numbers and booleans compare by their
//!   JSON text (`"5"` equals `5`), two numbers compare numerically (`5` equals `5.0`);
//! - ordering (`Gt`..`Lte`, `Between`) compares two numbers numerically and two strings
//!   lexicographically (so RFC 3339 UTC times compare correctly); mixed types never match.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use crate::query::{Condition, Op};

impl Condition {
    /// Whether `item` satisfies this condition.
    pub fn matches(&self, item: &Map<String, Value>) -> bool {
        let found = item.get(&self.field).filter(|v| !v.is_null());
        let Some(actual) = found else {
            return match self.op {
                Op::Ne | Op::NotIn | Op::NotContains => true,
                Op::Exists => self.value == Value::Bool(false),
                _ => false,
            };
        };
        let want = &self.value;
        match self.op {
            Op::Eq => loose_eq(actual, want),
            Op::Ne => !loose_eq(actual, want),
            Op::In => is_member(actual, want),
            Op::NotIn => want.is_array() && !is_member(actual, want),
            Op::StartsWith => match (actual, scalar_text(want)) {
                (Value::String(s), Some(prefix)) => s.starts_with(prefix.as_ref()),
                _ => false,
            },
            Op::Contains => contains(actual, want),
            Op::NotContains => !contains(actual, want),
            Op::Exists => *want == Value::Bool(true),
            Op::Gt => compare(actual, want) == Some(Ordering::Greater),
            Op::Lt => compare(actual, want) == Some(Ordering::Less),
            Op::Gte => matches!(
                compare(actual, want),
                Some(Ordering::Greater | Ordering::Equal)
            ),
            Op::Lte => matches!(
                compare(actual, want),
                Some(Ordering::Less | Ordering::Equal)
            ),
            Op::Between => between(actual, want),
        }
    }
}

/// The text a scalar compares by: a string as it is, a number or a bool as its JSON text.
fn scalar_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y) == Some(Ordering::Equal),
        _ => match (scalar_text(a), scalar_text(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

fn is_member(actual: &Value, list: &Value) -> bool {
    match list {
        Value::Array(items) => items.iter().any(|w| loose_eq(actual, w)),
        _ => false,
    }
}

fn contains(actual: &Value, want: &Value) -> bool {
    match actual {
        Value::String(s) => scalar_text(want).is_some_and(|part| s.contains(part.as_ref())),
        Value::Array(items) => items.iter().any(|v| loose_eq(v, want)),
        _ => false,
    }
}

fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y),
        (Value::String(x), Value::String(y)) => Some(x.as_str().cmp(y.as_str())),
        _ => None,
    }
}

fn compare_numbers(x: &Number, y: &Number) -> Option<Ordering> {
    if let (Some(a), Some(b)) = (x.as_i64(), y.as_i64()) {
        return Some(a.cmp(&b));
    }
    if let (Some(a), Some(b)) = (x.as_u64(), y.as_u64()) {
        return Some(a.cmp(&b));
    }
    x.as_f64()?.partial_cmp(&y.as_f64()?)
}

fn between(actual: &Value, range: &Value) -> bool {
    let Value::Array(bounds) = range else {
        return false;
    };
    let [low, high] = bounds.as_slice() else {
        return false;
    };
    matches!(
        compare(actual, low),
        Some(Ordering::Greater | Ordering::Equal)
    ) && matches!(
        compare(actual, high),
        Some(Ordering::Less | Ordering::Equal)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cond(field: &str, op: Op, value: Value) -> Condition {
        Condition {
            field: field.into(),
            op,
            value,
        }
    }

    fn item(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn equality_is_lenient_between_text_and_numbers() {
        let it = item(json!({"n": 5, "f": 5.0, "b": true}));
        assert!(cond("n", Op::Eq, json!("5")).matches(&it));
        assert!(cond("n", Op::Eq, json!(5.0)).matches(&it));
        assert!(cond("f", Op::Eq, json!(5)).matches(&it));
        assert!(cond("b", Op::Eq, json!("true")).matches(&it));
        assert!(!cond("n", Op::Eq, json!("6")).matches(&it));
    }

    #[test]
    fn null_is_missing() {
        let it = item(json!({"a": null}));
        assert!(!cond("a", Op::Eq, Value::Null).matches(&it));
        assert!(cond("a", Op::Ne, json!("x")).matches(&it));
        assert!(cond("a", Op::Exists, json!(false)).matches(&it));
        assert!(!cond("a", Op::Exists, json!(true)).matches(&it));
    }

    #[test]
    fn ordering_of_mixed_types_never_matches() {
        let it = item(json!({"n": 5}));
        assert!(!cond("n", Op::Gt, json!("1")).matches(&it));
        assert!(!cond("n", Op::Lt, json!("9")).matches(&it));
        assert!(cond("n", Op::Gt, json!(1)).matches(&it));
    }

    #[test]
    fn large_integers_compare_exactly() {
        let it = item(json!({"n": 9_007_199_254_740_993_i64}));
        assert!(cond("n", Op::Gt, json!(9_007_199_254_740_992_i64)).matches(&it));
        assert!(!cond("n", Op::Eq, json!(9_007_199_254_740_992_i64)).matches(&it));
    }
}
