//! Integration tests of leakwall-connectors: signature verification, event parsing, the Web
//! API client and the Slack connector against the fake Slack (feature `fake`).

mod client;
mod connector;
mod events;
mod manifest;
mod sender;
mod util;
mod verify;
mod webex_client;
mod webex_connector;
mod webex_events;
mod webex_fake;
mod webex_oauth;
mod webex_verify;
mod webex_webhooks;
