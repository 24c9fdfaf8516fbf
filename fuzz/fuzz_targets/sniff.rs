//! Sniffing and the name/MIME claims on arbitrary bytes, then a full extraction.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let detected = leakwall_extract::sniff(data);
    let _ = (detected.as_str(), detected.mime());
    let text = String::from_utf8_lossy(data);
    let _ = leakwall_extract::type_for_name(&text);
    let _ = leakwall_extract::type_for_mime(&text);
    common::run("input.bin", data);
});
