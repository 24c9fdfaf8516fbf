//! Leakwall's domain vocabulary, shared by every other crate.
//!
//! The main types are [`Segment`] (a piece of text and where it came from), [`Finding`] (what a
//! detector found in a segment: a byte span, never a copy of the secret), [`Unscannable`]
//! (content that could not be scanned, and why) and [`ErrorCode`], the one table of stable
//! error codes that every crate's errors map to.
//!
//! Design decision: a finding carries a masked excerpt only. Code that needs the raw match
//! (for `--show-secrets`) slices it out of the segment it already holds, so a `Finding` can be
//! logged, serialized or stored without leaking what it found.
#![deny(missing_docs)]

mod error;
mod finding;
mod mask;
mod segment;

pub use error::ErrorCode;
pub use finding::{Category, Finding};
pub use mask::mask;
pub use segment::{Origin, Segment, Unscannable, UnscannableReason};
