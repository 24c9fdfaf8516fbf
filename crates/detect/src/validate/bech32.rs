//! Bitcoin segwit addresses: bech32 (BIP-173) for witness version 0 and bech32m (BIP-350) for
//! versions 1 to 16, mainnet human-readable part `bc` only.

/// BIP-173 limit on the whole string.
const MAX_LEN: usize = 90;
/// Checksum constant XORed in by bech32 (BIP-173).
const BECH32_CONST: u32 = 1;
/// Checksum constant XORed in by bech32m (BIP-350).
const BECH32M_CONST: u32 = 0x2bc8_30a3;
/// Characters in the checksum.
const CHECKSUM_LEN: usize = 6;

/// The 5-bit value of a (lowercase) bech32 data character.
fn bech32_value(c: u8) -> Option<u8> {
    const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let i = CHARSET.iter().position(|&a| a == c)?;
    u8::try_from(i).ok()
}

/// One step of the BCH code's polynomial remainder.
fn polymod_step(chk: u32, value: u8) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let top = chk >> 25;
    let mut chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(value);
    for (i, g) in GEN.iter().enumerate() {
        if (top >> i) & 1 == 1 {
            chk ^= g;
        }
    }
    chk
}

/// Bitcoin mainnet segwit address (`bc1…` or `BC1…`, never mixed case).
///
/// Checks, per BIP-173 and BIP-350: at most 90 characters, human-readable part `bc`, data
/// characters from the bech32 alphabet, witness version 0-16, a program of 2-40 bytes (20 or
/// 32 for version 0) with at most 4 zero padding bits, and the checksum: bech32 for version 0,
/// bech32m for version 1 and above.
pub fn bitcoin_bech32(addr: &[u8]) -> bool {
    if addr.len() > MAX_LEN {
        return false;
    }
    let has_lower = addr.iter().any(u8::is_ascii_lowercase);
    let has_upper = addr.iter().any(u8::is_ascii_uppercase);
    if has_lower && has_upper {
        return false;
    }
    let Some(data) = addr
        .strip_prefix(b"bc1")
        .or_else(|| addr.strip_prefix(b"BC1"))
    else {
        return false;
    };
    // A version group, at least four program groups (two bytes), then the checksum.
    let Some(payload_len) = data.len().checked_sub(CHECKSUM_LEN).filter(|&n| n > 4) else {
        return false;
    };
    let mut values = [0u8; MAX_LEN];
    for (slot, &c) in values.iter_mut().zip(data) {
        let Some(v) = bech32_value(c.to_ascii_lowercase()) else {
            return false;
        };
        *slot = v;
    }
    let Some(values) = values.get(..data.len()) else {
        return false;
    };
    let Some((&version, rest)) = values.split_first() else {
        return false;
    };
    let program = rest.get(..payload_len - 1).unwrap_or_default();
    let expected = match version {
        0 => BECH32_CONST,
        1..=16 => BECH32M_CONST,
        _ => return false,
    };
    program_is_valid(version, program) && checksum(values) == expected
}

/// The checksum residue of `bc` followed by `values` (data and checksum).
fn checksum(values: &[u8]) -> u32 {
    // The expanded human-readable part "bc": high bits, 0, low bits.
    let hrp = [b'b' >> 5, b'c' >> 5, 0, b'b' & 31, b'c' & 31];
    hrp.iter()
        .chain(values)
        .fold(1, |chk, &v| polymod_step(chk, v))
}

/// Whether 5-bit `groups` regroup into a valid witness program for `version`.
fn program_is_valid(version: u8, groups: &[u8]) -> bool {
    let bits = groups.len() * 5;
    let bytes = bits / 8;
    let padding = bits % 8;
    if padding > 4 || !(2..=40).contains(&bytes) || (version == 0 && bytes != 20 && bytes != 32) {
        return false;
    }
    // The padding bits are the low `padding` bits of the last group and must be zero.
    let last = groups.last().copied().unwrap_or(0);
    last & ((1u8 << padding) - 1) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_bip173_and_bip350_mainnet_vectors() {
        for addr in [
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
            "BC1SW50QGDZ25J",
            "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        ] {
            assert!(bitcoin_bech32(addr.as_bytes()), "{addr}");
        }
    }

    #[test]
    fn rejects_bip350_invalid_vectors() {
        for bad in [
            // bech32 checksum on v1+, bech32m on v0
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
            "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
            // invalid character in checksum ('o')
            "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
            // witness version 17
            "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
            // program of 1 and of 41 bytes
            "bc1pw5dgrnzv",
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
            // 16-byte program for version 0
            "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
            // more than 4 padding bits
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
            // empty data
            "bc1gmk9yu",
            // testnet and other human-readable parts
            "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
            "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
            // mixed case, changed character, truncation
            "bc1Qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t",
            "bc1",
            "",
        ] {
            assert!(!bitcoin_bech32(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn polymod_matches_reference_values() {
        // Reference values from sipa/bech32's polymod tests.
        let poly = |vals: &[u8]| vals.iter().fold(1u32, |c, &v| polymod_step(c, v));
        assert_eq!(poly(&[0]), 32);
        assert_eq!(poly(&[1]), 33);
        assert_eq!(poly(&[0, 1]), 1025);
        assert_eq!(poly(&[2, 3, 4]), 34916);
    }
}
