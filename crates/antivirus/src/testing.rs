//! Test support (feature `testing`): a real `clamd` of the test's own, and the files to feed
//! it.
//!
//! [`ClamdDaemon::start`] writes a temporary configuration (`TCPSocket` on a free loopback
//! port, a `LocalSocket`, `Foreground yes`, a small `StreamMaxLength`) and a signature
//! directory made now: an `.hdb` MD5 signature of the EICAR test string and an `.ndb` body
//! signature of [`TEST_PATTERN`]. No signature download, no freshclam. It waits for `PONG`,
//! can be stopped and started again on the same port, and is killed when dropped. A missing
//! `clamd` fails the test with what to install; nothing is skipped silently.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The standard EICAR anti-virus test file (68 bytes).
pub const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
/// The MD5 of [`EICAR`], as the `.hdb` signature lists it.
const EICAR_MD5: &str = "44d88612fea8a8f36de82e1278abb02f";
/// What clamd reports for [`EICAR`] (ClamAV appends `.UNOFFICIAL` to local signatures).
pub const EICAR_SIGNATURE: &str = "Leakwall.Test.EICAR.UNOFFICIAL";
/// A harmless text that the `.ndb` body signature matches anywhere in a file.
pub const TEST_PATTERN: &str = "LEAKWALL-ANTIVIRUS-TEST-PATTERN";
/// What clamd reports for [`TEST_PATTERN`].
pub const PATTERN_SIGNATURE: &str = "Leakwall.Test.Pattern.UNOFFICIAL";
/// The daemon's `StreamMaxLength`: a larger INSTREAM is `Unscannable`.
pub const STREAM_MAX_BYTES: usize = 1024 * 1024;

const INSTALL: &str = "install Debian's clamav-daemon \
    (apt-get install -y --no-install-recommends clamav-daemon) or set LEAKWALL_TEST_CLAMD to clamd's path";

/// A `clamd` started for a test; killed (and its directory removed) when dropped.
pub struct ClamdDaemon {
    child: Option<Child>,
    dir: PathBuf,
    port: u16,
}

impl ClamdDaemon {
    /// Starts clamd and waits until it answers `PONG` (at most 60 s); panics with the reason
    /// (and what to install) otherwise.
    pub fn start() -> ClamdDaemon {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("leakwall-clamd-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("db")).expect("clamd test directory");
        write_signatures(&dir.join("db"));
        let port = free_port();
        write_config(&dir, port);
        let mut daemon = ClamdDaemon {
            child: None,
            dir,
            port,
        };
        daemon.restart();
        daemon
    }

    /// `tcp://127.0.0.1:PORT`.
    pub fn tcp_url(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// `unix:///…/clamd.sock`.
    pub fn unix_url(&self) -> String {
        format!("unix://{}", self.dir.join("clamd.sock").display())
    }

    /// Kills the daemon (SIGKILL) and waits for it; scans fail until [`ClamdDaemon::restart`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(self.dir.join("clamd.sock"));
    }

    /// Starts the daemon again on the same port and socket and waits for `PONG`.
    pub fn restart(&mut self) {
        self.stop();
        let clamd = clamd_path();
        let child = Command::new(&clamd)
            .arg("-c")
            .arg(self.dir.join("clamd.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {} ({e}): {INSTALL}", clamd.display()));
        self.child = Some(child);
        self.wait_for_pong();
    }

    fn wait_for_pong(&mut self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if ping(self.port) {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("clamd exited ({status}) before answering:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("clamd did not answer PONG within 60 s:\n{}", self.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("clamd.log")).unwrap_or_default()
    }
}

impl Drop for ClamdDaemon {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `clamd` from `LEAKWALL_TEST_CLAMD`, the `PATH` or the sbin directories (where Debian puts it).
fn clamd_path() -> PathBuf {
    if let Some(path) = std::env::var_os("LEAKWALL_TEST_CLAMD") {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs =
        std::env::split_paths(&path).chain(["/usr/sbin", "/usr/local/sbin"].map(PathBuf::from));
    for dir in dirs {
        let candidate = dir.join("clamd");
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!("clamd is not installed: {INSTALL}");
}

fn write_signatures(db: &Path) {
    let len = EICAR.len();
    let hdb = format!("{EICAR_MD5}:{len}:Leakwall.Test.EICAR\n");
    let hex: String = TEST_PATTERN.bytes().map(|b| format!("{b:02x}")).collect();
    let ndb = format!("Leakwall.Test.Pattern:0:*:{hex}\n");
    std::fs::write(db.join("leakwall.hdb"), hdb).expect("write .hdb");
    std::fs::write(db.join("leakwall.ndb"), ndb).expect("write .ndb");
}

fn write_config(dir: &Path, port: u16) {
    let d = dir.display();
    let config = format!(
        "Foreground yes\nTCPSocket {port}\nTCPAddr 127.0.0.1\nLocalSocket {d}/clamd.sock\n\
         DatabaseDirectory {d}/db\nStreamMaxLength {STREAM_MAX_BYTES}\nLogFile {d}/clamd.log\n\
         PidFile {d}/clamd.pid\nSelfCheck 0\nMaxThreads 4\n"
    );
    std::fs::write(dir.join("clamd.conf"), config).expect("write clamd.conf");
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("address").port()
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut answer = [0u8; 5];
    stream.write_all(b"zPING\0").is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && &answer == b"PONG\0"
}

/// A ZIP of `entries` (stored, no compression), for EICAR inside an archive.
pub fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for (name, data) in entries {
        let offset = out.len() as u32;
        let header = |signature: u32, central: bool| {
            let mut h = signature.to_le_bytes().to_vec();
            if central {
                h.extend_from_slice(&20u16.to_le_bytes());
            }
            for field in [20u16, 0, 0, 0, 0x21] {
                h.extend_from_slice(&field.to_le_bytes());
            }
            h.extend_from_slice(&crc32(data).to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend(header(0x0201_4b50, true));
        central.extend_from_slice(&[0; 10]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let (at, size) = (out.len() as u32, central.len() as u32);
    out.extend(central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let count = (entries.len() as u16).to_le_bytes();
    out.extend_from_slice(&count);
    out.extend_from_slice(&count);
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&[0; 2]);
    out
}

/// A minimal DOCX whose body says `text` (use [`TEST_PATTERN`] for the body signature).
pub fn docx(text: &str) -> Vec<u8> {
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"#
    );
    zip(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("word/document.xml", body.as_bytes()),
    ])
}

/// CRC-32 (IEEE), bit by bit: test files are small.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc32_of_the_check_string() {
        assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926);
    }
}
