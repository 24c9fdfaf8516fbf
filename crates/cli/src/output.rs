//! Output of `leakwall scan`: text for people, JSON for scripts, SARIF for code scanning.

use std::io::Write;

use anyhow::Result;
use leakwall_detect::Scanner;
use leakwall_engine::Scanned;
use serde_json::json;

use crate::args::Format;

/// A finding as printed in JSON: masked unless `--show-secrets` (the reference for
/// [`write_json`]).
#[cfg(test)]
#[derive(serde::Serialize)]
struct JsonFinding<'a> {
    detector: &'a str,
    category: &'a str,
    confidence: f32,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    member: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sheet: Option<&'a str>,
    start: usize,
    end: usize,
    line: usize,
    #[serde(rename = "match")]
    matched: &'a str,
}

fn shown(s: &Scanned) -> &str {
    s.secret.as_deref().unwrap_or(&s.finding.masked)
}

/// Writes a finding as `JsonFinding` would serialize, without serde's per-byte escaping
/// of strings that need none (ids, categories, most paths and masked matches).
fn write_json(out: &mut impl Write, s: &Scanned) -> Result<()> {
    let f = &s.finding;
    out.write_all(b"{\"detector\":")?;
    json_str(out, &f.detector)?;
    out.write_all(b",\"category\":")?;
    json_str(out, f.category.as_str())?;
    out.write_all(b",\"confidence\":")?;
    serde_json::to_writer(&mut *out, &((f.confidence * 100.0).round() / 100.0))?;
    out.write_all(b",\"path\":")?;
    json_str(out, &f.origin.path)?;
    if let Some(member) = &f.origin.member {
        out.write_all(b",\"member\":")?;
        json_str(out, member)?;
    }
    if let Some(page) = f.origin.page {
        out.write_all(b",\"page\":")?;
        serde_json::to_writer(&mut *out, &page)?;
    }
    if let Some(sheet) = &f.origin.sheet {
        out.write_all(b",\"sheet\":")?;
        json_str(out, sheet)?;
    }
    for (key, value) in [
        (&b",\"start\":"[..], f.start),
        (b",\"end\":", f.end),
        (b",\"line\":", f.line),
    ] {
        out.write_all(key)?;
        serde_json::to_writer(&mut *out, &value)?;
    }
    out.write_all(b",\"match\":")?;
    json_str(out, shown(s))?;
    out.write_all(b"}")?;
    Ok(())
}

/// A JSON string: written as is when nothing in it needs escaping.
fn json_str(out: &mut impl Write, text: &str) -> Result<()> {
    let plain = text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
    if plain {
        out.write_all(b"\"")?;
        out.write_all(text.as_bytes())?;
        out.write_all(b"\"")?;
    } else {
        serde_json::to_writer(&mut *out, text)?;
    }
    Ok(())
}

#[cfg(test)]
fn json_finding(s: &Scanned) -> JsonFinding<'_> {
    let f = &s.finding;
    JsonFinding {
        detector: &f.detector,
        category: f.category.as_str(),
        confidence: (f.confidence * 100.0).round() / 100.0,
        path: &f.origin.path,
        member: f.origin.member.as_deref(),
        page: f.origin.page,
        sheet: f.origin.sheet.as_deref(),
        start: f.start,
        end: f.end,
        line: f.line,
        matched: shown(s),
    }
}

/// Where findings are written as they arrive: text lines, a JSON array with one finding
/// per line, or a SARIF log whose results are streamed.
pub struct Sink<W: Write> {
    format: Format,
    out: W,
    written: usize,
    /// The first write error; once set, nothing more is written.
    error: Option<anyhow::Error>,
}

impl<W: Write> Sink<W> {
    /// Writes the header of `format` (the JSON array's `[`, the SARIF run's tool).
    pub fn begin(format: Format, scanner: &Scanner, mut out: W) -> Result<Sink<W>> {
        match format {
            Format::Text => {}
            Format::Json => out.write_all(b"[")?,
            Format::Sarif => {
                let tool = sarif_tool(scanner);
                write!(
                    out,
                    r#"{{"version":"2.1.0","$schema":"{SARIF_SCHEMA}","runs":[{{"tool":{tool},"results":["#
                )?;
            }
        }
        Ok(Sink {
            format,
            out,
            written: 0,
            error: None,
        })
    }

    /// Writes one finding; a write error is kept for [`Sink::finish`] and stops the output
    /// (a reader that went away, `leakwall scan … | head`), not the scan.
    pub fn write(&mut self, s: &Scanned) {
        if self.error.is_none() {
            if let Err(e) = self.write_one(s) {
                self.error = Some(e);
            }
        }
        self.written += 1;
    }

    fn write_one(&mut self, s: &Scanned) -> Result<()> {
        let sep: &[u8] = if self.written == 0 { b"\n" } else { b",\n" };
        match self.format {
            Format::Text => write_text(&mut self.out, s)?,
            Format::Json => {
                self.out.write_all(sep)?;
                write_json(&mut self.out, s)?;
            }
            Format::Sarif => {
                self.out.write_all(sep)?;
                serde_json::to_writer(&mut self.out, &sarif_result(s))?;
            }
        }
        Ok(())
    }

    /// How many findings were found (written, or due when the output closed).
    pub fn written(&self) -> usize {
        self.written
    }

    /// Closes the JSON array or SARIF log and flushes; returns the first write error.
    pub fn finish(mut self) -> Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        match self.format {
            Format::Text => {}
            Format::Json => self.out.write_all(b"\n]\n")?,
            Format::Sarif => self.out.write_all(b"\n]}]}\n")?,
        }
        self.out.flush()?;
        Ok(())
    }
}

fn write_text(out: &mut impl Write, s: &Scanned) -> Result<()> {
    let f = &s.finding;
    let mut place = f.origin.display();
    if let Some(page) = f.origin.page {
        place.push_str(&format!(" (page {page})"));
    }
    if let Some(sheet) = &f.origin.sheet {
        place.push_str(&format!(" (sheet {sheet})"));
    }
    writeln!(
        out,
        "{place}:{}: {} [{} {:.2}] {}",
        f.line,
        f.detector,
        f.category.as_str(),
        f.confidence,
        shown(s)
    )?;
    Ok(())
}

const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF 2.1.0 tool of the run: one rule per detector.
fn sarif_tool(scanner: &Scanner) -> serde_json::Value {
    let mut rules: Vec<serde_json::Value> = scanner
        .detectors()
        .iter()
        .map(|d| {
            json!({
                "id": d.id(),
                "shortDescription": { "text": d.description() },
                "properties": { "category": d.category().as_str() },
            })
        })
        .collect();
    for pseudo in [leakwall_engine::UNSCANNABLE, leakwall_engine::TYPE_MISMATCH] {
        rules.push(json!({ "id": pseudo, "shortDescription": { "text": pseudo } }));
    }
    json!({ "driver": {
        "name": "leakwall",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    }})
}

fn sarif_result(s: &Scanned) -> serde_json::Value {
    let f = &s.finding;
    let level = if f.confidence >= 0.8 {
        "error"
    } else {
        "warning"
    };
    let logical: Vec<serde_json::Value> = f
        .origin
        .member
        .iter()
        .map(|m| json!({ "fullyQualifiedName": m }))
        .collect();
    json!({
        "ruleId": f.detector,
        "level": level,
        "message": { "text": format!("{} found: {}", f.detector, shown(s)) },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri_reference(&f.origin.path) },
                "region": { "startLine": f.line.max(1) },
            },
            "logicalLocations": logical,
        }],
        "properties": { "confidence": f.confidence, "category": f.category.as_str() },
    })
}

/// A path as a relative URI reference: bytes outside RFC 3986's unreserved and sub-delimiter
/// sets (space, `#`, `?`, `%`, non-ASCII) are percent-encoded; `/` stays.
fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use leakwall_core::{Category, Finding, Origin};
    use leakwall_engine::Scanned;

    use super::{json_finding, uri_reference, write_json};

    fn scanned(path: &str, member: Option<&str>, masked: &str) -> Scanned {
        let mut origin = Origin::path(path);
        origin.member = member.map(str::to_string);
        origin.page = Some(2);
        let finding = Finding {
            detector: "credit_card".into(),
            category: Category::Financial,
            confidence: 0.8500001,
            origin: origin.into(),
            start: 3,
            end: 22,
            line: 7,
            masked: masked.into(),
        };
        Scanned {
            finding,
            secret: None,
        }
    }

    #[test]
    fn the_fast_json_writer_matches_serde() {
        for (path, member, masked) in [
            ("a.txt", None, "41**11"),
            (
                "dir/we\"ird\\name\n.txt",
                Some("in\tner.zip!x"),
                "\"quoted\" \u{1}",
            ),
            ("ünïcode.txt", Some("m"), "pä**öd"),
        ] {
            let s = scanned(path, member, masked);
            let mut fast = Vec::new();
            write_json(&mut fast, &s).unwrap();
            let reference = serde_json::to_vec(&json_finding(&s)).unwrap();
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(reference).unwrap()
            );
        }
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            uri_reference("docs/my file#1.txt"),
            "docs/my%20file%231.txt"
        );
        assert_eq!(uri_reference("ü.txt"), "%C3%BC.txt");
        assert_eq!(uri_reference("a/b-c_d.e"), "a/b-c_d.e");
    }
}
