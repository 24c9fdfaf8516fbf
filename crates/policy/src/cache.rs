//! Memoised decisions. Without custom builtins that reach outside (`ocis.resource.download`,
//! `leakwall.scan`), a query's value is a function of the policies, the data and the input,
//! and a proxy sees the same inputs again and again (the same users uploading to the same
//! paths). A [`PolicySet`](crate::PolicySet) therefore remembers the values of recent
//! evaluations, keyed by query and input; an evaluation that called one of those builtins
//! is never remembered, nor is a failure. Each set has its own cache, so a reload starts
//! empty.
//!
//! Bounded: inputs over [`MAX_INPUT_BYTES`] (serialized) are not cached, and a full cache
//! is emptied before it takes a new entry.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Mutex;

use regorus::Value;

/// Largest serialized input that is cached.
pub const MAX_INPUT_BYTES: usize = 4096;

thread_local! {
    /// Set by builtins whose result is not a function of their arguments.
    static IMPURE: Cell<bool> = const { Cell::new(false) };
}

/// Marks the evaluation running on this thread as not cacheable.
pub(crate) fn mark_impure() {
    IMPURE.with(|c| c.set(true));
}

/// Whether the evaluation on this thread was marked since the last call (and resets it).
pub(crate) fn take_impure() -> bool {
    IMPURE.with(|c| c.replace(false))
}

/// The remembered values of one policy set.
#[derive(Debug, Default)]
pub(crate) struct DecisionCache {
    capacity: usize,
    entries: Mutex<HashMap<(String, String), Value>>,
}

impl DecisionCache {
    /// A cache of up to `capacity` entries (0: nothing is cached).
    pub(crate) fn new(capacity: usize) -> DecisionCache {
        DecisionCache {
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The key of `input`, when it is small enough to cache.
    pub(crate) fn key(&self, input: &serde_json::Value) -> Option<String> {
        if self.capacity == 0 {
            return None;
        }
        serde_json::to_string(input)
            .ok()
            .filter(|s| s.len() <= MAX_INPUT_BYTES)
    }

    /// The remembered value of `query` on the input keyed `key`.
    pub(crate) fn get(&self, query: &str, key: &str) -> Option<Value> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(&(query.to_owned(), key.to_owned())).cloned()
    }

    /// Remembers a value.
    pub(crate) fn put(&self, query: &str, key: String, value: Value) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert((query.to_owned(), key), value);
    }

    /// How many values are remembered.
    pub(crate) fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_cache_starts_over_and_big_inputs_are_not_keyed() {
        let cache = DecisionCache::new(2);
        for (i, query) in ["data.a.b", "data.a.c", "data.a.d"].into_iter().enumerate() {
            cache.put(query, "{}".into(), Value::from(i as u64));
        }
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get("data.a.d", "{}"), Some(Value::from(2u64)));
        assert_eq!(cache.get("data.a.b", "{}"), None);
        let big = serde_json::json!({"x": "y".repeat(MAX_INPUT_BYTES)});
        assert!(cache.key(&big).is_none());
        assert!(DecisionCache::new(0).key(&serde_json::json!({})).is_none());
    }

    #[test]
    fn the_impure_mark_is_per_thread_and_taken_once() {
        mark_impure();
        let other = std::thread::spawn(take_impure).join().unwrap();
        assert!(!other);
        assert!(take_impure());
        assert!(!take_impure());
    }
}
