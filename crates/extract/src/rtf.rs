//! RTF: control words stripped, `\'hh` and `\uN` escapes decoded, non-text destinations
//! (font and colour tables, style sheet, document info, pictures, `{\*...}`) skipped.

use crate::capped::{Budget, Problem};

/// Destinations whose content is not document text.
const SKIPPED: [&str; 17] = [
    "fonttbl",
    "colortbl",
    "stylesheet",
    "info",
    "pict",
    "themedata",
    "colorschememapping",
    "datastore",
    "latentstyles",
    "listtable",
    "listoverridetable",
    "rsidtbl",
    "generator",
    "xmlnstbl",
    "filetbl",
    "revtbl",
    "objdata",
];

#[derive(Clone, Copy)]
struct Group {
    skip: bool,
    uc: u32,
}

/// The RTF parser's state: the group stack and the text so far.
struct Rtf<'b> {
    bytes: &'b [u8],
    pos: usize,
    group: Group,
    stack: Vec<Group>,
    at_group_start: bool,
    /// Fallback characters still to drop after a `\uN`.
    fallback: u32,
    high_surrogate: Option<u16>,
    out: String,
}

/// The text of an RTF document.
pub(crate) fn to_text(bytes: &[u8], budget: &Budget<'_>) -> Result<String, Problem> {
    let mut rtf = Rtf {
        bytes,
        pos: 0,
        group: Group { skip: false, uc: 1 },
        stack: Vec::new(),
        at_group_start: false,
        fallback: 0,
        high_surrogate: None,
        out: String::new(),
    };
    let mut steps = 0u32;
    while let Some(&b) = rtf.bytes.get(rtf.pos) {
        steps = steps.wrapping_add(1);
        if steps.is_multiple_of(65536) {
            budget.check_time()?;
        }
        rtf.pos += 1;
        rtf.step(b);
    }
    Ok(rtf.out)
}

impl Rtf<'_> {
    fn step(&mut self, b: u8) {
        match b {
            b'{' => {
                self.stack.push(self.group);
                self.at_group_start = true;
                return;
            }
            b'}' => {
                if let Some(g) = self.stack.pop() {
                    self.group = g;
                }
                self.fallback = 0;
            }
            b'\\' => return self.control(),
            b'\r' | b'\n' => {}
            _ => self.text_char(cp1252(b)),
        }
        self.at_group_start = false;
    }

    fn control(&mut self) {
        let Some(&next) = self.bytes.get(self.pos) else {
            return;
        };
        self.pos += 1;
        let group_start = std::mem::take(&mut self.at_group_start);
        match next {
            b'a'..=b'z' | b'A'..=b'Z' => self.control_word(group_start),
            b'\'' => {
                let hex = self.bytes.get(self.pos..self.pos + 2).unwrap_or_default();
                self.pos += hex.len();
                let byte = std::str::from_utf8(hex)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(byte) = byte {
                    self.text_char(cp1252(byte));
                }
            }
            b'*' if group_start => self.group.skip = true,
            b'~' => self.text_char(' '),
            b'_' => self.text_char('-'),
            b'\r' | b'\n' => self.emit('\n'),
            b'{' | b'}' | b'\\' => self.text_char(char::from(next)),
            _ => {}
        }
    }

    fn control_word(&mut self, group_start: bool) {
        let start = self.pos - 1;
        while self
            .bytes
            .get(self.pos)
            .is_some_and(u8::is_ascii_alphabetic)
            && self.pos - start < 32
        {
            self.pos += 1;
        }
        let word = String::from_utf8_lossy(self.bytes.get(start..self.pos).unwrap_or_default());
        let num_start = self.pos;
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) && self.pos - num_start < 11
        {
            self.pos += 1;
        }
        let param = std::str::from_utf8(self.bytes.get(num_start..self.pos).unwrap_or_default())
            .ok()
            .and_then(|s| s.parse::<i64>().ok());
        if self.bytes.get(self.pos) == Some(&b' ') {
            self.pos += 1;
        }
        if group_start && SKIPPED.contains(&word.as_ref()) {
            self.group.skip = true;
        }
        self.apply(&word, param);
    }

    fn apply(&mut self, word: &str, param: Option<i64>) {
        match word {
            "par" | "line" | "row" | "sect" | "page" => self.emit('\n'),
            "cell" | "nestcell" | "tab" => self.emit('\t'),
            "emdash" => self.emit('\u{2014}'),
            "endash" => self.emit('\u{2013}'),
            "lquote" => self.emit('\u{2018}'),
            "rquote" => self.emit('\u{2019}'),
            "ldblquote" => self.emit('\u{201C}'),
            "rdblquote" => self.emit('\u{201D}'),
            "bullet" => self.emit('\u{2022}'),
            "emspace" | "enspace" => self.emit(' '),
            "uc" => {
                self.group.uc = param
                    .and_then(|p| u32::try_from(p).ok())
                    .unwrap_or(1)
                    .min(8)
            }
            "u" => {
                // \uN is a signed 16-bit code unit.
                let unit = param.map_or(0xFFFD, |p| (p.rem_euclid(65536)) as u16);
                self.unicode(unit);
                self.fallback = self.group.uc;
            }
            "bin" => {
                let n = param.and_then(|p| usize::try_from(p).ok()).unwrap_or(0);
                self.pos = self.pos.saturating_add(n).min(self.bytes.len());
            }
            _ => {}
        }
    }

    fn unicode(&mut self, unit: u16) {
        match (self.high_surrogate.take(), unit) {
            (None, 0xD800..=0xDBFF) => self.high_surrogate = Some(unit),
            (Some(high), 0xDC00..=0xDFFF) => {
                let c = char::decode_utf16([high, unit]).next().and_then(Result::ok);
                self.emit(c.unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            (_, unit) => {
                self.emit(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
        }
    }

    /// A character of document text, unless it is a `\uN` fallback.
    fn text_char(&mut self, c: char) {
        if self.fallback > 0 {
            self.fallback -= 1;
            return;
        }
        self.emit(c);
    }

    fn emit(&mut self, c: char) {
        if !self.group.skip {
            self.out.push(c);
        }
    }
}

/// Windows-1252, the usual RTF code page (`\ansicpg1252`); other code pages are read as it.
fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH
            .get(usize::from(b - 0x80))
            .copied()
            .unwrap_or('\u{FFFD}'),
        _ => char::from(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;

    fn text(rtf: &str) -> String {
        let limits = Limits::default();
        to_text(rtf.as_bytes(), &Budget::new(&limits)).unwrap_or_default()
    }

    #[test]
    fn strips_control_words_and_skips_tables() {
        let rtf = r"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}{\colortbl;\red0\green0\blue0;}{\*\generator Riched20;}{\info{\author Eve}}\f0\fs24 Hello \b world\b0\par MARKER-RTF}";
        assert_eq!(text(rtf), "Hello world\nMARKER-RTF");
    }

    #[test]
    fn decodes_escapes() {
        assert_eq!(text(r"{\rtf1 caf\'e9 \'80}"), "café €");
        assert_eq!(text(r"{\rtf1 \u233?t\uc2\u8364xx!}"), "ét€!");
        assert_eq!(text(r"{\rtf1 \u-10179?\u-8704?}"), "😀");
        assert_eq!(text(r"{\rtf1 a\{b\}c\\d}"), "a{b}c\\d");
    }

    #[test]
    fn table_cells_are_separated() {
        assert_eq!(text(r"{\rtf1 \trowd a\cell b\cell\row}"), "a\tb\t\n");
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for s in [
            r"{\rtf1 \'",
            r"{\rtf1 \u",
            r"}}}}{{{",
            r"\bin99999999 x",
            r"\",
            "{\\rtf1 \\'zz",
        ] {
            let _ = text(s);
        }
    }
}
