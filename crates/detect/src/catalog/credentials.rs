//! Credentials of the big platforms: cloud keys, source hosting, chat, payment, private keys,
//! tokens, database URLs and generic secret assignments.

use leakwall_core::Category::Credential;

use crate::spec::{context, literals, Check, Spec, Trigger};
use crate::validate::Validator;

/// Placeholders that mark a value as an example, not a secret.
pub(crate) const PLACEHOLDERS: &[&str] = &[
    "EXAMPLE",
    "example",
    "xxxxxx",
    "XXXXXX",
    "******",
    "${",
    "{{",
    "<",
    "changeme",
    "your_",
    "YOUR_",
    "placeholder",
    "dummy",
    "redacted",
    "REDACTED",
];

/// Placeholder passwords in URLs (the host may well be `example.com`; the password may not).
const URL_PLACEHOLDERS: &[&str] = &[
    ":password@",
    ":pass@",
    ":secret@",
    ":changeme@",
    ":PASSWORD@",
    ":...@",
    "${",
    "{{",
    "<",
    "****",
    "xxxx",
    "XXXX",
];

pub(super) fn cred(
    id: &'static str,
    confidence: f32,
    pattern: &'static str,
    trigger: Trigger,
) -> Spec {
    Spec {
        id,
        category: Credential,
        confidence,
        description: "",
        pattern,
        trigger,
        check: Check::None,
        validation: None,
        hotwords: &[],
        examples: PLACEHOLDERS,
    }
}

/// The credential detectors of the big platforms.
pub fn specs() -> Vec<Spec> {
    vec![
        Spec {
            description: "AWS access key ids (AKIA long-term, ASIA temporary)",
            hotwords: &["aws", "access_key", "access key"],
            examples: &["AKIAIOSFODNN7EXAMPLE", "EXAMPLE"],
            ..cred("aws_access_key", 0.9,
                r"(?-u:\b)((?:AKIA|ASIA)[A-Z2-7]{16})(?-u:\b)",
                literals(&["AKIA", "ASIA"], 0, 20))
        },
        Spec {
            description: "AWS secret access keys (40 base64 characters) next to an AWS secret key name",
            check: Check::Entropy(3.5),
            examples: &["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "EXAMPLE"],
            ..cred("aws_secret_key", 0.85,
                r"(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+=])",
                context(&["aws_secret", "AWS_SECRET", "SecretAccessKey", "secret_access_key"], 0, 100))
        },
        Spec {
            description: "GitHub classic tokens (personal, OAuth, user-to-server, server-to-server, refresh)",
            check: Check::Validator(Validator::GithubToken),
            validation: Some("crc32 checksum"),
            ..cred("github_token", 0.95,
                r"(?-u:\b)(gh[pousr]_[A-Za-z0-9]{36})(?-u:\b)",
                literals(&["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], 0, 40))
        },
        Spec {
            description: "GitHub fine-grained personal access tokens",
            ..cred("github_fine_grained_token", 0.95,
                r"(?-u:\b)(github_pat_[A-Za-z0-9_]{82})(?-u:\b)",
                literals(&["github_pat_"], 0, 93))
        },
        Spec {
            description: "GitLab personal, deploy, runner and pipeline trigger tokens",
            ..cred("gitlab_token", 0.9,
                r"(?-u:\b)(gl(?:pat|dt|rt|ptt)-[A-Za-z0-9_\-]{20,64})",
                literals(&["glpat-", "gldt-", "glrt-", "glptt-"], 0, 70))
        },
        Spec {
            description: "Slack bot, user, app and configuration tokens",
            ..cred("slack_token", 0.9,
                r"(?-u:\b)(xox[baprse]-[0-9]{6,16}-[0-9A-Za-z\-]{10,}|xapp-[0-9]-[A-Za-z0-9\-]{20,})",
                literals(&["xox", "xapp-"], 0, 220))
        },
        Spec {
            description: "Slack incoming webhook and workflow URLs",
            ..cred("slack_webhook", 0.95,
                r"(https?://hooks\.slack\.com/(?:services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{20,32}|workflows/T[A-Z0-9]{6,12}/A[A-Z0-9]{6,12}/[0-9]{6,20}/[A-Za-z0-9]{20,32}))",
                literals(&["hooks.slack.com/"], 8, 120))
        },
        Spec {
            description: "Stripe secret and restricted keys (live and test)",
            ..cred("stripe_key", 0.9,
                r"(?-u:\b)([sr]k_(?:live|test)_[A-Za-z0-9]{24,99})(?-u:\b)",
                literals(&["k_live_", "k_test_"], 1, 110))
        },
        Spec {
            description: "Google API keys",
            ..cred("google_api_key", 0.9,
                r"(AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)",
                literals(&["AIza"], 0, 40))
        },
        Spec {
            description: "Google Cloud service-account key files (JSON)",
            hotwords: &["private_key", "client_email"],
            ..cred("gcp_service_account", 0.8,
                r#"("type"\s*:\s*"service_account")"#,
                literals(&["service_account"], 30, 20))
        },
        Spec {
            description: "PEM and OpenSSH private keys (RSA, EC, DSA, PKCS#8, encrypted, PGP)",
            ..cred("private_key", 0.95,
                r"(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:(?:[A-Za-z0-9+/=\s:,.]|-[A-Za-z0-9+/=\s:,.])*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?)",
                literals(&["PRIVATE KEY"], 40, 8100))
        },
        Spec {
            description: "JSON Web Tokens whose header decodes to a JSON object with an alg",
            check: Check::Validator(Validator::Jwt),
            validation: Some("header decodes"),
            ..cred("jwt", 0.85,
                r"(?-u:\b)(eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]*)",
                literals(&["eyJ"], 0, 16000))
        },
        Spec {
            description: "OpenAI API keys (project, service account, admin and legacy)",
            ..cred("openai_api_key", 0.95,
                r"(?-u:\b)(sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_\-]{20,}T3BlbkFJ[A-Za-z0-9_\-]{20,})",
                literals(&["T3BlbkFJ"], 220, 230))
        },
        Spec {
            description: "Anthropic API and admin keys",
            ..cred("anthropic_api_key", 0.95,
                r"(?-u:\b)(sk-ant-(?:api03|admin01)-[A-Za-z0-9_\-]{93}AA)",
                literals(&["sk-ant-"], 0, 120))
        },
        Spec {
            description: "Hugging Face access tokens",
            ..cred("huggingface_token", 0.85,
                r"(?-u:\b)(hf_[A-Za-z]{34})(?-u:\b)",
                literals(&["hf_"], 0, 37))
        },
        Spec {
            description: "npm access tokens",
            ..cred("npm_token", 0.9,
                r"(?-u:\b)(npm_[A-Za-z0-9]{36})(?-u:\b)",
                literals(&["npm_"], 0, 40))
        },
        Spec {
            description: "PyPI API tokens",
            ..cred("pypi_token", 0.95,
                r"(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})",
                literals(&["pypi-AgEIcHlwaS5vcmc"], 0, 330))
        },
        Spec {
            description: "Database connection URLs that carry a password",
            examples: URL_PLACEHOLDERS,
            ..cred("database_url", 0.9,
                r#"((?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver)://[^\s:/@"'<>]+:[^\s@/"'<>]+@[^\s/"'<>:@]+)"#,
                literals(&["sql://", "gres://", "mongodb", "redis", "amqp", "mariadb://", "sqlserver://"], 12, 520))
        },
        Spec {
            description: "Passwords assigned in code, configuration or chat (password=, passwd:, pwd =), gated by entropy",
            check: Check::Entropy(3.0),
            ..cred("generic_password", 0.7,
                r#"(?i:password|passwd|pwd)["']?\s{0,3}(?::=|=>|:|=)\s{0,3}["']?([^\s"'`,;]{6,})"#,
                context(&["assword", "ASSWORD", "asswd", "ASSWD", "pwd", "PWD"], 1, 200))
        },
        Spec {
            description: "Secrets, API keys and tokens assigned in code or configuration, gated by entropy",
            check: Check::Entropy(3.5),
            ..cred("generic_secret", 0.7,
                r#"(?i:[a-z0-9_\-]{0,20}(?:secret|api[_\-]?key|access[_\-]?token|auth[_\-]?token|private[_\-]?token))["']?\s{0,3}(?::=|=>|:|=)\s{0,3}["']?([A-Za-z0-9/+_\-.=]{16,})"#,
                context(&["ecret", "ECRET", "pi_key", "PI_KEY", "pikey", "piKey", "PIKEY", "pi-key", "_token", "_TOKEN", "Token"], 28, 300))
        },
    ]
}
