//! PDF files (seed with real PDFs).
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::run("input.pdf", &common::with_magic(b"%PDF-1.4\n", data));
});
