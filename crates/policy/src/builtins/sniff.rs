//! `ocis.mimetype.detect`: the MIME type of content, told from its first bytes.
//!
//! oCIS uses the Go library `gabriel-vasile/mimetype` and drops parameters (`; charset=…`).
//! This is a small table of magic numbers for the types the example policies care about, with
//! the same names for them; empty content is `text/plain`, like in oCIS, and content that is
//! neither a known type nor text is `application/octet-stream`.

/// Bytes looked at; every signature here lies within them.
const HEAD: usize = 4096;

/// Fixed prefixes, checked in order.
const PREFIXES: &[(&[u8], &str)] = &[
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/x-rar-compressed"),
    (b"BZh", "application/x-bzip2"),
    (b"\xfd7zXZ\x00", "application/x-xz"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "application/x-ole-storage",
    ),
    (b"\x7fELF", "application/x-elf"),
    (b"MZ", "application/vnd.microsoft.portable-executable"),
    (b"ID3", "audio/mpeg"),
    (b"fLaC", "audio/flac"),
    (b"OggS", "audio/ogg"),
    (b"\x1aE\xdf\xa3", "video/webm"),
    (b"{\\rtf", "text/rtf"),
    (b"%!PS", "application/postscript"),
    (b"SQLite format 3\x00", "application/vnd.sqlite3"),
    (b"\x00asm", "application/wasm"),
];

/// The MIME type of `bytes`, without parameters.
pub fn detect(bytes: &[u8]) -> &'static str {
    let head = bytes.get(..HEAD).unwrap_or(bytes);
    if head.is_empty() {
        return "text/plain";
    }
    if let Some((_, mime)) = PREFIXES.iter().find(|(magic, _)| head.starts_with(magic)) {
        return mime;
    }
    if let Some(mime) = riff(head).or_else(|| iso_media(head)).or_else(|| zip(head)) {
        return mime;
    }
    if head.get(257..262) == Some(b"ustar") {
        return "application/x-tar";
    }
    if head.starts_with(&[0xff, 0xfb]) || head.starts_with(&[0xff, 0xf3]) {
        return "audio/mpeg";
    }
    text(head).unwrap_or("application/octet-stream")
}

/// RIFF containers: WAV, AVI, WebP.
fn riff(head: &[u8]) -> Option<&'static str> {
    if !head.starts_with(b"RIFF") {
        return None;
    }
    match head.get(8..12)? {
        b"WAVE" => Some("audio/wav"),
        b"AVI " => Some("video/x-msvideo"),
        b"WEBP" => Some("image/webp"),
        _ => None,
    }
}

/// ISO base media (`ftyp` box): MP4, QuickTime, HEIC, AVIF.
fn iso_media(head: &[u8]) -> Option<&'static str> {
    if head.get(4..8)? != b"ftyp" {
        return None;
    }
    match head.get(8..12)? {
        b"qt  " => Some("video/quicktime"),
        b"heic" | b"heix" => Some("image/heic"),
        b"avif" => Some("image/avif"),
        b"M4A " => Some("audio/mp4"),
        _ => Some("video/mp4"),
    }
}

/// ZIP and the formats built on it, told from the names of the first entries.
fn zip(head: &[u8]) -> Option<&'static str> {
    if !head.starts_with(b"PK\x03\x04") {
        return None;
    }
    let odf = b"mimetypeapplication/vnd.oasis.opendocument.";
    if let Some(at) = find(head, odf) {
        let kind = head.get(at + odf.len()..).unwrap_or_default();
        return Some(if kind.starts_with(b"spreadsheet") {
            "application/vnd.oasis.opendocument.spreadsheet"
        } else if kind.starts_with(b"presentation") {
            "application/vnd.oasis.opendocument.presentation"
        } else {
            "application/vnd.oasis.opendocument.text"
        });
    }
    let named = [
        (&b"mimetypeapplication/epub+zip"[..], "application/epub+zip"),
        (
            b"word/",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            b"xl/",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            b"ppt/",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        (b"META-INF/MANIFEST.MF", "application/java-archive"),
        (
            b"AndroidManifest.xml",
            "application/vnd.android.package-archive",
        ),
    ];
    let found = named.iter().find(|(name, _)| find(head, name).is_some());
    Some(found.map_or("application/zip", |(_, mime)| mime))
}

/// Text formats: HTML, SVG, XML, JSON, else plain text when the bytes look like text.
fn text(head: &[u8]) -> Option<&'static str> {
    if head.contains(&0) {
        return None;
    }
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // The head may end inside a multi-byte character.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(head.get(..e.valid_up_to())?).ok()?
        }
        Err(_) => return None,
    };
    if text
        .chars()
        .any(|c| c.is_control() && !c.is_whitespace() && c != '\u{1b}')
    {
        return None;
    }
    let start = text.trim_start();
    let lower: String = start
        .chars()
        .take(256)
        .collect::<String>()
        .to_ascii_lowercase();
    Some(
        if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
            "text/html"
        } else if lower.starts_with("<svg")
            || (lower.starts_with("<?xml") && lower.contains("<svg"))
        {
            "image/svg+xml"
        } else if lower.starts_with("<?xml") {
            "text/xml"
        } else if (start.starts_with('{') || start.starts_with('['))
            && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
        {
            "application/json"
        } else {
            "text/plain"
        },
    )
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::detect;

    #[test]
    fn empty_is_text_plain() {
        assert_eq!(detect(b""), "text/plain");
    }

    #[test]
    fn magic_numbers() {
        assert_eq!(detect(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(detect(b"\x89PNG\r\n\x1a\n\0\0"), "image/png");
        assert_eq!(detect(b"RIFF\0\0\0\0WAVEfmt "), "audio/wav");
        assert_eq!(detect(b"\0\0\0\x18ftypisom"), "video/mp4");
        assert_eq!(detect(b"\x7fELF\x02\x01"), "application/x-elf");
    }

    #[test]
    fn zip_family_by_entry_names() {
        assert_eq!(
            detect(b"PK\x03\x04....word/document.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        assert_eq!(detect(b"PK\x03\x04....hello.txt"), "application/zip");
        assert_eq!(
            detect(b"PK\x03\x04....mimetypeapplication/vnd.oasis.opendocument.spreadsheet"),
            "application/vnd.oasis.opendocument.spreadsheet"
        );
    }

    #[test]
    fn text_kinds() {
        assert_eq!(detect(b"hello world\n"), "text/plain");
        assert_eq!(detect(b"  {\"a\": 1}"), "application/json");
        assert_eq!(detect(b"<!DOCTYPE html><html>"), "text/html");
        assert_eq!(detect(b"<?xml version=\"1.0\"?><svg/>"), "image/svg+xml");
        assert_eq!(detect(b"<?xml version=\"1.0\"?><a/>"), "text/xml");
        assert_eq!(detect(b"\x01\x02\x03binary"), "application/octet-stream");
    }
}
