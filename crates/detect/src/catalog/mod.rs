//! The built-in catalog: every detector Leakwall ships, as data.
//!
//! Token detectors (digits, words, e-mail) are confirmed by the hand-written parsers of
//! [`crate::token`]; their `pattern` documents the same shape as a regex and is what the
//! baseline benchmark runs. Literal and context detectors are confirmed by their `pattern`.

mod credentials;
mod personal;
mod services;

use crate::spec::Spec;

/// Every built-in detector, in a stable order.
pub fn builtin() -> Vec<Spec> {
    let mut specs = personal::specs();
    specs.extend(credentials::specs());
    specs.extend(services::specs());
    specs
}

#[cfg(test)]
mod tests {
    use super::builtin;

    #[test]
    fn ids_are_unique_and_the_catalog_is_large_enough() {
        let specs = builtin();
        let mut ids: Vec<_> = specs.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), specs.len(), "duplicate detector ids");
        assert!(specs.len() >= 45, "only {} detectors", specs.len());
    }

    #[test]
    fn confidences_are_in_range() {
        for s in builtin() {
            assert!((0.0..=1.0).contains(&s.confidence), "{}", s.id);
        }
    }
}
