//! ODT and ODS: the input becomes `content.xml` and `styles.xml` (split at 0xFF; the first
//! byte picks the kind) of a well-formed package.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let p = common::parts(rest, 2);
    let (mime, name): (&[u8], _) = if kind % 2 == 0 {
        (b"application/vnd.oasis.opendocument.text", "input.odt")
    } else {
        (
            b"application/vnd.oasis.opendocument.spreadsheet",
            "input.ods",
        )
    };
    let bytes = common::zip_of(
        &[
            ("mimetype", mime),
            ("content.xml", p[0]),
            ("styles.xml", p[1]),
        ],
        true,
    );
    common::run(name, &bytes);
});
