//! Webex real-time file DLP (spec §5): webhook verification and delivery parsing.
//!
//! Flow: the server's webhook route reads the org id with [`peek_org`], builds a
//! [`WebexVerifier`] with that org's webhook secret and verifies the raw body (as a
//! [`WebhookVerifier`](crate::WebhookVerifier)), then [`EventParser::parse`]; a
//! [`Handling::Job`] goes on the queue.

pub mod events;
pub mod verify;

pub use events::{content_id, EventParser, Handling, Ignored};
pub use verify::{peek_org, sign, WebexVerifier};
