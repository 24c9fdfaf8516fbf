//! The local fallback catalog (`--patterns local`): ~50 typical DLP regexes in regex-automata
//! syntax, the same shapes as in shared/specs/detection-speed.md. Used while, or where, the
//! built-in catalog of `leakwall-detect` is not available.

/// (id, pattern) pairs.
pub const LOCAL: &[(&str, &str)] = &[
    (
        "credit_card",
        r"\b(?:4[0-9]{3}|5[1-5][0-9]{2}|6011|3[47][0-9]{2})[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{1,4}\b",
    ),
    ("us_ssn", r"\b[0-8][0-9]{2}-[0-9]{2}-[0-9]{4}\b"),
    (
        "iban",
        r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b",
    ),
    (
        "email",
        r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b",
    ),
    (
        "phone_us",
        r"(?:\+1[ .-]?)?\(?\b[2-9][0-9]{2}\)?[ .-]?[0-9]{3}[ .-]?[0-9]{4}\b",
    ),
    (
        "phone_intl",
        r"\+[1-9][0-9]{0,2}[ .-]?[0-9]{1,4}(?:[ .-]?[0-9]{2,4}){2,4}\b",
    ),
    (
        "ipv4",
        r"\b(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\b",
    ),
    ("ipv6", r"\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b"),
    ("mac", r"\b(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}\b"),
    (
        "aws_access_key",
        r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z2-7]{16}\b",
    ),
    (
        "aws_secret_key",
        r#"(?i)aws_?secret_?access_?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}"#,
    ),
    ("github_pat", r"\bghp_[A-Za-z0-9]{36}\b"),
    ("github_oauth", r"\bgho_[A-Za-z0-9]{36}\b"),
    ("github_app", r"\b(?:ghu|ghs|ghr)_[A-Za-z0-9]{36}\b"),
    ("github_fine_grained", r"\bgithub_pat_[A-Za-z0-9_]{82}\b"),
    ("gitlab_pat", r"\bglpat-[A-Za-z0-9_-]{20}\b"),
    (
        "slack_token",
        r"\bxox[baprs]-[0-9]{10,13}-[0-9]{10,13}(?:-[A-Za-z0-9]{24,32})?\b",
    ),
    (
        "slack_webhook",
        r"https://hooks\.slack\.com/services/T[A-Z0-9]{8,10}/B[A-Z0-9]{8,10}/[A-Za-z0-9]{24}",
    ),
    ("stripe_secret", r"\b(?:sk|rk)_live_[A-Za-z0-9]{24,99}\b"),
    ("stripe_publishable", r"\bpk_live_[A-Za-z0-9]{24,99}\b"),
    ("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    (
        "google_oauth",
        r"\b[0-9]+-[0-9a-z]{32}\.apps\.googleusercontent\.com\b",
    ),
    (
        "openai_key",
        r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20}T3BlbkFJ[A-Za-z0-9_-]{20}\b",
    ),
    ("anthropic_key", r"\bsk-ant-api03-[A-Za-z0-9_-]{93}AA\b"),
    ("twilio_key", r"\bSK[0-9a-fA-F]{32}\b"),
    (
        "sendgrid_key",
        r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b",
    ),
    ("mailgun_key", r"\bkey-[0-9a-zA-Z]{32}\b"),
    ("npm_token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("pypi_token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),
    ("azure_storage_key", r"(?i)AccountKey=[A-Za-z0-9+/]{86}=="),
    (
        "gcp_service_account",
        r#""private_key_id"\s*:\s*"[0-9a-f]{40}""#,
    ),
    (
        "private_key_pem",
        r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----",
    ),
    ("pgp_private_key", r"-----BEGIN PGP PRIVATE KEY BLOCK-----"),
    (
        "jwt",
        r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b",
    ),
    (
        "url_with_password",
        r"\b[a-z][a-z0-9+.-]{1,20}://[^\s:/@]{1,64}:[^\s:/@]{1,128}@[A-Za-z0-9.-]+",
    ),
    (
        "password_assignment",
        r#"(?i)\b(?:password|passwd|pwd|secret)\s*[:=]\s*["']?[^\s"']{8,}"#,
    ),
    ("bearer_token", r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{20,}=*"),
    (
        "basic_auth_header",
        r"(?i)\bauthorization:\s*basic\s+[A-Za-z0-9+/]{16,}=*",
    ),
    (
        "bitcoin_address",
        r"\b(?:bc1[a-z0-9]{39,59}|[13][a-km-zA-HJ-NP-Z1-9]{25,34})\b",
    ),
    ("ethereum_address", r"\b0x[0-9a-fA-F]{40}\b"),
    (
        "uk_nino",
        r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\b",
    ),
    ("ca_sin", r"\b[1-9][0-9]{2}[ -][0-9]{3}[ -][0-9]{3}\b"),
    (
        "fr_insee",
        r"\b[12][0-9]{2}(?:0[1-9]|1[0-2])(?:2[AB]|[0-9]{2})[0-9]{3}[0-9]{3}(?:[0-9]{2})?\b",
    ),
    ("de_tax_id", r"\b[1-9][0-9]{10}\b"),
    (
        "us_passport",
        r"(?i)\bpassport(?:\s+(?:no|number))?[:#\s]+[A-Z0-9]{9}\b",
    ),
    (
        "date_of_birth",
        r"(?i)\b(?:dob|date of birth)[:\s]+[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}\b",
    ),
    (
        "us_bank_routing",
        r"(?i)\brouting(?:\s+number)?[:#\s]+[0-9]{9}\b",
    ),
    (
        "swift_bic",
        r"\b[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?\b",
    ),
    (
        "heroku_api_key",
        r"(?i)heroku[a-z_-]*\s*[:=]\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    ),
    (
        "generic_api_key",
        r#"(?i)\b(?:api[_-]?key|access[_-]?token|client[_-]?secret)\s*[:=]\s*["']?[A-Za-z0-9_\-]{16,}"#,
    ),
];

#[cfg(test)]
mod tests {
    #[test]
    fn local_catalog_compiles() {
        let pats: Vec<&str> = super::LOCAL.iter().map(|p| p.1).collect();
        assert!(pats.len() >= 45);
        regex_automata::meta::Regex::new_many(&pats).expect("local patterns compile");
    }
}
