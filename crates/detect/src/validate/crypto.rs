//! Cryptocurrency addresses with their own checksums: Bitcoin base58check (double SHA-256)
//! and Ethereum EIP-55 (keccak-256 mixed case). Bech32 is in its own module.

use sha2::{Digest, Sha256};
use sha3::Keccak256;

/// Length of a decoded Bitcoin base58check address: version, 20-byte hash, 4-byte checksum.
const BASE58_ADDRESS_LEN: usize = 25;

/// The value of a base58 character (Bitcoin alphabet: no `0`, `O`, `I`, `l`).
fn base58_value(c: u8) -> Option<u32> {
    const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let i = ALPHABET.iter().position(|&a| a == c)?;
    u32::try_from(i).ok()
}

/// Decodes base58 into exactly 25 bytes, or `None` if it is not exactly 25 bytes long
/// (leading `1`s are leading zero bytes; no non-canonical encodings).
fn base58_decode_address(text: &[u8]) -> Option<[u8; BASE58_ADDRESS_LEN]> {
    // 25 bytes take at most 35 base58 characters; reject before doing any arithmetic.
    if text.is_empty() || text.len() > 35 {
        return None;
    }
    let mut out = [0u8; BASE58_ADDRESS_LEN];
    for &c in text {
        let mut carry = base58_value(c)?;
        for byte in out.iter_mut().rev() {
            carry += u32::from(*byte) * 58;
            *byte = (carry & 0xff) as u8;
            carry >>= 8;
        }
        if carry != 0 {
            return None;
        }
    }
    let leading_ones = text.iter().take_while(|&&c| c == b'1').count();
    let leading_zeros = out.iter().take_while(|&&b| b == 0).count();
    (leading_ones == leading_zeros).then_some(out)
}

/// Bitcoin legacy address in base58check: 25 bytes decoded, version `0x00` (P2PKH, `1…`) or
/// `0x05` (P2SH, `3…`), and the last four bytes equal to the first four of
/// SHA-256(SHA-256(first 21 bytes)).
pub fn bitcoin_base58(addr: &[u8]) -> bool {
    let Some(decoded) = base58_decode_address(addr) else {
        return false;
    };
    let Some((payload, checksum)) = decoded.split_last_chunk::<4>() else {
        return false;
    };
    if !matches!(payload.first(), Some(0x00 | 0x05)) {
        return false;
    }
    let digest = Sha256::digest(Sha256::digest(payload));
    digest.get(..4) == Some(checksum.as_slice())
}

/// Ethereum address: `0x` and 40 hex digits.
///
/// All-lowercase and all-uppercase hex are accepted (no checksum to check); mixed case must
/// follow EIP-55: the letter at position `i` is uppercase exactly when nibble `i` of
/// keccak-256(lowercase hex) is 8 or more.
pub fn ethereum(addr: &[u8]) -> bool {
    let Some(hex) = addr.strip_prefix(b"0x") else {
        return false;
    };
    let Ok(hex) = <&[u8; 40]>::try_from(hex) else {
        return false;
    };
    if !hex.iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    let has_lower = hex.iter().any(u8::is_ascii_lowercase);
    let has_upper = hex.iter().any(u8::is_ascii_uppercase);
    if !(has_lower && has_upper) {
        return true;
    }
    let lower = hex.map(|b| b.to_ascii_lowercase());
    let hash = Keccak256::digest(lower);
    hex.iter().enumerate().all(|(i, &c)| {
        let byte = hash.get(i / 2).copied().unwrap_or(0);
        let nibble = if i % 2 == 0 { byte >> 4 } else { byte & 0x0f };
        !c.is_ascii_alphabetic() || c.is_ascii_uppercase() == (nibble >= 8)
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Base58check encoding of `version` and `hash`.
    fn base58check(version: u8, hash: &[u8; 20]) -> Vec<u8> {
        const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        let mut bytes = vec![version];
        bytes.extend_from_slice(hash);
        let check = Sha256::digest(Sha256::digest(&bytes));
        bytes.extend_from_slice(&check[..4]);
        let zeros = bytes.iter().take_while(|&&b| b == 0).count();
        let mut digits: Vec<u8> = Vec::new(); // little-endian base58 digits
        for &byte in &bytes {
            let mut carry = u32::from(byte);
            for d in digits.iter_mut() {
                carry += u32::from(*d) << 8;
                *d = (carry % 58) as u8;
                carry /= 58;
            }
            while carry > 0 {
                digits.push((carry % 58) as u8);
                carry /= 58;
            }
        }
        let mut out = vec![b'1'; zeros];
        out.extend(digits.iter().rev().map(|&d| ALPHABET[usize::from(d)]));
        out
    }

    /// `hex` (lowercase) with EIP-55 capitalisation.
    fn eip55(hex: &[u8; 40]) -> Vec<u8> {
        let hash = Keccak256::digest(hex);
        hex.iter()
            .enumerate()
            .map(|(i, &c)| {
                let nibble = (hash[i / 2] >> (4 * (1 - i % 2))) & 0x0f;
                if nibble >= 8 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect()
    }

    proptest! {
        #[test]
        fn base58check_round_trips_and_single_changes_fail(
            version in prop::sample::select(vec![0x00u8, 0x05]),
            hash in any::<[u8; 20]>(),
            pos in any::<prop::sample::Index>(),
            replacement in prop::sample::select(b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".to_vec()),
        ) {
            let mut addr = base58check(version, &hash);
            prop_assert!(bitcoin_base58(&addr), "{}", String::from_utf8_lossy(&addr));
            let i = pos.index(addr.len());
            prop_assume!(addr[i] != replacement);
            addr[i] = replacement;
            prop_assert!(!bitcoin_base58(&addr), "{}", String::from_utf8_lossy(&addr));
        }

        #[test]
        fn eip55_round_trips_and_case_flips_fail(
            raw in prop::collection::vec(prop::sample::select(b"0123456789abcdef".to_vec()), 40),
            pos in any::<prop::sample::Index>(),
        ) {
            let hex: [u8; 40] = raw.try_into().unwrap_or([b'0'; 40]);
            let mut addr = b"0x".to_vec();
            addr.extend(eip55(&hex));
            prop_assert!(ethereum(&addr));
            let letters: Vec<usize> = (2..42).filter(|&i| addr[i].is_ascii_alphabetic()).collect();
            // One letter with a flipped case: still all-lower or all-upper only if the
            // checksum made every other letter that case.
            prop_assume!(letters.len() >= 2);
            let i = *pos.get(&letters);
            addr[i] ^= 0x20;
            let hex_part = &addr[2..];
            let mixed = hex_part.iter().any(u8::is_ascii_lowercase)
                && hex_part.iter().any(u8::is_ascii_uppercase);
            prop_assume!(mixed);
            prop_assert!(!ethereum(&addr));
        }
    }

    #[test]
    fn base58_accepts_well_known_addresses() {
        for addr in [
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", // genesis block coinbase
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", // BIP-16 P2SH example
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            "1111111111111111111114oLvT2", // the all-zero hash160
        ] {
            assert!(bitcoin_base58(addr.as_bytes()), "{addr}");
        }
    }

    #[test]
    fn base58_rejects_near_misses() {
        for bad in [
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",  // last char changed
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN",   // truncated
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNaa", // extended
            "11A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", // extra leading zero byte
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7Div0Na",  // '0' is not base58
            "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",  // testnet version 0x6f
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa1A1zP1eP5QGefi2DMP", // far too long
            "",
            "1",
        ] {
            assert!(!bitcoin_base58(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn ethereum_accepts_eip55_examples() {
        for addr in [
            "0x52908400098527886E0F7030069857D2E4169EE7",
            "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
            "0xde709f2102306220921060314715629080e2fb77",
            "0x27b1fdb04752bbc536007a920d24acb045561c26",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            assert!(ethereum(addr.as_bytes()), "{addr}");
        }
    }

    #[test]
    fn ethereum_rejects_bad_checksums_and_shapes() {
        for bad in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", // last letter's case flipped
            "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", // second letter's case flipped
            "0X52908400098527886E0F7030069857D2E4169EE7", // 0X prefix
            "52908400098527886E0F7030069857D2E4169EE7",   // no prefix
            "0x52908400098527886E0F7030069857D2E4169EE",  // 39 hex
            "0x52908400098527886E0F7030069857D2E4169EE70", // 41 hex
            "0x52908400098527886E0F7030069857D2E4169EG7", // G is not hex
            "",
        ] {
            assert!(!ethereum(bad.as_bytes()), "{bad}");
        }
    }
}
