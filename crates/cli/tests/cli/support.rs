//! Helpers shared by the CLI tests.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// A card number that passes Luhn; "card" before it raises its confidence to 1.0.
pub(crate) const CARD: &str = "4111 1111 1111 1111";
pub(crate) const EMAIL: &str = "jane.doe@corp-mail.com";
pub(crate) const MIB: usize = 1024 * 1024;

/// What one run of the binary gave.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// The findings of a `--format json` run.
    pub(crate) fn findings(&self) -> Vec<Value> {
        match serde_json::from_str(&self.stdout) {
            Ok(Value::Array(findings)) => findings,
            other => panic!("not a JSON array ({other:?}):\n{}", self.stdout),
        }
    }

    /// The JSON findings of `detector`.
    pub(crate) fn of(&self, detector: &str) -> Vec<Value> {
        let all = self.findings();
        all.into_iter()
            .filter(|f| f["detector"] == detector)
            .collect()
    }
}

/// Runs `leakwall ARGS` in `dir` with `stdin` as standard input.
pub(crate) fn run_with_stdin(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakwall"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn leakwall");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait for leakwall");
    Run {
        code: out.status.code().expect("exit code (not a signal)"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub(crate) fn run(dir: &Path, args: &[&str]) -> Run {
    run_with_stdin(dir, args, b"")
}

/// A temporary directory for one test. Every test starts here, so the first call also makes
/// every `leakwall serve` these tests spawn put its gRPC policy API on a free port
/// (`LEAKWALL_GRPC_LISTEN=127.0.0.1:0`, inherited) instead of all fighting for 127.0.0.1:9125.
pub(crate) fn tempdir() -> tempfile::TempDir {
    static GRPC_ON_FREE_PORTS: std::sync::Once = std::sync::Once::new();
    GRPC_ON_FREE_PORTS.call_once(|| std::env::set_var("LEAKWALL_GRPC_LISTEN", "127.0.0.1:0"));
    tempfile::tempdir().expect("temp dir")
}

/// Writes `content` to `dir/name`, creating parent directories.
pub(crate) fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, content).expect("write input");
    path
}

/// Copies `testdata/extract/NAME` into `dir`.
pub(crate) fn fixture(dir: &Path, name: &str) {
    let from: PathBuf = [env!("CARGO_MANIFEST_DIR"), "../../testdata/extract", name]
        .iter()
        .collect();
    std::fs::copy(&from, dir.join(name)).expect("copy fixture");
}

/// A set of (path, line, detector, start) for comparing runs whose order differs.
pub(crate) fn spots(findings: &[Value]) -> BTreeSet<(String, u64, String, u64)> {
    findings
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().expect(k).to_string();
            let n = |k: &str| f[k].as_u64().expect(k);
            (s("path"), n("line"), s("detector"), n("start"))
        })
        .collect()
}

/// An uncompressed ustar archive holding one file.
pub(crate) fn tar_with(name: &str, data: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name.as_bytes());
    let mut field =
        |at: usize, text: String| header[at..at + text.len()].copy_from_slice(text.as_bytes());
    field(100, "0000644\0".into());
    field(108, "0000000\0".into());
    field(116, "0000000\0".into());
    field(124, format!("{:011o}\0", data.len()));
    field(136, format!("{:011o}\0", 0));
    field(148, "        ".into());
    field(156, "0".into());
    field(257, "ustar\0".into());
    field(263, "00".into());
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut tar = header.to_vec();
    tar.extend_from_slice(data);
    tar.resize(tar.len().div_ceil(512) * 512 + 1024, 0);
    tar
}

/// Filler lines (no digits, no `@`) with `card CARD` planted so that the card starts 8 bytes
/// before each of `borders`; then filler up to `len` and the card once more at the very end,
/// with no newline after it. Returns the text and the (start, line) of every planted card.
pub(crate) fn planted_cards(borders: &[usize], len: usize) -> (Vec<u8>, Vec<(u64, u64)>) {
    let filler = b"lorem ipsum dolor sit amet consectetur adipiscing elit\n";
    let mut out = Vec::with_capacity(len + 1024);
    let mut planted = Vec::new();
    let mut plant = |out: &mut Vec<u8>, at: usize| {
        while out.len() + filler.len() < at {
            out.extend_from_slice(filler);
        }
        out.resize(at - 6, b'x');
        out.extend_from_slice(b" card ");
        let line = memchr_count(out) + 1;
        planted.push((out.len() as u64, line));
        out.extend_from_slice(CARD.as_bytes());
    };
    for &border in borders {
        plant(&mut out, border - 8);
        out.push(b'\n');
    }
    plant(&mut out, len);
    (out, planted)
}

/// The (start, line) of every `credit_card` finding, in output order.
pub(crate) fn card_spots(out: &Run) -> Vec<(u64, u64)> {
    let n = |f: &Value, k: &str| f[k].as_u64().expect(k);
    let cards = out.of("credit_card");
    cards
        .iter()
        .map(|f| (n(f, "start"), n(f, "line")))
        .collect()
}

pub(crate) fn memchr_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}
