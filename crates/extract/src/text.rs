//! Decoding plain text (UTF-8, UTF-16 with a byte-order mark, Latin-1) and splitting long
//! text into segments.

/// Decodes text: UTF-16 LE/BE when it starts with a byte-order mark, UTF-8 when valid (a
/// UTF-8 BOM is dropped), Latin-1 otherwise.
pub(crate) fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return decode_utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return decode_utf16(rest, u16::from_be_bytes);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => latin1(bytes),
    }
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|c| match c {
        [a, b] => unit([*a, *b]),
        _ => 0xFFFD,
    });
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Latin-1 (ISO 8859-1) bytes to text. Each byte is its own code point.
pub(crate) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Splits `text` into pieces of at most `max` bytes (at least one character each),
/// cutting after whitespace where there is some in the last half of a piece.
pub(crate) fn split(text: &str, max: usize) -> Vec<&str> {
    let max = max.max(4);
    let mut pieces = Vec::new();
    let mut rest = text;
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let window = rest.get(cut / 2..cut).unwrap_or_default();
        if let Some(ws) = window.rfind(char::is_whitespace) {
            cut = cut / 2 + ws + 1;
            while !rest.is_char_boundary(cut) {
                cut += 1;
            }
        }
        if cut == 0 {
            cut = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        let (head, tail) = rest.split_at(cut);
        pieces.push(head);
        rest = tail;
    }
    if !rest.is_empty() {
        pieces.push(rest);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_each_encoding() {
        assert_eq!(decode(b"plain"), "plain");
        assert_eq!(decode(b"\xEF\xBB\xBFbom"), "bom");
        assert_eq!(decode(b"\xFF\xFEh\0\xe9\0"), "hé");
        assert_eq!(decode(b"\xFE\xFF\0h\0\xe9"), "hé");
        assert_eq!(decode(b"caf\xe9"), "café");
        assert_eq!(decode("café".as_bytes()), "café");
    }

    #[test]
    fn splits_at_whitespace_without_losing_text() {
        let text = "alpha beta gamma delta epsilon ".repeat(10);
        let pieces = split(&text, 16);
        assert!(pieces.iter().all(|p| p.len() <= 16));
        assert_eq!(pieces.concat(), text);
        assert!(pieces.iter().all(|p| p.ends_with(' ')));
        let wide = "ééééééé";
        assert_eq!(split(wide, 5).concat(), wide);
    }
}
