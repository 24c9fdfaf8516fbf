//! Sharing rules (restricted external sharing, specs/sharing-rules.md): a file-sharing system
//! asks before it applies a share, and gets allow, warn (with side effects) or reject.
//!
//! # Main types
//!
//! - [`Flags`]: `WRITE` and `MANAGE`, independent (`READ` is implied by any share); shown as
//!   the roles viewer {}, editor {WRITE}, owner {WRITE, MANAGE} (and `manager` for MANAGE
//!   alone). OCS permission bits map onto them: WRITE = any of update (2), create (4),
//!   delete (8); MANAGE = share (16).
//! - [`ShareRequest`]: the folder, its access list (its own shares and its parents'), the
//!   requested [`Change`] and the actor, as JSON; validated once (unknown flag, share type or
//!   share, invalid address or path → a [`SharingError`] with a stable kind, nothing decided).
//! - [`SharingConfig`] (enabled, internal pattern, trusted users, groups, custom rules) →
//!   [`SharingRules`] → [`SharingRules::evaluate`] → [`SharingDecision`].
//!
//! # The rules
//!
//! A user is internal when the address matches the pattern (whole address, case-insensitive);
//! public links, e-mail and federated shares are always external; a group share is external
//! when the admin data lists an external member. A folder is externally shared when any
//! share of it or of a parent is external.
//!
//! 1. `external_share`: an internal actor creates a share with an external party → warn, and
//!    revoke WRITE from every internal user or group share of the folder and of the parents'
//!    shares it inherits (one [`SideEffect`] per share). Owners (`folder.owner`) and trusted
//!    users keep their rights.
//! 2. `write_on_external`: an internal user or group is given WRITE (a create with WRITE, or an
//!    update that adds it) on an externally shared folder → reject, listing the external
//!    parties. Trusted users are exempt. Removing WRITE, MANAGE alone and read-only shares
//!    are never rejected by the built-in rules.
//!
//! # Custom rules
//!
//! Rego modules (sources or files) defining [`CUSTOM_QUERY`] (`data.sharing.decision`) over
//! this input:
//!
//! ```text
//! folder:  {path, owner}
//! access:  [{path, share_id, share_type, grantee, flags: ["WRITE", ...], role, internal,
//!            trusted, inherited, groups: [...]}]
//! change:  {kind: create|update, previous_flags, ...the fields of an access entry}
//! actor:   {email, internal, trusted, groups}
//! groups:  {name: [address, ...]}   (the admin data)
//! builtin: the built-in rules' decision
//! ```
//!
//! The answer is `{"decision": "allow"|"warn"|"reject", "message", "side_effects"}`; an
//! undefined rule is no opinion. The final decision is the stricter of the built-in and the
//! custom one (equal ones are merged). Default deny: an evaluation error, a malformed answer
//! or a warn/reject without a message rejects.
//!
//! Design decision: the built-in rules are plain Rust over the validated request rather than
//! Rego, so they run in microseconds on access lists of thousands of entries and cannot be
//! broken by a policy edit; Rego is paid for only when custom rules exist.

mod custom;
mod decision;
mod error;
mod flags;
mod model;
mod rules;

pub use custom::CUSTOM_QUERY;
pub use decision::{SharingDecision, SharingOutcome, SideEffect, SideEffectAction};
pub use error::SharingError;
pub use flags::{
    ocs_without_write, Flags, OCS_ALL, OCS_CREATE, OCS_DELETE, OCS_READ, OCS_SHARE, OCS_UPDATE,
    OCS_WRITE_BITS,
};
pub use model::{
    address, AccessEntry, Change, ChangeKind, FolderRef, ShareRequest, ShareType,
    MAX_ACCESS_ENTRIES, MAX_FIELD_BYTES,
};
pub use rules::{SharingConfig, SharingRules, RULE_EXTERNAL_SHARE, RULE_WRITE_ON_EXTERNAL};
