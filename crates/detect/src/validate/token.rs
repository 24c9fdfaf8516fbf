//! Token structure checks: JSON Web Tokens, GitHub's checksummed tokens, and the Shannon
//! entropy that gates generic secret assignments.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Longest JWT header (in base64url characters) we decode: 1364 characters are 1023 bytes,
/// far beyond any real header, and bound the work done on hostile input.
const MAX_JWT_HEADER_CHARS: usize = 1364;

/// JSON Web Token in JWS compact form: `header.payload` or `header.payload.signature`.
///
/// Every part is unpadded base64url of a decodable length; header and payload are non-empty
/// (the signature is empty for `"alg": "none"`); and the header decodes to a JSON object whose
/// `"alg"` member is a string. Headers longer than 1364 characters are rejected unread.
pub fn jwt(token: &[u8]) -> bool {
    let mut parts = token.split(|&b| b == b'.');
    let (Some(header), Some(payload), signature, None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let well_formed = |part: &[u8]| part.iter().all(is_base64url) && part.len() % 4 != 1;
    if header.is_empty() || payload.is_empty() || header.len() > MAX_JWT_HEADER_CHARS {
        return false;
    }
    if !(well_formed(header) && well_formed(payload) && signature.is_none_or(well_formed)) {
        return false;
    }
    let mut buf = [0u8; 1024];
    let Ok(len) = URL_SAFE_NO_PAD.decode_slice(header, &mut buf) else {
        return false;
    };
    let Some(json) = buf.get(..len) else {
        return false;
    };
    header_has_alg(json)
}

fn is_base64url(b: &u8) -> bool {
    b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_'
}

/// Whether `json` is a JSON object with a string `"alg"` member.
fn header_has_alg(json: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(members)) => {
            members.get("alg").is_some_and(serde_json::Value::is_string)
        }
        _ => false,
    }
}

/// Prefixes of GitHub's checksummed tokens: personal, OAuth, user-to-server, server-to-server
/// and refresh.
const GITHUB_PREFIXES: [&[u8; 4]; 5] = [b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_"];

/// GitHub token in the 2021 format: a `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` prefix and 36 base62
/// characters, the last 6 of which are the CRC32 of the first 30.
///
/// GitHub's announcement ("Behind GitHub's new authentication token formats", 2021) states
/// only that the token ends in a 32-bit checksum. The exact encoding used here (CRC-32/ISO-HDLC
/// of the 30 random characters, prefix excluded, written in base62 with the alphabet
/// `0-9A-Za-z`, left-padded with `0` to 6 characters) is the one independent open-source
/// verifiers agree on; it is not in an official GitHub specification.
pub fn github_token(token: &[u8]) -> bool {
    let Ok(token) = <&[u8; 40]>::try_from(token) else {
        return false;
    };
    let Some((prefix, body)) = token.split_first_chunk::<4>() else {
        return false;
    };
    if !GITHUB_PREFIXES.contains(&prefix) || !body.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let Some((random, checksum)) = body.split_last_chunk::<6>() else {
        return false;
    };
    base62_value(checksum) == Some(u64::from(crc32(random)))
}

/// The value of `digits` in base62 (`0-9A-Za-z`), if each is alphanumeric and it fits a u64.
fn base62_value(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &c| {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'Z' => c - b'A' + 10,
            b'a'..=b'z' => c - b'a' + 36,
            _ => return None,
        };
        acc.checked_mul(62)?.checked_add(u64::from(d))
    })
}

/// CRC-32/ISO-HDLC (the zlib / PNG / Ethernet CRC), table-driven.
fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = crc32_table();
    !bytes.iter().fold(!0u32, |crc, &b| {
        let index = usize::from((crc as u8) ^ b);
        TABLE.get(index).copied().unwrap_or(0) ^ (crc >> 8)
    })
}

const fn crc32_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        #[allow(clippy::indexing_slicing)] // n < 256, checked by the loop; const fn has no get_mut
        {
            table[n] = c;
        }
        n += 1;
    }
    table
}

/// Shannon entropy of `bytes` in bits per byte: 0 for empty or constant input, at most 8.
///
/// Used to tell random secrets (base64 keys run about 5-6 bits per byte) from words and
/// placeholders (`changeme`, `********`, `${DB_PASSWORD}`).
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0usize; 256];
    for &b in bytes {
        if let Some(count) = counts.get_mut(usize::from(b)) {
            *count += 1;
        }
    }
    let total = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / total;
            p * (1.0 / p).log2()
        })
        .fold(0.0, |sum, h| sum + h)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn base62(mut n: u32) -> Vec<u8> {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut out = vec![b'0'; 6];
        for slot in out.iter_mut().rev() {
            *slot = ALPHABET[(n % 62) as usize];
            n /= 62;
        }
        out
    }

    proptest! {
        #[test]
        fn github_checksum_round_trips_and_single_changes_fail(
            prefix in prop::sample::select(GITHUB_PREFIXES.to_vec()),
            body in "[0-9A-Za-z]{30}",
            pos in 4usize..40,
            replacement in prop::sample::select(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".to_vec()),
        ) {
            let mut token = prefix.to_vec();
            token.extend_from_slice(body.as_bytes());
            token.extend(base62(crc32(body.as_bytes())));
            prop_assert!(github_token(&token));
            prop_assume!(token[pos] != replacement);
            token[pos] = replacement;
            prop_assert!(!github_token(&token));
        }
    }

    const JWT_IO_EXAMPLE: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
        eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.\
        SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    #[test]
    fn jwt_accepts_jwt_io_example_and_unsecured_form() {
        assert!(jwt(JWT_IO_EXAMPLE.as_bytes()));
        // {"alg":"none"} . {"sub":"x"} . (empty signature)
        assert!(jwt(b"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."));
        // Signature omitted altogether.
        assert!(jwt(b"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0"));
    }

    #[test]
    fn jwt_rejects_near_misses() {
        for bad in [
            // {"typ":"JWT"}: no alg
            "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0.c2ln",
            // {"alg":5}: alg not a string
            "eyJhbGciOjV9.eyJzdWIiOiJ4In0.c2ln",
            // ["alg"]: not an object
            "WyJhbGciXQ.eyJzdWIiOiJ4In0.c2ln",
            // header is not base64url JSON
            "aGVsbG8.eyJzdWIiOiJ4In0.c2ln",
            // padded, standard-alphabet and empty parts
            "eyJhbGciOiJub25lIn0=.eyJzdWIiOiJ4In0.",
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.a+b/",
            ".eyJzdWIiOiJ4In0.c2ln",
            "eyJhbGciOiJub25lIn0..c2ln",
            // four parts, one part, impossible length
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln.c2ln",
            "eyJhbGciOiJub25lIn0",
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c",
            "1.2.3",
            "",
        ] {
            assert!(!jwt(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn jwt_bounds_header_length() {
        let mut long = b"eyJhbGciOiJub25lIn0".repeat(100);
        long.extend_from_slice(b".eyJzdWIiOiJ4In0.");
        assert!(!jwt(&long));
    }

    #[test]
    fn crc32_matches_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn base62_uses_digits_upper_lower_order() {
        assert_eq!(base62_value(b"000010"), Some(62));
        assert_eq!(base62_value(b"00000A"), Some(10));
        assert_eq!(base62_value(b"00000a"), Some(36));
        assert_eq!(base62_value(b"zzzzzz"), Some(62u64.pow(6) - 1));
        assert_eq!(base62_value(b"00000_"), None);
    }

    #[test]
    fn github_token_accepts_checksummed_tokens() {
        for token in [
            // The worked example of the base62-token.js specification.
            "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",
            // A constant body with its computed checksum.
            "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",
        ] {
            assert!(github_token(token.as_bytes()), "{token}");
        }
    }

    #[test]
    fn github_token_rejects_near_misses() {
        for bad in [
            "ghp_zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ0mLq18", // checksum off by one
            "ghp_zQWBuTSOoRi4A9spHcVY5ncnsDkxkK0mLq17", // body changed
            "ghx_zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ0mLq17", // unknown prefix
            "ghp_zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ0mLq1",  // 35 characters
            "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7", // 37 characters
            "ghp_zQWBuTSOoRi4A9spHcVY5ncns-kxkJ0mLq17", // not base62
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a", // documentation example, no checksum
            "",
        ] {
            assert!(!github_token(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn entropy_matches_closed_forms() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaaaaaa"), 0.0);
        assert!((shannon_entropy(b"abab") - 1.0).abs() < 1e-12);
        assert!((shannon_entropy(b"abcdefgh") - 3.0).abs() < 1e-12);
        let all: Vec<u8> = (0..=255).collect();
        assert!((shannon_entropy(&all) - 8.0).abs() < 1e-12);
        assert!(shannon_entropy(b"changeme") < shannon_entropy(b"q8R#vL2!xZ0p"));
    }
}
