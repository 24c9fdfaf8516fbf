//! The MIME type → file extensions table behind `ocis.mimetype.extensions`.
//!
//! oCIS uses Go's `mime.ExtensionsByType`, which reads the host's tables. A policy must decide
//! the same on every host, so Leakwall ships a fixed table of common types instead and lets the
//! configuration extend it with an Apache-format `mime.types` file (`POLICIES_ENGINE_MIMES`).

use std::collections::{BTreeMap, BTreeSet};

/// The built-in table: a MIME type, then its extensions without dots.
const BUILTIN: &[(&str, &[&str])] = &[
    ("application/pdf", &["pdf"]),
    ("application/msword", &["doc", "dot"]),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &["docx"],
    ),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
        &["dotx"],
    ),
    (
        "application/vnd.ms-word.document.macroenabled.12",
        &["docm"],
    ),
    ("application/vnd.ms-excel", &["xls", "xlt"]),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &["xlsx"],
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
        &["xltx"],
    ),
    ("application/vnd.ms-excel.sheet.macroenabled.12", &["xlsm"]),
    ("application/vnd.ms-powerpoint", &["ppt", "pps", "pot"]),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        &["pptx"],
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
        &["ppsx"],
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.template",
        &["potx"],
    ),
    ("application/vnd.oasis.opendocument.text", &["odt"]),
    ("application/vnd.oasis.opendocument.text-template", &["ott"]),
    ("application/vnd.oasis.opendocument.spreadsheet", &["ods"]),
    (
        "application/vnd.oasis.opendocument.spreadsheet-template",
        &["ots"],
    ),
    ("application/vnd.oasis.opendocument.presentation", &["odp"]),
    (
        "application/vnd.oasis.opendocument.presentation-template",
        &["otp"],
    ),
    ("application/vnd.oasis.opendocument.graphics", &["odg"]),
    ("application/vnd.oasis.opendocument.formula", &["odf"]),
    ("application/rtf", &["rtf"]),
    ("text/rtf", &["rtf"]),
    ("application/epub+zip", &["epub"]),
    ("application/zip", &["zip"]),
    ("application/x-zip-compressed", &["zip"]),
    ("application/java-archive", &["jar"]),
    ("application/vnd.android.package-archive", &["apk"]),
    ("application/gzip", &["gz"]),
    ("application/x-gzip", &["gz"]),
    ("application/x-tar", &["tar"]),
    ("application/x-7z-compressed", &["7z"]),
    ("application/x-rar-compressed", &["rar"]),
    ("application/vnd.rar", &["rar"]),
    ("application/x-bzip2", &["bz2"]),
    ("application/x-xz", &["xz"]),
    ("application/json", &["json"]),
    ("application/xml", &["xml"]),
    ("text/xml", &["xml"]),
    ("application/javascript", &["js", "mjs"]),
    ("text/javascript", &["js", "mjs"]),
    ("application/sql", &["sql"]),
    ("application/x-sh", &["sh"]),
    ("application/x-httpd-php", &["php"]),
    ("application/x-msdownload", &["exe", "dll"]),
    (
        "application/vnd.microsoft.portable-executable",
        &["exe", "dll"],
    ),
    ("application/x-elf", &["elf", "so"]),
    (
        "application/x-ole-storage",
        &["msi", "doc", "xls", "ppt", "msg"],
    ),
    ("application/vnd.ms-outlook", &["msg"]),
    ("application/postscript", &["ps", "eps", "ai"]),
    ("application/wasm", &["wasm"]),
    ("application/vnd.sqlite3", &["sqlite", "db"]),
    ("application/octet-stream", &["bin"]),
    ("message/rfc822", &["eml"]),
    ("text/plain", &["txt", "text", "log"]),
    ("text/markdown", &["md", "markdown"]),
    ("text/csv", &["csv"]),
    ("text/tab-separated-values", &["tsv"]),
    ("text/html", &["html", "htm"]),
    ("text/css", &["css"]),
    ("text/x-python", &["py"]),
    ("text/x-java-source", &["java"]),
    ("text/x-c", &["c", "h"]),
    ("text/calendar", &["ics"]),
    ("text/vcard", &["vcf"]),
    ("image/png", &["png"]),
    ("image/jpeg", &["jpg", "jpeg", "jpe"]),
    ("image/gif", &["gif"]),
    ("image/bmp", &["bmp"]),
    ("image/tiff", &["tif", "tiff"]),
    ("image/webp", &["webp"]),
    ("image/avif", &["avif"]),
    ("image/heic", &["heic"]),
    ("image/svg+xml", &["svg"]),
    ("image/x-icon", &["ico"]),
    ("image/vnd.microsoft.icon", &["ico"]),
    ("audio/mpeg", &["mp3"]),
    ("audio/wav", &["wav"]),
    ("audio/x-wav", &["wav"]),
    ("audio/ogg", &["ogg", "oga"]),
    ("audio/flac", &["flac"]),
    ("audio/mp4", &["m4a"]),
    ("video/mp4", &["mp4", "m4v"]),
    ("video/x-msvideo", &["avi"]),
    ("video/quicktime", &["mov"]),
    ("video/webm", &["webm"]),
    ("video/x-matroska", &["mkv"]),
    ("video/mpeg", &["mpeg", "mpg"]),
    ("font/woff", &["woff"]),
    ("font/woff2", &["woff2"]),
    ("font/ttf", &["ttf"]),
    ("font/otf", &["otf"]),
];

/// MIME types and their extensions (with the leading dot), sorted like Go's
/// `mime.ExtensionsByType`. Lookups ignore case and parameters (`text/plain; charset=utf-8`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MimeTable {
    by_type: BTreeMap<String, BTreeSet<String>>,
}

impl Default for MimeTable {
    /// The built-in table.
    fn default() -> Self {
        let mut table = MimeTable {
            by_type: BTreeMap::new(),
        };
        for (mime, extensions) in BUILTIN {
            for extension in *extensions {
                table.insert(mime, extension);
            }
        }
        table
    }
}

impl MimeTable {
    /// Extends the table with an Apache-format `mime.types` text: a MIME type then one or more
    /// extensions (without dots) per line, whitespace separated; `#` starts a comment; lines
    /// with fewer than two fields are skipped. Entries are added, never replaced.
    pub fn extend_apache(&mut self, text: &str) {
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default();
            let mut fields = line.split_whitespace();
            let (Some(mime), Some(first)) = (fields.next(), fields.next()) else {
                continue;
            };
            for extension in std::iter::once(first).chain(fields) {
                self.insert(mime, extension);
            }
        }
    }

    /// The extensions of `mime`, each with its leading dot; empty for an unknown type.
    pub fn extensions(&self, mime: &str) -> Vec<String> {
        self.by_type
            .get(&normalize(mime))
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn insert(&mut self, mime: &str, extension: &str) {
        let extension = extension.trim_start_matches('.').to_ascii_lowercase();
        if extension.is_empty() {
            return;
        }
        self.by_type
            .entry(normalize(mime))
            .or_default()
            .insert(format!(".{extension}"));
    }
}

/// `Text/Plain; charset=UTF-8` → `text/plain`.
fn normalize(mime: &str) -> String {
    mime.split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_has_a_dotted_extension() {
        assert_eq!(MimeTable::default().extensions("application/pdf"), [".pdf"]);
    }

    #[test]
    fn unknown_type_is_empty() {
        assert!(MimeTable::default()
            .extensions("application/x-nope")
            .is_empty());
    }

    #[test]
    fn lookups_ignore_case_and_parameters() {
        let table = MimeTable::default();
        assert_eq!(
            table.extensions("Text/Plain; charset=utf-8"),
            [".log", ".text", ".txt"]
        );
    }

    #[test]
    fn apache_file_extends_and_skips_comments_and_short_lines() {
        let mut table = MimeTable::default();
        table.extend_apache(
            "# comment\napplication/x-leak  leak lk # trailing\nlonely/type\n\napplication/pdf pdfx\n",
        );
        assert_eq!(table.extensions("application/x-leak"), [".leak", ".lk"]);
        assert!(table.extensions("lonely/type").is_empty());
        assert_eq!(table.extensions("application/pdf"), [".pdf", ".pdfx"]);
    }
}
