//! The OCS envelope: `{"ocs": {"meta": {status, statuscode, message, totalitems,
//! itemsperpage}, "data": …}}` in JSON, `<ocs><meta>…</meta><data>…</data></ocs>` in XML
//! (the default; JSON with `format=json`). On `/ocs/v2.php` the HTTP status follows the OCS
//! status code (200 for success, 403 for a refusal); on `/ocs/v1.php` it is always 200 and a
//! success is statuscode 100.

use hyper::StatusCode;
use serde_json::{json, Value};

/// How the client asked to be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// JSON (`format=json`, or an `Accept` of JSON); else XML.
    pub json: bool,
    /// `/ocs/v2.php` (else v1).
    pub v2: bool,
}

impl Dialect {
    /// The dialect of a request: its path, query string and `Accept` header.
    pub fn of(path: &str, query: Option<&str>, accept: Option<&str>) -> Dialect {
        let format = query
            .unwrap_or_default()
            .split('&')
            .find_map(|pair| pair.strip_prefix("format="));
        let json = match format {
            Some(f) => f.eq_ignore_ascii_case("json"),
            None => accept.is_some_and(|a| a.contains("application/json")),
        };
        Dialect {
            json,
            v2: path.starts_with("/ocs/v2.php/"),
        }
    }

    /// A failure answer: the HTTP status and the body with `ocs.meta.status` failure.
    pub fn failure(self, statuscode: u16, message: &str) -> (StatusCode, String, &'static str) {
        let http = if self.v2 {
            StatusCode::from_u16(statuscode).unwrap_or(StatusCode::BAD_REQUEST)
        } else {
            StatusCode::OK
        };
        let body = if self.json {
            json!({"ocs": {"meta": {"status": "failure", "statuscode": statuscode,
                "message": message, "totalitems": "", "itemsperpage": ""}, "data": []}})
            .to_string()
        } else {
            format!(
                "<?xml version=\"1.0\"?>\n<ocs>\n <meta>\n  <status>failure</status>\n  \
                 <statuscode>{statuscode}</statuscode>\n  <message>{}</message>\n  \
                 <totalitems></totalitems>\n  <itemsperpage></itemsperpage>\n </meta>\n \
                 <data/>\n</ocs>\n",
                escape(message)
            )
        };
        let content_type = if self.json {
            "application/json; charset=utf-8"
        } else {
            "text/xml; charset=UTF-8"
        };
        (http, body, content_type)
    }
}

/// XML text escaping.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether an upstream answer is a success (`ocs.meta.status` ok), in either format.
pub fn is_ok(body: &[u8]) -> bool {
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        return value["ocs"]["meta"]["status"] == "ok";
    }
    let text = String::from_utf8_lossy(body);
    text.contains("<status>ok</status>")
}

/// The body with `warning` appended to `ocs.meta.message`; unchanged when it is not an OCS
/// envelope.
pub fn add_warning(body: &[u8], warning: &str) -> Vec<u8> {
    if let Ok(mut value) = serde_json::from_slice::<Value>(body) {
        if let Some(meta) = value["ocs"]["meta"].as_object_mut() {
            let message = join(meta.get("message").and_then(Value::as_str), warning);
            meta.insert("message".into(), Value::String(message));
            return value.to_string().into_bytes();
        }
        return body.to_vec();
    }
    let text = String::from_utf8_lossy(body);
    let Some(meta_end) = text.find("</meta>") else {
        return body.to_vec();
    };
    let meta = &text[..meta_end];
    let replaced = if let Some(open) = meta.find("<message>") {
        let start = open + "<message>".len();
        match meta[start..].find("</message>") {
            Some(len) => {
                let old = &meta[start..start + len];
                let message = join(Some(old).filter(|m| !m.is_empty()), &escape(warning));
                format!("{}{message}{}", &text[..start], &text[start + len..])
            }
            None => return body.to_vec(),
        }
    } else if let Some(open) = meta.find("<message/>") {
        let end = open + "<message/>".len();
        format!(
            "{}<message>{}</message>{}",
            &text[..open],
            escape(warning),
            &text[end..]
        )
    } else {
        format!(
            "{}  <message>{}</message>\n{}",
            &text[..meta_end],
            escape(warning),
            &text[meta_end..]
        )
    };
    replaced.into_bytes()
}

fn join(old: Option<&str>, warning: &str) -> String {
    match old.map(str::trim).filter(|m| !m.is_empty() && *m != "OK") {
        Some(old) => format!("{old} {warning}"),
        None => warning.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects() {
        let d = Dialect::of(
            "/ocs/v2.php/apps/files_sharing/api/v1/shares",
            Some("format=json"),
            None,
        );
        assert!(d.json && d.v2);
        let d = Dialect::of("/ocs/v1.php/apps/files_sharing/api/v1/shares", None, None);
        assert!(!d.json && !d.v2);
        assert_eq!(d.failure(403, "no").0, StatusCode::OK, "v1 answers 200");
    }

    #[test]
    fn warnings_join_the_message_in_both_formats() {
        let json = br#"{"ocs":{"meta":{"status":"ok","statuscode":200,"message":"OK"},"data":{}}}"#;
        let out: Value = serde_json::from_slice(&add_warning(json, "careful")).unwrap();
        assert_eq!(out["ocs"]["meta"]["message"], "careful");
        let xml = b"<ocs><meta><status>ok</status><message>OK</message></meta><data/></ocs>";
        let out = String::from_utf8(add_warning(xml, "a & b")).unwrap();
        assert!(out.contains("<message>a &amp; b</message>"), "{out}");
        let xml = b"<ocs><meta><status>ok</status><message/></meta></ocs>";
        assert!(String::from_utf8(add_warning(xml, "w"))
            .unwrap()
            .contains("<message>w</message>"));
        assert!(is_ok(xml));
    }
}
