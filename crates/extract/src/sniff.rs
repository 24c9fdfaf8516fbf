//! Telling a file's real type from its bytes, and the type a name or a MIME type claims.

use std::io::Cursor;

use memchr::memmem;
use serde::Serialize;

/// A file type as Leakwall tells it from content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    /// Plain text (UTF-8, UTF-16 with a byte-order mark, or Latin-1).
    Text,
    /// PDF document.
    Pdf,
    /// Word document (Office Open XML).
    Docx,
    /// Excel workbook (Office Open XML).
    Xlsx,
    /// PowerPoint presentation (Office Open XML).
    Pptx,
    /// OpenDocument text (and other OpenDocument files that are not spreadsheets).
    Odt,
    /// OpenDocument spreadsheet.
    Ods,
    /// Rich Text Format.
    Rtf,
    /// HTML page.
    Html,
    /// E-mail message (RFC 5322, `.eml`).
    Email,
    /// ZIP archive that is not an office document.
    Zip,
    /// GZIP-compressed stream.
    Gzip,
    /// TAR archive.
    Tar,
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// GIF image.
    Gif,
    /// Executable program (PE, ELF, Mach-O).
    Executable,
    /// Unknown content that is not text.
    Binary,
}

impl FileType {
    /// The stable short name (`docx`, `pdf`, `binary`, ...), as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Text => "text",
            FileType::Pdf => "pdf",
            FileType::Docx => "docx",
            FileType::Xlsx => "xlsx",
            FileType::Pptx => "pptx",
            FileType::Odt => "odt",
            FileType::Ods => "ods",
            FileType::Rtf => "rtf",
            FileType::Html => "html",
            FileType::Email => "email",
            FileType::Zip => "zip",
            FileType::Gzip => "gzip",
            FileType::Tar => "tar",
            FileType::Png => "png",
            FileType::Jpeg => "jpeg",
            FileType::Gif => "gif",
            FileType::Executable => "executable",
            FileType::Binary => "binary",
        }
    }

    /// The usual MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Text => "text/plain",
            FileType::Pdf => "application/pdf",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            FileType::Odt => "application/vnd.oasis.opendocument.text",
            FileType::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            FileType::Rtf => "application/rtf",
            FileType::Html => "text/html",
            FileType::Email => "message/rfc822",
            FileType::Zip => "application/zip",
            FileType::Gzip => "application/gzip",
            FileType::Tar => "application/x-tar",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
            FileType::Gif => "image/gif",
            FileType::Executable => "application/x-executable",
            FileType::Binary => "application/octet-stream",
        }
    }

    /// Types whose content is all text: a claim of one of them is not contradicted by
    /// finding another (an `.eml` saved as `.txt`, an HTML fragment named `.html`).
    pub(crate) fn is_textual(self) -> bool {
        matches!(self, FileType::Text | FileType::Html | FileType::Email)
    }
}

/// How many leading bytes the text heuristics look at.
const TEXT_PROBE: usize = 8192;

/// Tells the type from the content alone. ZIP files are looked into (the central directory
/// only, nothing is decompressed) to tell OOXML and OpenDocument files from plain archives.
pub fn sniff(bytes: &[u8]) -> FileType {
    if let Some(t) = sniff_magic(bytes) {
        return t;
    }
    if !looks_like_text(bytes) {
        return FileType::Binary;
    }
    let probe = bytes.get(..TEXT_PROBE).unwrap_or(bytes);
    let probe = probe.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(probe);
    if probe.starts_with(b"{\\rtf") {
        FileType::Rtf
    } else if looks_like_html(probe) {
        FileType::Html
    } else if looks_like_email(probe) {
        FileType::Email
    } else {
        FileType::Text
    }
}

fn sniff_magic(bytes: &[u8]) -> Option<FileType> {
    let starts = |m: &[u8]| bytes.starts_with(m);
    let head = bytes.get(..1024).unwrap_or(bytes);
    let t = if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
        zip_kind(bytes)
    } else if memmem::find(head, b"%PDF-").is_some() {
        FileType::Pdf
    } else if starts(b"\x1f\x8b") {
        FileType::Gzip
    } else if bytes.get(257..262) == Some(b"ustar") {
        FileType::Tar
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        FileType::Png
    } else if starts(b"\xFF\xD8\xFF") {
        FileType::Jpeg
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        FileType::Gif
    } else if is_executable(bytes) {
        FileType::Executable
    } else if starts(b"{\\rtf") {
        FileType::Rtf
    } else {
        return None;
    };
    Some(t)
}

fn is_executable(bytes: &[u8]) -> bool {
    const MAGICS: [&[u8]; 6] = [
        b"\x7fELF",
        b"\xFE\xED\xFA\xCE",
        b"\xFE\xED\xFA\xCF",
        b"\xCE\xFA\xED\xFE",
        b"\xCF\xFA\xED\xFE",
        b"MZ",
    ];
    MAGICS.iter().any(|m| bytes.starts_with(m)) && !(bytes.starts_with(b"MZ") && bytes.len() < 64)
}

/// OOXML, OpenDocument or a plain ZIP.
fn zip_kind(bytes: &[u8]) -> FileType {
    if let Some(t) = odf_kind(bytes) {
        return t;
    }
    let names: Vec<String> = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(archive) => archive
            .file_names_raw()
            .map(|n| String::from_utf8_lossy(n).into())
            .collect(),
        // No readable central directory (truncated?): fall back on the local headers' names.
        Err(_) => return ooxml_kind_from_raw(bytes),
    };
    let has = |n: &str| names.iter().any(|m| m == n);
    if !has("[Content_Types].xml") {
        return FileType::Zip;
    }
    if has("word/document.xml") {
        FileType::Docx
    } else if has("xl/workbook.xml") {
        FileType::Xlsx
    } else if has("ppt/presentation.xml") {
        FileType::Pptx
    } else {
        FileType::Zip
    }
}

fn ooxml_kind_from_raw(bytes: &[u8]) -> FileType {
    let has = |n: &[u8]| memmem::find(bytes, n).is_some();
    if !has(b"[Content_Types].xml") {
        FileType::Zip
    } else if has(b"word/document.xml") {
        FileType::Docx
    } else if has(b"xl/workbook.xml") {
        FileType::Xlsx
    } else if has(b"ppt/presentation.xml") {
        FileType::Pptx
    } else {
        FileType::Zip
    }
}

/// An OpenDocument package starts with an uncompressed `mimetype` member.
fn odf_kind(bytes: &[u8]) -> Option<FileType> {
    let name_len = usize::from(u16::from_le_bytes([*bytes.get(26)?, *bytes.get(27)?]));
    let extra_len = usize::from(u16::from_le_bytes([*bytes.get(28)?, *bytes.get(29)?]));
    if bytes.get(30..30 + name_len)? != b"mimetype" {
        return None;
    }
    let start = 30 + name_len + extra_len;
    let content = bytes.get(start..)?;
    let content = content.get(..content.len().min(100))?;
    if content.starts_with(b"application/vnd.oasis.opendocument.spreadsheet") {
        Some(FileType::Ods)
    } else if content.starts_with(b"application/vnd.oasis.opendocument.") {
        Some(FileType::Odt)
    } else {
        None
    }
}

/// Text: a UTF-16 byte-order mark, or no NUL and few control bytes in the first 8 KiB.
pub(crate) fn looks_like_text(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return true;
    }
    let probe = bytes.get(..TEXT_PROBE).unwrap_or(bytes);
    if probe.contains(&0) {
        return false;
    }
    let control = probe
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    control * 100 <= probe.len()
}

fn looks_like_html(probe: &[u8]) -> bool {
    const STARTS: [&[u8]; 17] = [
        b"<!doctype html",
        b"<html",
        b"<head",
        b"<script",
        b"<iframe",
        b"<h1",
        b"<div",
        b"<font",
        b"<table",
        b"<a",
        b"<style",
        b"<title",
        b"<b",
        b"<body",
        b"<br",
        b"<p",
        b"<!--",
    ];
    let start = probe
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(probe.len());
    let rest = probe.get(start..).unwrap_or_default();
    let lower: Vec<u8> = rest.iter().take(64).map(u8::to_ascii_lowercase).collect();
    if lower.starts_with(b"<?xml") {
        let lower_probe = probe.to_ascii_lowercase();
        return memmem::find(&lower_probe, b"<html").is_some();
    }
    STARTS.iter().any(|tag| {
        lower.starts_with(tag)
            && matches!(
                lower.get(tag.len()),
                Some(b' ' | b'>' | b'\t' | b'\n' | b'\r')
            )
    })
}

/// A header block of `Name: value` lines with at least two well-known mail headers.
fn looks_like_email(probe: &[u8]) -> bool {
    const KNOWN: [&str; 11] = [
        "from",
        "to",
        "cc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "received",
        "return-path",
        "content-type",
        "reply-to",
    ];
    let mut known = 0;
    for (i, line) in probe.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if i > 0 && matches!(line.first(), Some(b' ' | b'\t')) {
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return false;
        };
        let name = line.get(..colon).unwrap_or_default();
        if name.is_empty() || !name.iter().all(|&b| b.is_ascii_graphic()) {
            return false;
        }
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        if KNOWN.contains(&name.as_str()) {
            known += 1;
        }
    }
    known >= 2
}

/// The type a file name's extension claims, if it is one Leakwall knows.
pub fn type_for_name(name: &str) -> Option<FileType> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let (_, ext) = base.rsplit_once('.')?;
    let t = match ext.to_ascii_lowercase().as_str() {
        "txt" | "text" | "csv" | "tsv" | "log" | "md" | "json" | "xml" | "yaml" | "yml" | "ini"
        | "cfg" | "conf" | "sql" | "svg" => FileType::Text,
        "pdf" => FileType::Pdf,
        "docx" | "docm" | "dotx" => FileType::Docx,
        "xlsx" | "xlsm" | "xltx" => FileType::Xlsx,
        "pptx" | "pptm" | "potx" => FileType::Pptx,
        "odt" | "ott" => FileType::Odt,
        "ods" | "ots" => FileType::Ods,
        "rtf" => FileType::Rtf,
        "html" | "htm" | "xhtml" => FileType::Html,
        "eml" => FileType::Email,
        "zip" | "jar" => FileType::Zip,
        "gz" | "tgz" => FileType::Gzip,
        "tar" => FileType::Tar,
        "png" => FileType::Png,
        "jpg" | "jpeg" => FileType::Jpeg,
        "gif" => FileType::Gif,
        "exe" | "dll" | "so" | "dylib" => FileType::Executable,
        _ => return None,
    };
    Some(t)
}

/// The type a MIME type claims (parameters such as `; charset=` are ignored), if it is one
/// Leakwall knows. `application/octet-stream` claims nothing.
pub fn type_for_mime(mime: &str) -> Option<FileType> {
    let essence = mime
        .split(';')
        .next()
        .unwrap_or(mime)
        .trim()
        .to_ascii_lowercase();
    let t = match essence.as_str() {
        "text/plain" | "text/csv" | "application/json" | "application/xml" | "text/xml"
        | "text/markdown" => FileType::Text,
        "text/html" | "application/xhtml+xml" => FileType::Html,
        "message/rfc822" => FileType::Email,
        "application/rtf" | "text/rtf" => FileType::Rtf,
        "application/zip" | "application/x-zip-compressed" => FileType::Zip,
        "application/gzip" | "application/x-gzip" => FileType::Gzip,
        "application/x-tar" => FileType::Tar,
        "application/x-executable"
        | "application/x-msdownload"
        | "application/vnd.microsoft.portable-executable" => FileType::Executable,
        other => {
            return [
                FileType::Pdf,
                FileType::Docx,
                FileType::Xlsx,
                FileType::Pptx,
                FileType::Odt,
                FileType::Ods,
                FileType::Png,
                FileType::Jpeg,
                FileType::Gif,
            ]
            .into_iter()
            .find(|t| t.mime() == other)
        }
    };
    Some(t)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers() {
        assert_eq!(sniff(b"%PDF-1.7\n"), FileType::Pdf);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), FileType::Png);
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0"), FileType::Jpeg);
        assert_eq!(sniff(b"GIF89a\x01\0"), FileType::Gif);
        assert_eq!(sniff(b"\x1f\x8b\x08\0"), FileType::Gzip);
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01\0"), FileType::Executable);
        assert_eq!(sniff(b"{\\rtf1\\ansi hello}"), FileType::Rtf);
        assert_eq!(sniff(b"\0\x01\x02\x03binary"), FileType::Binary);
        assert_eq!(
            sniff(b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
            FileType::Zip
        );
    }

    #[test]
    fn texts() {
        assert_eq!(sniff(b"hello world\n"), FileType::Text);
        assert_eq!(sniff(b"caf\xe9 au lait"), FileType::Text);
        assert_eq!(sniff(b"\xFF\xFEh\0i\0"), FileType::Text);
        assert_eq!(
            sniff(b"  <!DOCTYPE html><html><body>x</body></html>"),
            FileType::Html
        );
        assert_eq!(sniff(b"<p>hi</p>"), FileType::Html);
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><root/>"), FileType::Text);
        let mail = b"From: a@b.c\r\nTo: d@e.f\r\nSubject: hi\r\n\r\nbody";
        assert_eq!(sniff(mail), FileType::Email);
        assert_eq!(sniff(b"Note: this is text\nnot mail\n"), FileType::Text);
    }

    #[test]
    fn names_and_mimes() {
        assert_eq!(type_for_name("dir/Report.PDF"), Some(FileType::Pdf));
        assert_eq!(type_for_name("a.tar.gz"), Some(FileType::Gzip));
        assert_eq!(type_for_name("noext"), None);
        assert_eq!(type_for_name("a.weird"), None);
        assert_eq!(
            type_for_mime("text/plain; charset=utf-8"),
            Some(FileType::Text)
        );
        assert_eq!(type_for_mime(FileType::Docx.mime()), Some(FileType::Docx));
        assert_eq!(type_for_mime("application/octet-stream"), None);
        for t in [
            FileType::Text,
            FileType::Pdf,
            FileType::Zip,
            FileType::Ods,
            FileType::Rtf,
        ] {
            assert_eq!(type_for_mime(t.mime()), Some(t));
        }
    }

    #[test]
    fn serializes_snake_case() {
        assert_eq!(
            serde_json::to_string(&FileType::Executable).unwrap(),
            "\"executable\""
        );
        assert_eq!(FileType::Xlsx.as_str(), "xlsx");
    }
}
