//! The access-control model of the admin API (the Scoutr model of
//! `specs/access-control.md`).
//!
//! Admin data ([`Identifier`], [`Group`], [`Permissions`]) is resolved once per request into an
//! [`Access`]: the effective permitted endpoints, the [`Scope`] of items the caller may see
//! (an OR over OIDC groups of ANDed field filters), the excluded fields and the update
//! restrictions. Query strings become [`Condition`]s. Items are JSON objects checked against a
//! [`Schema`].
//!
//! Design decision: this crate decides, it does not fetch. The store turns a [`Scope`] and
//! [`Condition`]s into SQL; the same conditions can be evaluated on an item in memory, which
//! is how writes are checked against the caller's filters.
#![deny(missing_docs)]

mod model;
mod query;
mod schema;

pub use model::{EndpointRule, FieldFilter, Group, Identifier, IdentifierType, Permissions};
pub use query::{Condition, Op, Scope};
pub use schema::{Field, FieldKind, Schema};
