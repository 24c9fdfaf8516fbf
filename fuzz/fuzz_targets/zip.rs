//! ZIP archives (seed with real archives: mutations reach the members).
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::run("input.zip", &common::with_magic(b"PK\x03\x04", data));
});
