//! The leases this process handed out, with their deadlines.
//!
//! SQS cannot be trusted to refuse the receipt handle of an expired lease (moto never does), so
//! [`super::SqsQueue`] books each lease's deadline and treats a receipt past it as stale.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long an expired lease is remembered (then SQS alone judges its receipt).
const REMEMBER_EXPIRED: Duration = Duration::from_secs(15 * 60);

/// What this process knows about a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lease {
    /// Handed out here and not expired.
    Held,
    /// Handed out here and expired: the receipt is stale.
    Expired,
    /// Not handed out here (or ended long ago): SQS decides.
    Unknown,
}

/// Receipt handle → lease deadline.
#[derive(Debug, Default)]
pub(super) struct LeaseBook {
    deadlines: Mutex<HashMap<String, Instant>>,
}

impl LeaseBook {
    /// Books receipts just received, all held until `until`; forgets long-expired ones.
    pub(super) fn hold_all<'a>(&self, receipts: impl Iterator<Item = &'a str>, until: Instant) {
        let mut deadlines = self.lock();
        let now = Instant::now();
        deadlines.retain(|_, deadline| now.saturating_duration_since(*deadline) < REMEMBER_EXPIRED);
        for receipt in receipts {
            deadlines.insert(receipt.to_owned(), until);
        }
    }

    /// Books (or moves) one lease's deadline.
    pub(super) fn hold(&self, receipt: &str, until: Instant) {
        self.lock().insert(receipt.to_owned(), until);
    }

    /// Whether the lease of `receipt` is held, expired or unknown here.
    pub(super) fn check(&self, receipt: &str) -> Lease {
        match self.lock().get(receipt) {
            Some(deadline) if *deadline > Instant::now() => Lease::Held,
            Some(_) => Lease::Expired,
            None => Lease::Unknown,
        }
    }

    /// Ends a lease (deleted, released, dead-lettered, or refused by SQS): its receipt is
    /// stale from now on.
    pub(super) fn end(&self, receipt: &str) {
        self.lock().insert(receipt.to_owned(), Instant::now());
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        // The map stays consistent even if a holder panicked: every update is one call.
        self.deadlines.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_expire_and_end() {
        let book = LeaseBook::default();
        let now = Instant::now();
        book.hold_all(["a", "b"].into_iter(), now + Duration::from_secs(60));
        book.hold("c", now);
        assert_eq!(book.check("a"), Lease::Held);
        assert_eq!(book.check("c"), Lease::Expired);
        assert_eq!(book.check("d"), Lease::Unknown);
        book.end("a");
        assert_eq!(book.check("a"), Lease::Expired);
        assert_eq!(book.check("b"), Lease::Held);
    }
}
