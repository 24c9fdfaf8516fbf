//! The access-control model of the admin API (the Scoutr model of
//! `specs/access-control.md`).
//!
//! Admin data ([`Identifier`], [`Group`], [`Permissions`]) is resolved once per request into an
//! [`Access`]: the effective permitted endpoints, the [`Scope`] of items the caller may see
//! (an OR over OIDC groups of ANDed field filters), the excluded fields and the update
//! restrictions. Query strings become [`Condition`]s ([`parse_query`]). Items are JSON objects
//! checked against a [`Schema`] ([`validate_create`], [`validate_update`]).
//!
//! Design decision: this crate decides, it does not fetch. The store turns a [`Scope`] and
//! [`Condition`]s into SQL; the same conditions can be evaluated on an item in memory
//! ([`Condition::matches`], the reference semantics), which is how writes are checked against
//! the caller's filters.
#![deny(missing_docs)]

mod access;
mod endpoint;
mod error;
mod eval;
mod model;
mod parse;
mod query;
mod rfc3339;
mod schema;
mod validate;

pub use access::Access;
pub use error::{AccessError, Denied, DeniedReason, QueryError, ValidationError};
pub use model::{EndpointRule, FieldFilter, Group, Identifier, IdentifierType, Permissions};
pub use parse::{parse_query, MAX_LIST_LEN};
pub use query::{Condition, Op, Scope};
pub use rfc3339::is_rfc3339;
pub use schema::{Field, FieldKind, Schema};
pub use validate::{validate_create, validate_update, FieldCheck, Validators, Verdict};
