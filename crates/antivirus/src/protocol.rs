//! clamd's wire protocol, the part Leakwall speaks: commands prefixed with `z` and ended by a
//! NUL byte (so are the answers), and `zINSTREAM`'s chunks, each a 4-byte big-endian length
//! then that many bytes, ended by a zero-length chunk.
//!
//! Answers: `stream: OK`, `stream: <signature> FOUND`, `<reason> ERROR` (e.g. `INSTREAM size
//! limit exceeded. ERROR`), `PONG`, the version string. Anything else is a protocol error.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use crate::ScanResult;

/// The longest answer read; a longer one is not clamd's.
pub(crate) const MAX_ANSWER: usize = 4096;
/// The longest signature name believed (clamd's are well under 200 bytes).
const MAX_SIGNATURE: usize = 512;

/// `zINSTREAM\0`.
pub(crate) const INSTREAM: &[u8] = b"zINSTREAM\0";
/// `zPING\0`.
pub(crate) const PING: &[u8] = b"zPING\0";
/// `zVERSION\0`.
pub(crate) const VERSION: &[u8] = b"zVERSION\0";
/// The zero-length chunk that ends a stream.
pub(crate) const END: [u8; 4] = [0; 4];

/// The 4-byte big-endian length prefix of a chunk (`len` is at most the chunk size, far below
/// `u32::MAX`).
pub(crate) fn chunk_header(len: usize) -> [u8; 4] {
    u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes()
}

/// An answer's text: up to the first NUL (or newline), trimmed; `None` when it is not text.
pub(crate) fn answer_text(raw: &[u8]) -> Option<&str> {
    let line = raw
        .split(|&b| b == 0 || b == b'\n')
        .next()
        .unwrap_or_default();
    let text = std::str::from_utf8(line).ok()?.trim();
    (!text.is_empty() && !text.chars().any(char::is_control)).then_some(text)
}

/// Whether `raw` holds a whole answer (its terminating NUL or newline).
pub(crate) fn is_complete(raw: &[u8]) -> bool {
    raw.iter().any(|&b| b == 0 || b == b'\n')
}

/// The result of an INSTREAM answer; `Err` with a printable description when it is not one.
pub(crate) fn scan_result(raw: &[u8]) -> Result<ScanResult, String> {
    let text = answer_text(raw).ok_or_else(|| describe(raw))?;
    let body = text.strip_prefix("stream:").map_or(text, str::trim);
    if body == "OK" {
        return Ok(ScanResult::Clean);
    }
    if let Some(signature) = body.strip_suffix(" FOUND").map(str::trim) {
        if signature.is_empty() || signature.len() > MAX_SIGNATURE {
            return Err(describe(raw));
        }
        return Ok(ScanResult::Infected {
            signature: signature.to_owned(),
        });
    }
    if let Some(reason) = body.strip_suffix("ERROR").map(str::trim) {
        let reason = reason.trim_end_matches('.').trim();
        let reason = if reason.is_empty() {
            "clamd error"
        } else {
            reason
        };
        return Ok(ScanResult::Unscannable {
            reason: reason.to_owned(),
        });
    }
    Err(describe(raw))
}

/// A short, escaped description of an unexpected answer.
pub(crate) fn describe(raw: &[u8]) -> String {
    let head = raw.get(..raw.len().min(80)).unwrap_or_default();
    let shown: String = String::from_utf8_lossy(head).escape_debug().collect();
    let more = if raw.len() > 80 { "…" } else { "" };
    format!("`{shown}{more}` ({} bytes)", raw.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infected(s: &str) -> ScanResult {
        ScanResult::Infected {
            signature: s.into(),
        }
    }

    #[test]
    fn answers_become_results() {
        assert_eq!(scan_result(b"stream: OK\0"), Ok(ScanResult::Clean));
        assert_eq!(scan_result(b"stream: OK\n"), Ok(ScanResult::Clean));
        assert_eq!(
            scan_result(b"stream: Win.Test.EICAR_HDB-1 FOUND\0"),
            Ok(infected("Win.Test.EICAR_HDB-1"))
        );
        assert_eq!(
            scan_result(b"INSTREAM size limit exceeded. ERROR\0"),
            Ok(ScanResult::Unscannable {
                reason: "INSTREAM size limit exceeded".into()
            })
        );
        assert_eq!(
            scan_result(b"stream: Can't allocate memory ERROR\0"),
            Ok(ScanResult::Unscannable {
                reason: "Can't allocate memory".into()
            })
        );
    }

    #[test]
    fn garbage_is_a_protocol_error_never_clean() {
        for raw in [
            &b""[..],
            b"\0",
            b"stream: \0",
            b"stream:  FOUND\0",
            b"HTTP/1.1 400 Bad Request\r\n",
            b"\xff\xfe\0",
            b"stream: O\x07K\0",
            b"UNKNOWN COMMAND\0",
        ] {
            let err = scan_result(raw).expect_err("garbage");
            assert!(err.contains("bytes"), "{err}");
        }
        let long = format!("stream: {} FOUND\0", "A".repeat(600));
        assert!(scan_result(long.as_bytes()).is_err());
    }

    #[test]
    fn chunk_headers_are_big_endian() {
        assert_eq!(chunk_header(0x0102_0304), [1, 2, 3, 4]);
        assert_eq!(chunk_header(0), END);
    }
}
