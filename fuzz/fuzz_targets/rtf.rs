//! RTF documents.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::run("input.rtf", &common::with_magic(b"{\\rtf1", data));
});
