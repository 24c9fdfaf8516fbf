//! Segments of text and where they came from; content that could not be scanned.

use serde::Serialize;

/// Where a segment's text came from: a file, a member inside archives, a page or a sheet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// The outer path (file name, `-` for standard input, or a message id).
    pub path: String,
    /// Members inside archives or containers, outermost first, joined by `/` in `member`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// 1-based page of a paged document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Sheet name of a spreadsheet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
}

impl Origin {
    /// An origin for a whole file or stream.
    pub fn path(path: impl Into<String>) -> Self {
        Origin {
            path: path.into(),
            ..Origin::default()
        }
    }

    /// The origin of a member inside this one (an archive entry, an attachment, a part).
    pub fn child(&self, name: &str) -> Self {
        let member = match &self.member {
            Some(parent) => format!("{parent}!{name}"),
            None => name.to_string(),
        };
        Origin {
            path: self.path.clone(),
            member: Some(member),
            page: None,
            sheet: None,
        }
    }

    /// `path!member` for display.
    pub fn display(&self) -> String {
        match &self.member {
            Some(m) => format!("{}!{}", self.path, m),
            None => self.path.clone(),
        }
    }
}

/// A piece of extracted text with its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Where the text came from.
    pub origin: Origin,
    /// The text, always valid UTF-8.
    pub text: String,
}

/// Why content could not be scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnscannableReason {
    /// More bytes than the configured total limit.
    TooLarge,
    /// Containers nested deeper than the configured limit.
    TooDeep,
    /// More archive entries than the configured limit.
    TooManyEntries,
    /// A member expands far more than its compressed size allows (a decompression bomb).
    CompressionRatio,
    /// Extraction took longer than the configured time limit.
    Timeout,
    /// The content is encrypted or password protected.
    Encrypted,
    /// The content is damaged or not what its type says.
    Corrupt,
    /// A member's path is unsafe (absolute, or climbing out with `..`).
    UnsafePath,
}

impl UnscannableReason {
    /// The stable string form.
    pub fn as_str(self) -> &'static str {
        match self {
            UnscannableReason::TooLarge => "too_large",
            UnscannableReason::TooDeep => "too_deep",
            UnscannableReason::TooManyEntries => "too_many_entries",
            UnscannableReason::CompressionRatio => "compression_ratio",
            UnscannableReason::Timeout => "timeout",
            UnscannableReason::Encrypted => "encrypted",
            UnscannableReason::Corrupt => "corrupt",
            UnscannableReason::UnsafePath => "unsafe_path",
        }
    }
}

/// Content (a file or a member) that could not be scanned, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unscannable {
    /// Which file or member.
    #[serde(flatten)]
    pub origin: Origin,
    /// Why.
    pub reason: UnscannableReason,
    /// A human-readable detail (never content of the file).
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_origins_chain_members() {
        let zip = Origin::path("a.zip");
        let inner = zip.child("docs/b.zip").child("c.txt");
        assert_eq!(inner.member.as_deref(), Some("docs/b.zip!c.txt"));
        assert_eq!(inner.display(), "a.zip!docs/b.zip!c.txt");
    }
}
