//! Word-at-a-time byte classes: eight bytes per step instead of one, in safe code.
//!
//! Each mask has the high bit of a byte set when that byte is in the class. Range tests
//! work on the low seven bits (so no carry crosses a byte) and reject bytes >= 0x80.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Reads eight bytes at `at` as a little-endian word, if there are eight.
#[inline]
pub(crate) fn load(hay: &[u8], at: usize) -> Option<u64> {
    let chunk = hay.get(at..at.checked_add(8)?)?;
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(chunk);
    Some(u64::from_le_bytes(bytes))
}

/// High bit set in every byte of `w` in `lo..=hi` (ASCII only).
#[inline]
fn range(w: u64, lo: u8, hi: u8) -> u64 {
    let low7 = w & !HI;
    let ge_lo = low7 + LO * (0x80 - u64::from(lo));
    let gt_hi = low7 + LO * (0x80 - u64::from(hi) - 1);
    ge_lo & !gt_hi & !w & HI
}

/// Digits.
#[inline]
pub(crate) fn digits(w: u64) -> u64 {
    range(w, b'0', b'9')
}

/// ASCII letters.
#[inline]
pub(crate) fn letters(w: u64) -> u64 {
    range(w, b'A', b'Z') | range(w, b'a', b'z')
}

/// ASCII letters and digits.
#[inline]
pub(crate) fn alnum(w: u64) -> u64 {
    digits(w) | letters(w)
}

/// The first position at or after `at` whose byte is not in the class, or `hay.len()`.
#[inline]
pub(crate) fn end_of(
    hay: &[u8],
    mut at: usize,
    class: fn(u64) -> u64,
    byte: fn(u8) -> bool,
) -> usize {
    while let Some(w) = load(hay, at) {
        let outside = !class(w) & HI;
        if outside != 0 {
            return at + (outside.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while hay.get(at).is_some_and(|&b| byte(b)) {
        at += 1;
    }
    at
}

/// The first position of the run of class bytes ending at `at` (exclusive), not below `floor`.
#[inline]
pub(crate) fn start_of(
    hay: &[u8],
    mut at: usize,
    floor: usize,
    class: fn(u64) -> u64,
    byte: fn(u8) -> bool,
) -> usize {
    while at >= floor + 8 {
        let Some(w) = load(hay, at - 8) else { break };
        let outside = !class(w) & HI;
        if outside != 0 {
            return at - (outside.leading_zeros() / 8) as usize;
        }
        at -= 8;
    }
    while at > floor && hay.get(at - 1).is_some_and(|&b| byte(b)) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_agree_with_std_on_every_byte() {
        for b in 0..=255u8 {
            let w = u64::from_le_bytes([b'.', b, b'.', b'.', b'.', b'.', b'.', b]);
            let expect = |yes: bool| if yes { 0x8000_0000_0000_8000 } else { 0 };
            assert_eq!(digits(w), expect(b.is_ascii_digit()), "{b}");
            assert_eq!(letters(w), expect(b.is_ascii_alphabetic()), "{b}");
            assert_eq!(alnum(w), expect(b.is_ascii_alphanumeric()), "{b}");
        }
    }

    #[test]
    fn runs_are_found_both_ways() {
        let hay = b"..  abc123XYZdefghijklmnop9 -- x";
        let is = |b: u8| b.is_ascii_alphanumeric();
        assert_eq!(end_of(hay, 4, alnum, is), 27);
        assert_eq!(start_of(hay, 27, 0, alnum, is), 4);
        assert_eq!(start_of(hay, 27, 10, alnum, is), 10);
        assert_eq!(end_of(hay, 31, alnum, is), 32);
        assert_eq!(start_of(hay, 32, 0, alnum, is), 31);
    }
}
