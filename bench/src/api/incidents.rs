//! Realistic, deterministic incidents: the rows `api_latency` fills the store with.
//!
//! Row `i` of seed `s` is always the same. Channels (`C0`..`C39`) and authors follow a skewed
//! popularity (a few busy channels and people, a long tail); detectors and their categories,
//! statuses (mostly `open`) and sources (`slack`, `webex`, `upload`) are weighted draws; the
//! creation time grows with the row number over one year (as a real table, where ids and times
//! rise together), with up to a minute of jitter. Excerpts are masked as the engine masks them.

use leakwall_store::Item;
use serde_json::Value;
use time::macros::{datetime, format_description};
use time::{Duration, OffsetDateTime};

use crate::rng::Rng;

/// The number of channels, named `C0`..`C39`; `C0` is the busiest.
pub const CHANNELS: usize = 40;
/// The number of authors; the first ones are the busiest (`ann` is the busiest of all).
pub const AUTHORS: usize = 500;
/// The first creation time; rows spread over the year that follows.
pub const FIRST: OffsetDateTime = datetime!(2025-11-01 00:00 UTC);

const FIRST_NAMES: [&str; 50] = [
    "ann", "bob", "carla", "dmitri", "eve", "farid", "grace", "hugo", "ines", "jon", "kenji",
    "lena", "mehdi", "nora", "omar", "paula", "quentin", "rosa", "sven", "tara", "ugo", "vera",
    "wei", "xena", "yusuf", "zoe", "alan", "beth", "cyril", "dana", "emil", "fay", "gil", "hana",
    "igor", "jade", "karl", "lucia", "milo", "nina", "oscar", "pia", "raj", "sara", "tom", "uma",
    "victor", "wanda", "yann", "zack",
];

/// Detector ids, their categories, relative frequency and a masked excerpt.
const DETECTORS: [(&str, &str, u64, &str); 20] = [
    (
        "credit_card",
        "financial",
        120,
        "card 4111 **** **** 1111 for the refund",
    ),
    (
        "iban",
        "financial",
        60,
        "wire to DE89 **** **** **** **** 00 today",
    ),
    (
        "us_bank_account",
        "financial",
        15,
        "routing 0210**** acct ******4821",
    ),
    (
        "email_address",
        "pii",
        200,
        "ping j***@example.com about it",
    ),
    ("phone_number", "pii", 140, "call me on +1 415 *** **21"),
    ("us_ssn", "pii", 40, "SSN ***-**-6789 on the form"),
    ("us_passport", "pii", 10, "passport no. *****4567"),
    ("date_of_birth", "pii", 25, "DOB 19**-**-14 per HR"),
    (
        "aws_access_key",
        "credential",
        50,
        "AWS_ACCESS_KEY_ID=AKIA************MPLE",
    ),
    (
        "github_token",
        "credential",
        45,
        "token ghp_****************************1a2B",
    ),
    (
        "slack_token",
        "credential",
        20,
        "bot token xoxb-****-****-****",
    ),
    (
        "stripe_key",
        "credential",
        15,
        "sk_live_****************9xQz in .env",
    ),
    (
        "private_key",
        "credential",
        12,
        "-----BEGIN RSA PRIVATE KEY----- MIIE****",
    ),
    (
        "jwt",
        "credential",
        35,
        "Authorization: Bearer eyJh****.****.****",
    ),
    (
        "password",
        "credential",
        90,
        "password=********** for staging db",
    ),
    (
        "database_url",
        "credential",
        30,
        "postgres://app:********@db.internal/prod",
    ),
    (
        "gcp_api_key",
        "credential",
        12,
        "key=AIza*******************************Q",
    ),
    (
        "openai_key",
        "credential",
        18,
        "OPENAI_API_KEY=sk-****************T3Bl",
    ),
    (
        "azure_storage_key",
        "credential",
        8,
        "AccountKey=****************==;",
    ),
    (
        "generic_secret",
        "credential",
        55,
        "secret: 9f8a**************************c1",
    ),
];

const STATUSES: [(&str, u64); 5] = [
    ("open", 78),
    ("acknowledged", 8),
    ("resolved", 10),
    ("false_positive", 3),
    ("ignored", 1),
];
const SOURCES: [(&str, u64); 3] = [("slack", 62), ("webex", 28), ("upload", 10)];
const ACTIONS: [(&str, &str, u64); 3] = [
    ("alert", "delivered", 70),
    ("redact", "redacted", 20),
    ("block", "blocked", 10),
];
const FILE_KINDS: [&str; 5] = ["xlsx", "docx", "pdf", "zip", "csv"];

/// Cumulative weights: draws an index with probability proportional to its weight.
#[derive(Debug, Clone)]
pub struct Weighted {
    cumulative: Vec<u64>,
}

impl Weighted {
    /// A table over `weights` (at least one, not all zero).
    pub fn new(weights: impl IntoIterator<Item = u64>) -> Weighted {
        let mut total = 0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Weighted { cumulative }
    }

    /// Zipf-like popularity: item `k` weighs `1 / (k + offset)`.
    pub fn zipf(n: usize, offset: u64) -> Weighted {
        Weighted::new((0..n as u64).map(|k| 1_000_000 / (k + offset)))
    }

    /// An index drawn by weight.
    pub fn draw(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1);
        let x = rng.below(total);
        self.cumulative.partition_point(|&c| c <= x)
    }
}

/// The name of author `k`: `ann`, `bob`, ..., then `ann1`, `bob1`, ...
pub fn author(k: usize) -> String {
    let first = FIRST_NAMES[k % FIRST_NAMES.len()];
    match k / FIRST_NAMES.len() {
        0 => first.to_owned(),
        n => format!("{first}{n}"),
    }
}

/// An endless, reproducible stream of incidents (`take(n)` it).
#[derive(Debug, Clone)]
pub struct IncidentGen {
    seed: u64,
    next: u64,
    rows: u64,
    channels: Weighted,
    authors: Weighted,
    detectors: Weighted,
    statuses: Weighted,
    sources: Weighted,
    actions: Weighted,
}

impl IncidentGen {
    /// Rows `0..rows` of `seed` (the row count sets how densely the year is filled).
    pub fn new(seed: u64, rows: u64) -> IncidentGen {
        IncidentGen {
            seed,
            next: 0,
            rows: rows.max(1),
            channels: Weighted::zipf(CHANNELS, 1),
            authors: Weighted::zipf(AUTHORS, 5),
            detectors: Weighted::new(DETECTORS.iter().map(|d| d.2)),
            statuses: Weighted::new(STATUSES.iter().map(|s| s.1)),
            sources: Weighted::new(SOURCES.iter().map(|s| s.1)),
            actions: Weighted::new(ACTIONS.iter().map(|a| a.2)),
        }
    }

    /// Row `i`, independent of the rows before it.
    pub fn row(&self, i: u64) -> Item {
        let mut rng = Rng::new(self.seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let source = SOURCES[self.sources.draw(&mut rng)].0;
        let (detector, category, _, excerpt) = DETECTORS[self.detectors.draw(&mut rng)];
        let (action, outcome, _) = ACTIONS[self.actions.draw(&mut rng)];
        let mut item = Item::new();
        let mut put = |key: &str, value: Value| item.insert(key.to_owned(), value);
        put("source", source.into());
        if source == "upload" {
            let kind = rng.pick(&FILE_KINDS);
            put(
                "file",
                format!("export-{}.{kind}", rng.below(100_000)).into(),
            );
            put(
                "location",
                format!("sheet 1, row {}", rng.range(2, 5000)).into(),
            );
        } else {
            let channel = self.channels.draw(&mut rng);
            put("channel", format!("C{channel}").into());
            let ts = FIRST.unix_timestamp() as u64 + rng.below(31_536_000);
            put(
                "message",
                format!("{ts}.{:06}", rng.below(1_000_000)).into(),
            );
            put("location", format!("offset {}", rng.below(4000)).into());
        }
        put("author", author(self.authors.draw(&mut rng)).into());
        put("excerpt", excerpt.into());
        put("detector", detector.into());
        put("category", category.into());
        put("confidence", (0.5 + rng.below(500) as f64 / 1000.0).into());
        put("action", action.into());
        put("outcome", outcome.into());
        put("status", STATUSES[self.statuses.draw(&mut rng)].0.into());
        put("created_at", self.created_at(i, &mut rng).into());
        item
    }

    /// Row `i`'s time: `i / rows` of the way through the year, plus up to a minute.
    fn created_at(&self, i: u64, rng: &mut Rng) -> String {
        let year_ms: u64 = 365 * 86_400 * 1000;
        let offset_ms = (i as u128 * year_ms as u128 / self.rows as u128) as u64;
        let at = FIRST + Duration::milliseconds((offset_ms + rng.below(60_000)) as i64);
        format_time(at)
    }
}

impl Iterator for IncidentGen {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        let row = self.row(self.next);
        self.next += 1;
        Some(row)
    }
}

/// The store's time format: RFC 3339 UTC with milliseconds (`2026-03-01T12:00:00.000Z`).
pub fn format_time(at: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.format(&format)
        .unwrap_or_else(|_| "9999-12-31T23:59:59.999Z".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_reproducible_and_well_formed() {
        let gen = IncidentGen::new(7, 1000);
        assert_eq!(gen.row(123), IncidentGen::new(7, 1000).row(123));
        assert_ne!(gen.row(1), gen.row(2));
        let first = gen.row(0);
        let created = first["created_at"].as_str().unwrap_or_default();
        assert!(created.starts_with("2025-11-01T00:0"), "{created}");
        assert_eq!(created.len(), "2026-03-01T12:00:00.000Z".len());
        let last = gen.row(999);
        assert!(last["created_at"].as_str().unwrap_or_default() >= "2026-10-31");
    }

    #[test]
    fn popularity_is_skewed() {
        let mut rng = Rng::new(1);
        let channels = Weighted::zipf(CHANNELS, 1);
        let mut counts = [0u32; CHANNELS];
        for _ in 0..100_000 {
            counts[channels.draw(&mut rng)] += 1;
        }
        assert!(counts[0] > 10 * counts[39] && counts[39] > 0, "{counts:?}");
        assert_eq!(author(0), "ann");
        assert_eq!(author(51), "bob1");
    }
}
