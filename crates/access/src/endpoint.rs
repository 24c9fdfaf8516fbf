//! Permitted endpoints: compiled rules and the path normalization they are matched against.

use regex::{Regex, RegexBuilder};

use crate::error::AccessError;
use crate::model::EndpointRule;

/// The compiled-size limit of one endpoint expression (admin data, but still bounded).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// An [`EndpointRule`] with its expression compiled, anchored at the start of the path.
#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    pub(crate) rule: EndpointRule,
    regex: Regex,
}

impl CompiledRule {
    /// Compiles `rule`; `owner` names the identifier or group in errors.
    pub(crate) fn new(rule: &EndpointRule, owner: &str) -> Result<CompiledRule, AccessError> {
        let invalid = |e: regex::Error| AccessError::InvalidEndpoint {
            owner: owner.to_string(),
            endpoint: rule.endpoint.clone(),
            message: e.to_string(),
        };
        // Compile the expression alone first, so that an unbalanced `)` cannot escape the
        // anchoring group below.
        build(&rule.endpoint).map_err(invalid)?;
        let regex = build(&format!("^(?:{})", rule.endpoint)).map_err(invalid)?;
        Ok(CompiledRule {
            rule: rule.clone(),
            regex,
        })
    }

    /// Whether the rule allows `method` on the normalized `path`.
    pub(crate) fn allows(&self, method: &str, path: &str) -> bool {
        let method_ok = self.rule.method == "*" || self.rule.method.eq_ignore_ascii_case(method);
        method_ok && self.regex.is_match(path)
    }
}

fn build(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
}

/// The path endpoint rules are matched against, or `None` if the path is never permitted.
///
/// The query string (and any fragment) is cut off; `/api` or a leading `/api/` is removed so
/// that rules are written relative to the API root; a path that does not start with `/` or
/// that has a `.` or `..` segment (also percent-encoded) is refused.
pub(crate) fn normalize(path: &str) -> Option<&str> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    if !path.starts_with('/') || path.split('/').any(is_dot_segment) {
        return None;
    }
    if path == "/api" {
        return Some("/");
    }
    match path.strip_prefix("/api") {
        Some(rest) if rest.starts_with('/') => Some(rest),
        _ => Some(path),
    }
}

fn is_dot_segment(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "." | ".." | "%2e" | "%2e%2e" | ".%2e" | "%2e."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_strips_api_prefix_and_query() {
        assert_eq!(normalize("/api/incidents/7?x=1"), Some("/incidents/7"));
        assert_eq!(normalize("/api"), Some("/"));
        assert_eq!(normalize("/apix/1"), Some("/apix/1"));
        assert_eq!(normalize("/v1/scan"), Some("/v1/scan"));
    }

    #[test]
    fn normalize_refuses_dot_segments_and_relative_paths() {
        assert_eq!(normalize("/api/incidents/../groups"), None);
        assert_eq!(normalize("/api/%2E%2e/groups"), None);
        assert_eq!(normalize("/api/./groups"), None);
        assert_eq!(normalize("incidents"), None);
        assert_eq!(normalize(""), None);
    }

    #[test]
    fn unbalanced_group_cannot_escape_the_anchor() {
        let rule = EndpointRule {
            method: "*".into(),
            endpoint: "/x)|(.*".into(),
        };
        assert!(matches!(
            CompiledRule::new(&rule, "g"),
            Err(AccessError::InvalidEndpoint { .. })
        ));
    }
}
