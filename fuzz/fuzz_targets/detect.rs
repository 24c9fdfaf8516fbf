//! The detection engine on arbitrary bytes: every match is in bounds and non-empty, and a
//! stream scanned in small windows on two threads finds exactly what one scan finds.
#![no_main]
use std::sync::OnceLock;

use leakwall_detect::{Scanner, OVERLAP};
use libfuzzer_sys::fuzz_target;

fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(Scanner::builtin)
}

fuzz_target!(|data: &[u8]| {
    let scanner = scanner();
    let whole = scanner.scan(data);
    for m in &whole {
        assert!(m.start < m.end && m.end <= data.len(), "{m:?}");
        assert!((0.0..=1.0).contains(&m.confidence));
    }
    if data.len() > 2 * OVERLAP {
        let mut streamed = Vec::new();
        scanner
            .scan_stream_threads(data, 2 * OVERLAP, 2, |sm| streamed.push(sm.found))
            .expect("reading from memory");
        assert_eq!(streamed, whole);
    }
});
