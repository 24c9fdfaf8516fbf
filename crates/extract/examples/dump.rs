//! Prints what extraction finds in each file named on the command line:
//! `cargo run -p leakwall-extract --example dump -- FILE...`

use leakwall_extract::{Extractor, Limits, Origin};

fn main() {
    let extractor = Extractor::new(Limits::default());
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let out = extractor.extract(Origin::path(path.as_str()), &bytes, None);
        for s in &out.segments {
            let place = match (&s.origin.page, &s.origin.sheet) {
                (Some(p), _) => format!(" page {p}"),
                (_, Some(sheet)) => format!(" sheet {sheet}"),
                _ => String::new(),
            };
            println!("== {}{place}\n{}", s.origin.display(), s.text);
        }
        for u in &out.unscannable {
            println!(
                "!! {} {}: {}",
                u.origin.display(),
                u.reason.as_str(),
                u.detail
            );
        }
        for m in &out.mismatches {
            println!(
                "?? {} is {} but claims {}",
                m.origin.display(),
                m.detected.as_str(),
                m.declared
            );
        }
    }
}
