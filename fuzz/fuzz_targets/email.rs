//! E-mail messages (MIME, transfer encodings, attachments).
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::run(
        "input.eml",
        &common::with_magic(b"From: a@b.example\r\nTo: c@d.example\r\n", data),
    );
});
