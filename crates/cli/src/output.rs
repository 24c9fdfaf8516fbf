//! Output of `leakwall scan`: text for people, JSON for scripts, SARIF for code scanning.

use std::io::Write;

use anyhow::Result;
use leakwall_detect::Scanner;
use leakwall_engine::{ScanReport, Scanned};
use serde::Serialize;
use serde_json::json;

use crate::args::Format;

/// A finding as printed in JSON: masked unless `--show-secrets`.
#[derive(Serialize)]
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

/// Writes every report's findings in `format`.
pub fn write(
    format: Format,
    scanner: &Scanner,
    reports: &[ScanReport],
    out: &mut impl Write,
) -> Result<()> {
    let all = reports.iter().flat_map(|r| r.findings.iter());
    match format {
        Format::Text => {
            for s in all {
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
            }
        }
        Format::Json => {
            let rows: Vec<JsonFinding> = all.map(json_finding).collect();
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)?;
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif(scanner, all.collect()))?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// A SARIF 2.1.0 log with one run, one rule per detector.
fn sarif(scanner: &Scanner, findings: Vec<&Scanned>) -> serde_json::Value {
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
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|s| {
            let f = &s.finding;
            let level = if f.confidence >= 0.8 {
                "error"
            } else {
                "warning"
            };
            json!({
                "ruleId": f.detector,
                "level": level,
                "message": { "text": format!("{} found: {}", f.detector, shown(s)) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.origin.path },
                        "region": { "startLine": f.line.max(1) },
                    },
                    "logicalLocations": f.origin.member.as_ref()
                        .map(|m| vec![json!({ "fullyQualifiedName": m })])
                        .unwrap_or_default(),
                }],
                "properties": { "confidence": f.confidence, "category": f.category.as_str() },
            })
        })
        .collect();
    json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": { "driver": {
                "name": "leakwall",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}
