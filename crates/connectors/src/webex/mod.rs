//! Webex real-time file DLP (spec §5): webhook verification and delivery parsing; with
//! feature `client`, the REST client (hold, download, verdict, messages), webhook management
//! ([`webhooks`]) and the OAuth grant ([`oauth`]).
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
#[cfg(feature = "client")]
pub mod oauth;
pub mod verify;
#[cfg(feature = "client")]
pub mod webhooks;

#[cfg(feature = "client")]
pub use actor::WebexConnector;
#[cfg(feature = "client")]
pub use client::{ContentInfo, Recipient, Verdict, WebexClient, WebexClientConfig, WebexMessage};
pub use events::{content_id, EventParser, Handling, Ignored};
#[cfg(feature = "client")]
pub use oauth::{authorize_url, TokenGrant};
pub use verify::{peek_org, sign, WebexVerifier};
#[cfg(feature = "client")]
pub use webhooks::Webhook;
