//! Slack: request verification, Events API parsing, the Web API client and the connector
//! that carries out decisions (spec §1–3).
//!
//! Flow: the server's webhook route calls [`SlackVerifier`] (as a
//! [`WebhookVerifier`](crate::WebhookVerifier)) over the raw body, then [`EventParser::parse`];
//! a [`Handling::Job`] goes on the queue. The worker builds a [`SlackConnector`] from the
//! team's tokens, fetches files, decides, and calls [`Connector::act`](crate::Connector::act).

#[cfg(feature = "client")]
pub(crate) mod actor;
#[cfg(feature = "client")]
pub mod client;
pub mod events;
mod message;
#[cfg(feature = "client")]
pub mod types;
pub mod verify;

#[cfg(feature = "client")]
pub use actor::{SlackConnector, SlackTokens};
#[cfg(feature = "client")]
pub use client::{SlackClient, SlackClientConfig};
pub use events::{Authorization, Callback, Delivery, EventParser, Handling, Ignored};
#[cfg(feature = "client")]
pub use types::{FileInfo, Grant, Installation, OAuthExchange, Posted};
pub use verify::{sign, SlackVerifier};
