//! HTML pages.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::run("input.html", &common::with_magic(b"<html>", data));
});
