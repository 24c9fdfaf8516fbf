//! Slack (issue 5): real-time message and file DLP with block-and-notify, the server half.
//!
//! The protocol lives in `leakwall-connectors` (verification, event parsing, the Web API
//! client, the connector that deletes and notifies); this module composes it with the store,
//! the queue, the engine and the policies:
//! - [`webhook`]: `POST /webhooks/slack/events` verifies, dedupes by (team, event id) and
//!   enqueues a `slack_event` task, answering at once;
//! - [`task`]: the `slack_event` task scans text and files, decides, acts and records incidents
//!   (or resolves them when the message was deleted);
//! - [`install`]: the OAuth v2 install flow storing each workspace's tokens, so one Leakwall
//!   serves many workspaces;
//! - [`tokens`]: tokens sealed at rest (ChaCha20-Poly1305, key `slack.token_key`) and the
//!   signed OAuth `state`;
//! - [`config`]: the `slack:` settings.
//!
//! Design decision: nothing Slack-specific waits in a request. The webhook does only what must
//! precede the 200 (authenticate, dedupe, persist on the queue); every Web API call happens in
//! the worker, and a Slack rate limit becomes a rescheduled task, never a sleeping worker.

pub mod config;
pub mod ingest;
pub mod install;
pub mod task;
pub mod tokens;
pub mod webhook;

pub use config::{SlackConfig, SlackSettings, StaticTeam};
