//! The Rego input of one request (spec §1.4, stage `http`): method, path, resource name and
//! user, derived from the request line and headers only.

use std::net::IpAddr;

use base64::Engine as _;
use hyper::HeaderMap;
use serde_json::{json, Value};

use crate::config::OidcConfig;

/// Longest base64 value of the tus `filename` key that is decoded (16 KiB; file systems cap
/// names at a few hundred bytes). A longer value is ignored like an undecodable one.
const MAX_ENCODED_FILENAME: usize = 16 * 1024;

/// What the policy sees of one request, and what a deny reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    /// `request.method`.
    pub method: String,
    /// `request.path`: the URL path percent-decoded with `.`/`..` segments resolved, without
    /// the query string.
    pub path: String,
    /// `resource.name` (empty when it cannot be told).
    pub name: String,
    /// The last path segment, percent-decoded (the deny body's fallback `filename`).
    pub last_segment: String,
    /// `user.*`.
    pub user: User,
}

/// The caller as the identity proxy describes it; empty when unauthenticated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    /// `user.username`.
    pub username: String,
    /// `user.mail`.
    pub mail: String,
    /// `user.display_name`.
    pub display_name: String,
    /// `user.groups`.
    pub groups: Vec<String>,
}

impl RequestFacts {
    /// The facts of a request from `peer`; identity headers are believed only from a trusted
    /// proxy of `oidc`.
    pub fn new(
        method: &str,
        raw_path: &str,
        headers: &HeaderMap,
        peer: IpAddr,
        oidc: Option<&OidcConfig>,
    ) -> RequestFacts {
        let last_segment = decode(raw_path.rsplit('/').next().unwrap_or_default());
        let name = tus_filename(headers)
            .or_else(|| last_segment.contains('.').then(|| last_segment.clone()))
            .unwrap_or_default();
        RequestFacts {
            method: method.to_owned(),
            path: clean_path(&decode(raw_path)),
            name,
            last_segment,
            user: user(headers, peer, oidc),
        }
    }

    /// The Rego `input` document.
    pub fn input(&self) -> Value {
        json!({
            "stage": "http",
            "request": {"method": self.method, "path": self.path},
            "resource": {"name": self.name},
            "user": {
                "username": self.user.username,
                "mail": self.user.mail,
                "display_name": self.user.display_name,
                "groups": self.user.groups,
            },
        })
    }
}

fn decode(raw: &str) -> String {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned()
}

/// Resolves `.` and `..` segments and collapses repeated slashes, so that `/x/../dav/a.exe`
/// and `//dav/a.exe` are judged as the `/dav/a.exe` the upstream will likely see. Keeps a
/// trailing slash.
fn clean_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut cleaned = format!("/{}", segments.join("/"));
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if trailing && cleaned.len() > 1 {
        cleaned.push('/');
    }
    cleaned
}

/// The `filename` of a tus `Upload-Metadata` header (`key base64,key base64,...`), read as
/// tusd reads it, so that the policy judges the name the upstream will store: elements are
/// trimmed, an element of more than two space-separated parts or with an undecodable value is
/// skipped, a key without a value means the empty string, and the last `filename` wins.
fn tus_filename(headers: &HeaderMap) -> Option<String> {
    let mut found = None;
    for header in headers.get_all("upload-metadata") {
        for element in header.as_bytes().split(|b| *b == b',') {
            let element = element.trim_ascii();
            let mut parts = element.split(|b| *b == b' ');
            let (Some(key), value, None) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            if key != b"filename" {
                continue;
            }
            match value {
                None => found = Some(String::new()),
                Some(v) if v.len() <= MAX_ENCODED_FILENAME => {
                    if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(v) {
                        found = Some(String::from_utf8_lossy(&bytes).into_owned());
                    }
                }
                Some(_) => {}
            }
        }
    }
    found
}

/// The identity headers of a trusted front proxy, read as `auth::authenticate` reads them
/// (trimmed, empty = absent); from any other peer, nobody.
fn user(headers: &HeaderMap, peer: IpAddr, oidc: Option<&OidcConfig>) -> User {
    let Some(oidc) = oidc.filter(|o| o.trusted_proxies.contains(&peer)) else {
        return User::default();
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    };
    let username = header(&oidc.username_header);
    if username.is_empty() {
        return User::default();
    }
    let groups = header(&oidc.groups_header)
        .split(oidc.groups_separator.as_str())
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .collect();
    User {
        username,
        mail: header(&oidc.email_header),
        display_name: header(&oidc.name_header),
        groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(method: &str, path: &str, headers: &[(&str, &str)]) -> RequestFacts {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        RequestFacts::new(method, path, &map, [127, 0, 0, 1].into(), None)
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn the_input_has_the_shape_of_the_spec() {
        let f = facts("PUT", "/dav/files/a/report%20q1.pdf", &[]);
        assert_eq!(
            f.input(),
            json!({"stage": "http", "request": {"method": "PUT", "path": "/dav/files/a/report q1.pdf"},
                "resource": {"name": "report q1.pdf"},
                "user": {"username": "", "mail": "", "display_name": "", "groups": []}})
        );
    }

    #[test]
    fn the_name_comes_from_tus_metadata_first() {
        let meta = format!(
            "relativePath bnVsbA==,filename {},filetype eA==",
            b64("evil.exe")
        );
        let f = facts("POST", "/data/ok.pdf", &[("upload-metadata", &meta)]);
        assert_eq!(f.name, "evil.exe");
    }

    #[test]
    fn tus_metadata_is_read_like_tusd() {
        let cases = [
            (format!("filename {}", b64("a.pdf")), Some("a.pdf")),
            (
                format!("filename {},filename {}", b64("a.pdf"), b64("b.exe")),
                Some("b.exe"),
            ),
            (
                format!("filename {},filename !!!", b64("a.exe")),
                Some("a.exe"),
            ),
            ("filename !!!".to_owned(), None),
            ("filename".to_owned(), Some("")),
            (format!("filename  {}", b64("a.exe")), None),
            (format!("filename {} x", b64("a.exe")), None),
            (format!("filename {}", "QUFB".repeat(5000)), None),
            (",,, ,filename,".to_owned(), Some("")),
        ];
        for (header, want) in cases {
            let f = facts("POST", "/data", &[("upload-metadata", &header)]);
            assert_eq!(f.name, want.unwrap_or_default(), "{header}");
        }
    }

    #[test]
    fn without_metadata_the_name_is_a_last_segment_with_an_extension() {
        assert_eq!(facts("PUT", "/dav/x.exe", &[]).name, "x.exe");
        assert_eq!(facts("PUT", "/dav/x%2Eexe", &[]).name, "x.exe");
        assert_eq!(facts("PUT", "/dav/spaces/1234", &[]).name, "");
        assert_eq!(facts("PUT", "/dav/a.d/", &[]).name, "");
        assert_eq!(facts("PUT", "/dav/x%FF.exe", &[]).name, "x\u{fffd}.exe");
        assert_eq!(facts("PUT", "/dav/spaces/1234", &[]).last_segment, "1234");
    }

    #[test]
    fn the_path_is_decoded_and_cleaned() {
        assert_eq!(facts("PUT", "/%64av/a.exe", &[]).path, "/dav/a.exe");
        assert_eq!(facts("PUT", "/x/../dav/./a.exe", &[]).path, "/dav/a.exe");
        assert_eq!(facts("PUT", "//dav//a.exe", &[]).path, "/dav/a.exe");
        assert_eq!(facts("PUT", "/../../", &[]).path, "/");
        assert_eq!(facts("MKCOL", "/dav/new/", &[]).path, "/dav/new/");
    }

    #[test]
    fn identity_headers_count_only_from_trusted_proxies() {
        let oidc = OidcConfig {
            trusted_proxies: vec![[10, 0, 0, 1].into()],
            ..OidcConfig::default()
        };
        let mut h = HeaderMap::new();
        h.insert("oidc_claim_sub", " alice ".parse().unwrap());
        h.insert("oidc_claim_email", "a@x.org".parse().unwrap());
        h.insert("oidc_claim_name", "Alice".parse().unwrap());
        h.insert("oidc_claim_groups", "finance, ,staff".parse().unwrap());
        let trusted = RequestFacts::new("GET", "/", &h, [10, 0, 0, 1].into(), Some(&oidc));
        assert_eq!(
            trusted.user,
            User {
                username: "alice".into(),
                mail: "a@x.org".into(),
                display_name: "Alice".into(),
                groups: vec!["finance".into(), "staff".into()],
            }
        );
        let other = RequestFacts::new("GET", "/", &h, [10, 0, 0, 2].into(), Some(&oidc));
        assert_eq!(other.user, User::default());
    }
}
