//! What the two SQL backends share: the clock, receipts, queue names, the in-process wake-up
//! and the long-poll loop, migration scripts, and error mapping.
//!
//! Both backends keep the same model: a row per message with `visible_at` (milliseconds since
//! the Unix epoch), a `receipt` (`<id>:<token>`, fresh on every lease, `NULL` once released)
//! and a `receive_count`; a lease is an update of `visible_at` and `receipt`. A receipt names
//! its row, so `delete`, `extend` and `release` go through the primary key and match the
//! receipt as well: a stale receipt (the message was leased again since) matches nothing.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::{Error, Message};

/// Where a queue reads the time: milliseconds since the Unix epoch.
///
/// Only `now` comes from it (lease ends, delays, ages); long polls still wait in real time.
/// Tests inject a clock they advance by hand, so lease expiry is tested without sleeping.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> u64 + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(Arc::new(|| {
            let since_epoch = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
        }))
    }

    /// A clock that asks `now` (milliseconds since the Unix epoch).
    pub fn from_fn(now: impl Fn() -> u64 + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    /// Now, in milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> u64 {
        (self.0)()
    }

    /// Now, as stored in the database.
    pub(crate) fn now(&self) -> i64 {
        i64::try_from(self.now_millis()).unwrap_or(i64::MAX)
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Clock").field(&self.now_millis()).finish()
    }
}

/// The longest queue name: `leakwall_queue_` and the name must fit PostgreSQL's 63-byte
/// channel names.
const MAX_NAME: usize = 48;

/// Checks a queue name: 1 to 48 ASCII letters, digits, `_` or `-`.
pub(crate) fn check_name(name: &str) -> Result<(), Error> {
    let fits = (1..=MAX_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if fits {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "queue name must be 1 to {MAX_NAME} ASCII letters, digits, `_` or `-`"
        )))
    }
}

/// A fresh random token for the receipts of one lease operation (each row's receipt is
/// `<id>:<token>`, so one token serves a whole batch).
pub(crate) fn lease_token() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Backend(format!("no randomness for a receipt: {e}")))?;
    Ok(hex::encode(bytes))
}

/// The row id a receipt names, if it is one of ours.
pub(crate) fn receipt_id(receipt: &str) -> Option<i64> {
    let (id, token) = receipt.split_once(':')?;
    if token.is_empty() {
        return None;
    }
    id.parse().ok()
}

/// A dead letter's (or message's) row id, if `id` is one of ours.
pub(crate) fn row_id(id: &str) -> Option<i64> {
    id.parse().ok()
}

/// Milliseconds of a duration, as stored.
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// The instant of stored milliseconds.
pub(crate) fn system_time(millis: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

/// A count or limit as bound.
pub(crate) fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// How long before `now` stored milliseconds `then` were.
pub(crate) fn age(now: i64, then: i64) -> Duration {
    Duration::from_millis(u64::try_from(now.saturating_sub(then)).unwrap_or(0))
}

/// A stored count as the trait's `u32`.
pub(crate) fn count(stored: i64) -> u32 {
    u32::try_from(stored).unwrap_or(u32::MAX)
}

/// A stored count as the trait's `u64`.
pub(crate) fn total(stored: i64) -> u64 {
    u64::try_from(stored).unwrap_or(0)
}

/// `values` as one JSON array, for statements that take a list as one parameter.
pub(crate) fn json_array<T: serde::Serialize>(
    values: &[T],
    operation: &'static str,
) -> Result<String, Error> {
    serde_json::to_string(values).map_err(|e| Error::Backend(format!("{operation}: {e}")))
}

/// Maps a database error to [`Error::Backend`], naming the operation. Bodies are only ever
/// bound as parameters, and sqlx errors do not repeat parameters, so no body leaks here.
pub(crate) fn backend(operation: &'static str) -> impl Fn(sqlx::Error) -> Error {
    move |e| Error::Backend(format!("{operation}: {e}"))
}

/// The statements of a migration script: split at `;` that ends a line (but not inside a
/// `$$`-quoted function body), comment-only pieces skipped.
pub(crate) fn statements(script: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    for piece in script.split(";\n") {
        if !current.is_empty() {
            current.push_str(";\n");
        }
        current.push_str(piece);
        if current.matches("$$").count().is_multiple_of(2) {
            let statement = std::mem::take(&mut current);
            let has_code = statement
                .lines()
                .any(|line| !line.trim().is_empty() && !line.trim_start().starts_with("--"));
            if has_code {
                statements.push(statement.trim().to_string());
            }
        }
    }
    statements
}

/// The wake-up shared by every queue object of this process on the same database and queue
/// name, so a send wakes long polls at once.
pub(crate) fn wake_up(database: &str, queue: &str) -> Arc<Notify> {
    static WAKE_UPS: OnceLock<Mutex<HashMap<String, Weak<Notify>>>> = OnceLock::new();
    let key = format!("{database}\u{0}{queue}");
    let mut map = WAKE_UPS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(notify) = map.get(&key).and_then(Weak::upgrade) {
        return notify;
    }
    map.retain(|_, weak| weak.strong_count() > 0);
    let notify = Arc::new(Notify::new());
    map.insert(key, Arc::downgrade(&notify));
    notify
}

/// The first poll interval after an empty lease; it doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(10);
/// The longest interval between polls when no wake-up comes.
const MAX_BACKOFF: Duration = Duration::from_millis(200);

/// Long polling: tries `lease` until it returns messages or `wait` has passed, sleeping
/// between tries until `wake` fires or a backoff (10 ms doubling to 200 ms) passes.
///
/// The wake-up is armed before each try, so a send that lands between an empty try and the
/// sleep is not missed.
pub(crate) async fn long_poll<F, Fut>(
    wake: &Notify,
    wait: Duration,
    mut lease: F,
) -> Result<Vec<Message>, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Vec<Message>, Error>>,
{
    let start = Instant::now();
    let deadline = start
        .checked_add(wait)
        .unwrap_or(start + Duration::from_secs(86_400 * 365));
    let mut backoff = MIN_BACKOFF;
    loop {
        let woken = wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let messages = lease().await?;
        let now = Instant::now();
        if !messages.is_empty() || now >= deadline {
            return Ok(messages);
        }
        tokio::select! {
            () = &mut woken => backoff = MIN_BACKOFF,
            () = tokio::time::sleep(backoff.min(deadline - now)) => {
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// `impl Queue` for a SQL backend (embedded and PostgreSQL share it): each trait method
/// forwards to the backend's inherent method of the same role (`send_one`, `send_many`,
/// `lease`, `delete_leased`, `set_visible`, `bury`, `list_dead`, `resurrect`, `forget_dead`,
/// `count`) and long polls on its `wake`.
macro_rules! impl_sql_queue {
    ($backend:ty) => {
        impl $crate::Queue for $backend {
            fn send(
                &self,
                body: String,
                delay: ::std::time::Duration,
            ) -> $crate::BoxFuture<'_, Result<String, $crate::Error>> {
                Box::pin(self.send_one(body, delay))
            }

            fn send_batch(
                &self,
                bodies: Vec<String>,
            ) -> $crate::BoxFuture<'_, Result<Vec<String>, $crate::Error>> {
                Box::pin(self.send_many(bodies))
            }

            fn receive(
                &self,
                max: usize,
                lease: ::std::time::Duration,
                wait: ::std::time::Duration,
            ) -> $crate::BoxFuture<'_, Result<Vec<$crate::Message>, $crate::Error>> {
                Box::pin(async move {
                    if max == 0 {
                        return Ok(Vec::new());
                    }
                    $crate::sql::long_poll(&self.wake, wait, || self.lease(max, lease)).await
                })
            }

            fn delete(&self, receipt: &str) -> $crate::BoxFuture<'_, Result<(), $crate::Error>> {
                Box::pin(self.delete_leased(vec![receipt.to_string()]))
            }

            fn delete_batch(
                &self,
                receipts: Vec<String>,
            ) -> $crate::BoxFuture<'_, Result<(), $crate::Error>> {
                Box::pin(self.delete_leased(receipts))
            }

            fn extend(
                &self,
                receipt: &str,
                lease: ::std::time::Duration,
            ) -> $crate::BoxFuture<'_, Result<bool, $crate::Error>> {
                let receipt = receipt.to_string();
                Box::pin(async move { self.set_visible(&receipt, lease, false).await })
            }

            fn release(
                &self,
                receipt: &str,
                delay: ::std::time::Duration,
            ) -> $crate::BoxFuture<'_, Result<(), $crate::Error>> {
                let receipt = receipt.to_string();
                Box::pin(async move { self.set_visible(&receipt, delay, true).await.map(drop) })
            }

            fn dead_letter<'a>(
                &'a self,
                message: &'a $crate::Message,
                reason: &'a str,
            ) -> $crate::BoxFuture<'a, Result<(), $crate::Error>> {
                Box::pin(self.bury(message, reason))
            }

            fn dead_letters(
                &self,
                limit: usize,
            ) -> $crate::BoxFuture<'_, Result<Vec<$crate::DeadLetter>, $crate::Error>> {
                Box::pin(self.list_dead(limit))
            }

            fn requeue(&self, dead_id: &str) -> $crate::BoxFuture<'_, Result<bool, $crate::Error>> {
                let dead_id = dead_id.to_string();
                Box::pin(async move { self.resurrect(&dead_id).await })
            }

            fn drop_dead(
                &self,
                dead_id: &str,
            ) -> $crate::BoxFuture<'_, Result<bool, $crate::Error>> {
                let dead_id = dead_id.to_string();
                Box::pin(async move { self.forget_dead(&dead_id).await })
            }

            fn stats(&self) -> $crate::BoxFuture<'_, Result<$crate::Stats, $crate::Error>> {
                Box::pin(self.count())
            }
        }
    };
}
pub(crate) use impl_sql_queue;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("tasks").is_ok());
        assert!(check_name("scan-jobs_2").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name("x\"; DROP TABLE").is_err());
        assert!(check_name(&"q".repeat(49)).is_err());
        assert!(check_name(&"q".repeat(48)).is_ok());
    }

    #[test]
    fn receipts() {
        assert_eq!(receipt_id("42:abc"), Some(42));
        assert_eq!(receipt_id("42:"), None);
        assert_eq!(receipt_id("42"), None);
        assert_eq!(receipt_id("x:abc"), None);
        let (a, b) = (lease_token().ok(), lease_token().ok());
        assert!(a.is_some() && a != b);
    }

    #[test]
    fn scripts_split_into_statements() {
        let script = "-- a comment;\nCREATE TABLE a (x INTEGER);\n\n-- only a comment;\n\
                      CREATE INDEX b ON a (x);\n";
        let parts = statements(script);
        assert_eq!(parts.len(), 2, "{parts:?}");
        let function = "CREATE FUNCTION f() AS $$\nBEGIN\n  PERFORM 1;\nEND;\n$$;\nSELECT 1;\n";
        let parts = statements(function);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(parts[0].ends_with("$$"), "{parts:?}");
    }

    #[tokio::test]
    async fn long_poll_wakes_on_notify() {
        let wake = Arc::new(Notify::new());
        let tries = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let notifier = {
            let wake = wake.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                wake.notify_waiters();
            })
        };
        let start = Instant::now();
        let counted = tries.clone();
        let got = long_poll(&wake, Duration::from_secs(10), || {
            let n = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let woken = start.elapsed() >= Duration::from_millis(50);
            async move {
                Ok(if woken && n > 0 {
                    vec![Message {
                        id: "1".into(),
                        receipt: "1:t".into(),
                        body: String::new(),
                        receive_count: 1,
                        sent_at: UNIX_EPOCH,
                    }]
                } else {
                    Vec::new()
                })
            }
        })
        .await;
        assert_eq!(got.map(|m| m.len()).ok(), Some(1));
        assert!(start.elapsed() < Duration::from_secs(1));
        let _ = notifier.await;
    }
}
