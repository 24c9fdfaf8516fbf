//! Randomness for envelope ids and retry jitter (the OS source; no seeding to get wrong).

/// A random `u64`; falls back to the clock if the OS source fails (jitter only needs spread).
pub(crate) fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        return u64::from(nanos).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    u64::from_le_bytes(bytes)
}

/// 32 random hex digits (128 bits): an envelope id.
pub(crate) fn random_hex() -> String {
    format!("{:016x}{:016x}", random_u64(), random_u64())
}
