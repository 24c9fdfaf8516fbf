//! The Slack app manifest asks for what the connector uses and subscribes to what the parser
//! handles.

use serde_yaml::Value;

fn manifest() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/slack/manifest.yaml"
    );
    serde_yaml::from_str(&std::fs::read_to_string(path).expect("manifest exists")).unwrap()
}

fn list(value: &Value) -> Vec<&str> {
    value
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

#[test]
fn scopes_cover_what_the_connector_calls() {
    let m = manifest();
    let scopes = &m["oauth_config"]["scopes"];
    let bot = list(&scopes["bot"]);
    for needed in [
        "channels:history",
        "groups:history",
        "im:history",
        "mpim:history",
    ] {
        assert!(bot.contains(&needed), "bot scope {needed}");
    }
    // files.info + downloads, notices (postMessage, postEphemeral).
    for needed in ["files:read", "chat:write"] {
        assert!(bot.contains(&needed), "bot scope {needed}");
    }
    // Deleting other people's messages and files takes the admin's user token.
    let user = list(&scopes["user"]);
    for needed in ["chat:write", "files:write"] {
        assert!(user.contains(&needed), "user scope {needed}");
    }
}

#[test]
fn events_match_the_parser_and_point_at_our_route() {
    let m = manifest();
    let subscriptions = &m["settings"]["event_subscriptions"];
    let events = list(&subscriptions["bot_events"]);
    for needed in [
        "message.channels",
        "message.groups",
        "message.im",
        "message.mpim",
        "file_shared",
    ] {
        assert!(events.contains(&needed), "event {needed}");
    }
    let url = subscriptions["request_url"].as_str().unwrap();
    assert!(url.ends_with("/webhooks/slack/events"), "{url}");
    let redirect = list(&m["oauth_config"]["redirect_urls"]);
    assert!(redirect
        .iter()
        .all(|u| u.ends_with("/oauth/slack/callback")));
}
