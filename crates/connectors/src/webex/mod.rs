//! Webex real-time file DLP (spec §5): webhook verification and delivery parsing.
//!
//! Flow: the server's webhook route reads the org id with [`peek_org`], builds a
//! [`WebexVerifier`] with that org's webhook secret and verifies the raw body (as a
//! [`WebhookVerifier`](crate::WebhookVerifier)), then [`EventParser::parse`]; a
//! [`Handling::Job`] goes on the queue.

#[cfg(feature = "client")]
mod actor;
#[cfg(feature = "client")]
pub mod client;
pub mod events;
pub mod verify;

#[cfg(feature = "client")]
pub use actor::WebexConnector;
#[cfg(feature = "client")]
pub use client::{ContentInfo, Recipient, Verdict, WebexClient, WebexClientConfig, WebexMessage};
pub use events::{content_id, EventParser, Handling, Ignored};
pub use verify::{peek_org, sign, WebexVerifier};
