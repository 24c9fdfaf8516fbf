//! Slack webhook parsing: the Events API envelope and inner events, and the v0 verifier's
//! header handling, on arbitrary bytes. The first byte picks how the rest is used.
#![no_main]
use std::time::{Duration, UNIX_EPOCH};

use leakwall_connectors::slack::{Delivery, EventParser, SlackVerifier};
use leakwall_connectors::Token;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let parser = EventParser::new(256 * 1024);
    match mode % 4 {
        // The raw body.
        0 => check(&parser, rest),
        // The input as the inner `event` (often not JSON: then a parse error).
        1 => check(&parser, &wrap(b"", rest, b"")),
        // The input inside a message event's fields.
        2 => check(
            &parser,
            &wrap(
                b"{\"type\":\"message\",\"channel\":\"C1\",\"ts\":\"1.1\",",
                rest,
                b"}",
            ),
        ),
        // Signature and timestamp headers, then the body.
        _ => {
            let text = String::from_utf8_lossy(rest);
            let mut parts = text.splitn(3, '\n');
            let (sig, ts, body) = (parts.next(), parts.next(), parts.next());
            let verifier = SlackVerifier::new(Token::new("secret"));
            let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
            let _ = verifier.verify_parts(
                sig.unwrap_or_default(),
                ts.unwrap_or_default(),
                body.unwrap_or_default().as_bytes(),
                now,
            );
        }
    }
});

fn check(parser: &EventParser, body: &[u8]) {
    if let Ok(Delivery::Callback(callback)) = parser.parse(body) {
        // Whatever was parsed must serialize (it travels on the queue).
        if let leakwall_connectors::slack::Handling::Job(job) = callback.handling {
            assert!(serde_json::to_vec(&job).is_ok());
        }
    }
}

fn wrap(before: &[u8], event: &[u8], after: &[u8]) -> Vec<u8> {
    let mut body = br#"{"type":"event_callback","team_id":"T1","api_app_id":"A1","event_id":"Ev1","event_time":1,"authorizations":[{"user_id":"UB","is_bot":true}],"event":"#.to_vec();
    body.extend_from_slice(before);
    body.extend_from_slice(event);
    body.extend_from_slice(after);
    body.push(b'}');
    body
}
