//! Leakwall's policy engine: Rego policies (through the `regorus` interpreter) compiled once
//! and evaluated many times, with default deny, limits that are always set, the oCIS custom
//! builtins, and an `opa test`-style runner.
//!
//! # Main types
//!
//! - [`PolicyConfig`] (the `policies.engine` settings) → [`Settings`] (validated: a time limit
//!   and a policy size limit always exist) → [`PolicySetBuilder`] (sources from files,
//!   directories of `*.rego` or `(name, text)` pairs; JSON/YAML data documents; the MIME
//!   table; the `leakwall.scan` and `ocis.resource.download` hooks) → [`PolicySet`].
//! - [`PolicySet::eval`] gives the raw value of a query (`None` when undefined), for the
//!   OPA-style data API; [`PolicySet::evaluate_bool`] gives a [`Verdict`].
//! - [`Decision`] wraps "a set, or why it could not be built", so that a missing file or a
//!   compile error is a deny with that reason rather than a crash (oCIS semantics), and
//!   parses Leakwall's richer [`DecisionDocument`] strictly.
//! - [`run_tests`] runs every `test_*` rule and reports a [`TestResult`] per test.
//!
//! # Default deny (spec §1.7)
//!
//! Only a single boolean `true` allows. `false`, an undefined rule or package, a value that
//! is not a boolean, a missing or unreadable policy, a compile error, an engine error (strict
//! builtin errors stay on: a failing builtin fails the query instead of making it undefined)
//! and the time limit all deny, each with its own [`DenyReason`]. regorus finds a call to an
//! unknown function only when the rule that makes it is evaluated, so that case denies as an
//! engine error rather than a compile error.
//!
//! # Design decision: one prepared engine, cloned per evaluation
//!
//! regorus offers two ways to share compiled policies between threads: a `CompiledPolicy`
//! behind an `Arc` (evaluation through `&self`, one entry-point rule fixed at compile time)
//! or a prepared `Engine` cloned per evaluation (the clone shares the parsed modules, the
//! analysis and the data through reference counts). We clone the engine, because:
//!
//! - queries are chosen per call (gRPC `Evaluate(query, …)`, the data API, `policy eval`),
//!   whereas a `CompiledPolicy` is tied to one rule;
//! - a `CompiledPolicy` evaluation builds its engine with the process-global fallback time
//!   limit only, so a per-set timeout would have to be global; a cloned engine keeps its own
//!   `ExecutionTimerConfig`;
//! - it measured faster: 12–14 µs per evaluation on one thread and 140,909 vs 114,221
//!   evaluations/s on two threads for a small oCIS-like proxy policy (specs/dependencies.md).
//!
//! The set is built once (parse, analysis and scheduling are forced at build time, so a policy
//! that cannot run is a build error) and then only read: wrap it in an `Arc` and evaluate from
//! any thread. Hot reload is building a new set and swapping the `Arc`.
//!
//! # Remembered decisions
//!
//! Interpreting even a small policy costs tens of microseconds (every expression is walked),
//! while a proxy asks the same question about the same input again and again. A set remembers
//! up to [`Settings::decision_cache`] values by (query, input) and answers a repeat in about a
//! microsecond. Only pure evaluations are remembered: one that called
//! `ocis.resource.download` or `leakwall.scan` (whose answers change without the set
//! changing) or that failed is evaluated again every time. A new set starts with an empty
//! cache, so a reload never serves an old answer.
//!
//! # Limits
//!
//! Every engine has an execution time limit (default 10 s, oCIS `POLICIES_ENGINE_TIMEOUT`),
//! checked cooperatively every 32 work units; one long builtin call is not interrupted, so
//! builtins that do I/O (the download hook) must carry their own timeout. Policy sources are
//! capped (default 1 MiB each, also enforced by regorus with its line and column limits) and
//! data documents at 32 MiB. Queries must be `data` references (`data.pkg.rule`).
//!
//! # Rego v0 and v1
//!
//! Rego v1 is the default (as in OPA 1.x and regorus); [`Settings::with_rego_v0`] switches the
//! whole set to v0 for the oCIS example policies (a v0 engine still accepts modules that
//! `import rego.v1`).
//!
//! # Builtins
//!
//! `ocis.mimetype.extensions(type)` (leading dots, sorted, empty for an unknown type; a fixed
//! built-in table extended by an Apache `mime.types` file, instead of the host's tables, so
//! every host decides alike), `ocis.mimetype.detect(bytes)` (magic numbers; `bytes` is a
//! base64 string as oCIS passes it, or an array of byte values), `ocis.resource.download(url)`
//! and `leakwall.scan(text)` (host hooks, [`FetchFn`] and [`ScanFn`]: this crate does no
//! network I/O and does not depend on the detectors).
//!
//! # Sharing rules
//!
//! [`sharing`]: restricted external sharing for file-sharing systems (flags, internal and
//! external users, the two built-in rules, custom rules in Rego).
#![deny(missing_docs)]

mod builtins;
mod cache;
mod config;
mod error;
mod set;
pub mod sharing;
mod source;
mod testing;
mod verdict;

pub use builtins::mimes::MimeTable;
pub use builtins::{FetchFn, ScanFn, BUILTINS};
pub use config::{
    PolicyConfig, Settings, DEFAULT_DECISION_CACHE, DEFAULT_MAX_POLICY_BYTES, DEFAULT_TIMEOUT,
};
pub use error::{Error, EvalError};
pub use set::{PolicySet, PolicySetBuilder};
pub use source::MAX_DATA_BYTES;
pub use testing::{run_tests, Outcome, TestResult};
pub use verdict::{Action, Decision, DecisionDocument, DenyReason, Verdict};

/// Sniffs the MIME type of `bytes` the way `ocis.mimetype.detect` does.
pub fn detect_mime_type(bytes: &[u8]) -> &'static str {
    builtins::sniff::detect(bytes)
}
