//! Behaviour of the scanner as a whole: custom detectors, filters, streaming.

use leakwall_detect::{parse_custom_yaml, Error, Scanner, ScannerConfig};

fn ids(scanner: &Scanner, text: &str) -> Vec<(String, String)> {
    scanner
        .scan(text.as_bytes())
        .iter()
        .map(|m| {
            (
                scanner.detector(m).id().to_string(),
                text[m.start..m.end].to_string(),
            )
        })
        .collect()
}

#[test]
fn finds_a_mix_of_detectors_in_one_pass() {
    let scanner = Scanner::builtin();
    let text = "card 4111 1111 1111 1111 key AKIAQWERTYUIOPASDFGH mail jane.doe@corp-mail.com \
                from 10.20.30.40 call (415) 555-2671";
    let found = ids(&scanner, text);
    for (id, span) in [
        ("credit_card", "4111 1111 1111 1111"),
        ("aws_access_key", "AKIAQWERTYUIOPASDFGH"),
        ("email", "jane.doe@corp-mail.com"),
        ("ipv4", "10.20.30.40"),
        ("phone", "(415) 555-2671"),
    ] {
        assert!(
            found.iter().any(|(i, s)| i == id && s == span),
            "{id} {span:?} not in {found:?}"
        );
    }
}
