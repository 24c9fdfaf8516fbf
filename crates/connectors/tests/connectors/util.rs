//! Shared fixtures: a fake Slack seeded with a workspace, and envelope builders.

use leakwall_connectors::fake::{FakeFile, FakeMessage, FakeSlack, FakeToken};
use leakwall_connectors::slack::SlackClient;
use serde_json::{json, Value};

pub const BOT: &str = "xoxb-bot";
pub const ADMIN: &str = "xoxp-admin";
pub const MEMBER: &str = "xoxp-member";
pub const BOT_USER: &str = "UBOT";
pub const AUTHOR: &str = "UAUTHOR";
pub const CHANNEL: &str = "C100";
pub const LEAK_TS: &str = "1699999999.000100";
pub const APP: &str = "A0OURAPP";

/// A fake with a bot, an admin user token and a plain member's token, channel `C100` holding
/// one message by `UAUTHOR`.
pub async fn workspace() -> FakeSlack {
    let fake = FakeSlack::start().await.expect("fake starts");
    fake.add_token(FakeToken::bot(
        BOT,
        BOT_USER,
        &["chat:write", "files:read", "channels:history"],
    ));
    fake.add_token(FakeToken::user(ADMIN, "UADMIN", &["chat:write", "files:write"]).admin());
    fake.add_token(FakeToken::user(
        MEMBER,
        "UMEMBER",
        &["chat:write", "files:write"],
    ));
    fake.add_message(FakeMessage::new(
        CHANNEL,
        LEAK_TS,
        AUTHOR,
        "card 4111 1111 1111 1111",
    ));
    fake
}

/// Adds a file of `len` bytes uploaded by the author; returns its download URL.
pub fn add_file(fake: &FakeSlack, id: &str, len: usize) -> String {
    fake.add_file(FakeFile {
        id: id.into(),
        name: "report.txt".into(),
        mimetype: "text/plain".into(),
        user: AUTHOR.into(),
        bytes: vec![b'x'; len],
    })
}

pub fn client(fake: &FakeSlack) -> SlackClient {
    fake.client_config().build().expect("client builds")
}

/// An `event_callback` envelope around `event`, our bot user in `authorizations`.
pub fn envelope(event: Value) -> Vec<u8> {
    json!({
        "token": "legacy", "team_id": "T1", "api_app_id": APP, "type": "event_callback",
        "event_id": "Ev1", "event_time": 1_700_000_000,
        "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": true,
                            "is_enterprise_install": false}],
        "event": event,
    })
    .to_string()
    .into_bytes()
}
