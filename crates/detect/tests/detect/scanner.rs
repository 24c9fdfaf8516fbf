//! Behaviour of the scanner as a whole: one pass over mixed text, custom detectors, filters,
//! streaming across chunk borders, hostile input.

use leakwall_detect::{parse_custom_yaml, Error, Scanner, ScannerConfig, OVERLAP};

fn found(scanner: &Scanner, text: &str) -> Vec<(String, String)> {
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

fn custom(yaml: &str) -> Result<Scanner, Error> {
    let custom = parse_custom_yaml(yaml)?;
    ScannerConfig {
        custom,
        ..ScannerConfig::default()
    }
    .build()
}

#[test]
fn finds_a_mix_of_detectors_in_one_pass() {
    let scanner = Scanner::builtin();
    let text = "card 4111 1111 1111 1111 key AKIAQWERTYUIOPASDFGH mail jane.doe@corp-mail.com \
                from 10.20.30.40 call (415) 555-2671";
    let found = found(&scanner, text);
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

#[test]
fn documentation_examples_are_lowered_not_dropped() {
    let scanner = Scanner::builtin();
    let m = scanner.scan(b"aws_access_key_id = AKIAIOSFODNN7EXAMPLE");
    let aws: Vec<_> = m
        .iter()
        .filter(|m| scanner.detector(m).id() == "aws_access_key")
        .collect();
    assert_eq!(aws.len(), 1);
    assert!(aws[0].confidence <= 0.1, "{}", aws[0].confidence);
}

#[test]
fn context_words_raise_confidence() {
    let scanner = Scanner::builtin();
    let conf = |text: &str| {
        let ms = scanner.scan(text.as_bytes());
        ms.iter()
            .find(|m| scanner.detector(m).id() == "aba_routing")
            .map(|m| m.confidence)
    };
    let bare = conf("ref 021000021 ok").expect("bare routing number");
    let near = conf("routing number 021000021").expect("routing number in context");
    assert!(near > bare, "{near} <= {bare}");
}

#[test]
fn min_confidence_and_only_filter_matches() {
    let text = b"AKIAQWERTYUIOPASDFGH and 4111111111111111";
    let only = ScannerConfig {
        only: Some(vec!["credit_card".into()]),
        ..Default::default()
    };
    let scanner = only.build().unwrap();
    assert_eq!(scanner.detectors().len(), 1);
    assert_eq!(scanner.scan(text).len(), 1);
    let strict = ScannerConfig {
        min_confidence: 0.99,
        ..Default::default()
    }
    .build()
    .unwrap();
    assert!(strict.scan(text).is_empty());
}

#[test]
fn confidence_overrides_replace_the_base_confidence() {
    let text = b"card 4111111111111111";
    let base = Scanner::builtin().scan(text);
    assert_eq!(base.len(), 1);
    let lowered = ScannerConfig {
        confidence: vec![("credit_card".into(), 0.05)],
        min_confidence: 0.5,
        ..Default::default()
    }
    .build()
    .unwrap();
    assert!(
        lowered.scan(text).is_empty(),
        "overridden to 0.05, below the floor"
    );
    let unknown = ScannerConfig {
        confidence: vec![("no_such".into(), 0.5)],
        ..Default::default()
    };
    assert!(matches!(unknown.build(), Err(Error::UnknownDetector(_))));
    let out_of_range = ScannerConfig {
        confidence: vec![("credit_card".into(), 1.5)],
        ..Default::default()
    };
    assert!(out_of_range.build().is_err());
}

#[test]
fn unknown_detector_ids_are_rejected() {
    let config = ScannerConfig {
        only: Some(vec!["no_such".into()]),
        ..Default::default()
    };
    let err = config.build().unwrap_err();
    assert!(
        matches!(&err, Error::UnknownDetector(id) if id == "no_such"),
        "{err}"
    );
}

#[test]
fn custom_detectors_with_keywords_prefixes_and_neither() {
    let scanner = custom(
        r#"
detectors:
  - id: employee_id
    pattern: 'EMP-[0-9]{6}'
  - id: badge
    category: credential
    pattern: '(?i)badge[ :#]+([0-9]{5})'
    keywords: [badge, Badge]
  - id: luhn_ref
    pattern: '[0-9]{4}x[0-9]{4}'
"#,
    )
    .unwrap();
    let got = found(&scanner, "hi EMP-123456, Badge: 98765 ref 1234x5678");
    assert!(
        got.contains(&("employee_id".into(), "EMP-123456".into())),
        "{got:?}"
    );
    assert!(got.contains(&("badge".into(), "98765".into())), "{got:?}");
    assert!(
        got.contains(&("luhn_ref".into(), "1234x5678".into())),
        "{got:?}"
    );
    assert!(scanner.detectors().iter().any(|d| d.is_custom()));
}

#[test]
fn custom_validator_drops_invalid_matches() {
    let scanner =
        custom("detectors:\n  - id: acct\n    pattern: 'ACC[0-9]{16}'\n    validator: luhn\n")
            .unwrap();
    assert_eq!(
        found(&scanner, "ACC4111111111111111").len(),
        0,
        "ACC prefix is not a digit"
    );
    let scanner =
        custom("detectors:\n  - id: acct\n    pattern: 'ACC([0-9]{16})'\n    validator: luhn\n")
            .unwrap();
    let got = found(&scanner, "ACC4111111111111111 ACC4111111111111112");
    let acct: Vec<_> = got.iter().filter(|(id, _)| id == "acct").collect();
    assert_eq!(
        acct,
        vec![&("acct".to_string(), "4111111111111111".to_string())]
    );
}

#[test]
fn an_invalid_custom_pattern_is_rejected_by_name() {
    let err = custom("detectors:\n  - id: broken_one\n    pattern: 'EMP-[0-9'\n").unwrap_err();
    assert!(
        matches!(err, Error::InvalidPattern { ref id, .. } if id == "broken_one"),
        "{err}"
    );
    assert!(err.to_string().contains("broken_one"));
    let err = custom("detectors:\n  - id: empty\n    pattern: 'x*'\n").unwrap_err();
    assert!(err.to_string().contains("empty string"), "{err}");
}

#[test]
fn an_unknown_validator_and_duplicate_ids_are_rejected() {
    let err = custom("detectors:\n  - id: v\n    pattern: 'V[0-9]{4}'\n    validator: nope\n")
        .unwrap_err();
    assert!(
        matches!(err, Error::UnknownValidator { ref name, .. } if name == "nope"),
        "{err}"
    );
    assert!(
        err.to_string().contains("luhn"),
        "lists known validators: {err}"
    );
    let err = custom("detectors:\n  - id: email\n    pattern: 'x[0-9]{3}'\n").unwrap_err();
    assert!(err.to_string().contains("already used"), "{err}");
    let err = custom("detectors:\n  - id: x\n    pattern: 'x'\n    bogus: 1\n").unwrap_err();
    assert!(err.to_string().contains("bogus"), "{err}");
}

#[test]
fn streaming_finds_matches_across_chunk_borders() {
    let scanner = Scanner::builtin();
    let mut text = String::new();
    let mut line = 0;
    while text.len() < OVERLAP * 9 {
        line += 1;
        text.push_str(&format!(
            "{line} chat line with order 12345 and nothing else\n"
        ));
        if line % 97 == 0 {
            text.push_str("key AKIAQWERTYUIOPASDFGH card 4111-1111-1111-1111 ok\n");
        }
    }
    let whole = scanner.scan(text.as_bytes());
    for (chunk, threads) in [(OVERLAP * 2, 1), (OVERLAP * 2 + 7, 2), (OVERLAP * 3 + 1, 3)] {
        let mut streamed = Vec::new();
        scanner
            .scan_stream_threads(text.as_bytes(), chunk, threads, |sm| {
                let line = text[..sm.found.start].matches('\n').count() + 1;
                assert_eq!(sm.line, line, "line of match at {}", sm.found.start);
                assert_eq!(sm.bytes, &text.as_bytes()[sm.found.start..sm.found.end]);
                streamed.push(sm.found);
            })
            .unwrap();
        assert_eq!(streamed, whole, "chunk size {chunk}, {threads} threads");
    }
    assert!(whole.len() > 10);
}

#[test]
fn hostile_bytes_never_panic() {
    let scanner = Scanner::builtin();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let alphabet = b"0123456789 -./:@+()AKIAghp_xoxb-eyJ.=\n\xff\xfeSKbc1";
    for _ in 0..200 {
        let len = (seed % 3000) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                alphabet[(seed % alphabet.len() as u64) as usize]
            })
            .collect();
        for m in scanner.scan(&bytes) {
            assert!(m.start < m.end && m.end <= bytes.len());
        }
    }
}

#[test]
fn regression_database_url_password_is_not_an_email() {
    let scanner = Scanner::builtin();
    let text = "DATABASE_URL=postgres://svc_victor.tanaka:nRvH1IJ5e2sfWLeWcJ@db-28.internal.example.net:5432/app";
    let hits = scanner.scan(text.as_bytes());
    let db = hits
        .iter()
        .find(|m| scanner.detector(m).id() == "database_url")
        .expect("database_url");
    assert!(
        db.confidence >= 0.5,
        "an example.net host does not make it a placeholder"
    );
    assert!(
        hits.iter().all(|m| scanner.detector(m).id() != "email"),
        "{hits:?}"
    );
    let placeholder = scanner.scan(b"postgres://app:password@localhost.example.com/db");
    assert!(
        placeholder.iter().all(|m| m.confidence <= 0.1),
        "{placeholder:?}"
    );
}
