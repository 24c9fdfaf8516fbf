//! TAR and GZIP: the first byte picks a raw deflate stream behind a GZIP header, or a TAR
//! whose first header gets the `ustar` magic and a valid checksum.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    if kind % 2 == 0 {
        common::run(
            "input.gz",
            &common::with_magic(b"\x1f\x8b\x08\0\0\0\0\0\0\xff", rest),
        );
        return;
    }
    let mut tar = rest.to_vec();
    if tar.len() < 512 {
        tar.resize(512, 0);
    }
    tar[257..263].copy_from_slice(b"ustar\0");
    tar[148..156].copy_from_slice(b"        ");
    let sum: u32 = tar[..512].iter().map(|&b| u32::from(b)).sum();
    tar[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    common::run("input.tar", &tar);
});
