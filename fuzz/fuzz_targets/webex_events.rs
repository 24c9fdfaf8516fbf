//! Webex webhook handling on arbitrary bytes: `peek_org`, the delivery parser and the
//! `X-Spark-Signature` check. The first byte picks how the rest is used.
#![no_main]
use leakwall_connectors::webex::{peek_org, EventParser, Handling, WebexVerifier};
use leakwall_connectors::Token;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let parser = EventParser::new(256 * 1024);
    match mode % 3 {
        // The raw body, as the webhook route sees it: org first, then the parser.
        0 => {
            if let Some(org) = peek_org(rest) {
                assert!(!org.is_empty() && org.len() <= 256);
            }
            check(&parser, rest);
        }
        // The input as a messages/created delivery's `data`.
        1 => {
            let mut body =
                br#"{"resource":"messages","event":"created","orgId":"O1","data":"#.to_vec();
            body.extend_from_slice(rest);
            body.push(b'}');
            check(&parser, &body);
        }
        // A signature header, then the body.
        _ => {
            let text = String::from_utf8_lossy(rest);
            let (sig, body) = text.split_once('\n').unwrap_or((&text, ""));
            let verifier = WebexVerifier::new(Token::new("secret"));
            let _ = verifier.verify_signature(sig, body.as_bytes());
        }
    }
});

fn check(parser: &EventParser, body: &[u8]) {
    if let Ok(Handling::Job(job)) = parser.parse(body) {
        // Whatever was parsed must serialize (it travels on the queue).
        assert!(serde_json::to_vec(&job).is_ok());
        assert!(!job.tenant.is_empty() && !job.event_id.is_empty());
    }
}
