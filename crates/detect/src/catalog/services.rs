//! Credentials of other services: messaging, e-mail, payments, infrastructure, observability.

use super::credentials::cred;
use crate::spec::{context, literals, Spec, TokenKind, Trigger};

/// Placeholders plus the Azurite storage emulator's published account and key.
const AZURE_EXAMPLES: &[&str] = &[
    "EXAMPLE",
    "example",
    "xxxxxx",
    "XXXXXX",
    "${",
    "{{",
    "<",
    "your_",
    "YOUR_",
    "placeholder",
    "devstoreaccount1",
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
];

/// The credential detectors of other services.
pub fn specs() -> Vec<Spec> {
    vec![
        Spec {
            description: "Discord bot tokens near the word discord",
            ..cred(
                "discord_bot_token",
                0.8,
                r"(?-u:\b)([MNO][A-Za-z0-9_\-]{23,25}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38})",
                context(&["discord", "Discord", "DISCORD"], 100, 200),
            )
        },
        Spec {
            description: "Discord webhook URLs",
            ..cred(
                "discord_webhook",
                0.95,
                r"(https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_\-]{60,68})",
                literals(&["/api/webhooks/"], 40, 110),
            )
        },
        Spec {
            description: "SendGrid API keys",
            ..cred(
                "sendgrid_api_key",
                0.95,
                r"(?-u:\b)(SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})",
                literals(&["SG."], 0, 70),
            )
        },
        Spec {
            description: "Twilio API key SIDs (SK + 32 hex)",
            hotwords: &["twilio"],
            ..cred(
                "twilio_api_key",
                0.7,
                r"(?-u:\b)(SK[0-9a-fA-F]{32})(?-u:\b)",
                Trigger::Token(TokenKind::Twilio),
            )
        },
        Spec {
            description: "Azure storage account keys (AccountKey=)",
            examples: AZURE_EXAMPLES,
            ..cred(
                "azure_storage_key",
                0.9,
                r"AccountKey=([A-Za-z0-9+/]{86,88}={0,2})",
                literals(&["AccountKey="], 0, 110),
            )
        },
        Spec {
            description: "Azure storage connection strings with an account key",
            examples: AZURE_EXAMPLES,
            ..cred(
                "azure_connection_string",
                0.95,
                r"(DefaultEndpointsProtocol=https?;AccountName=[A-Za-z0-9\-]{3,24};AccountKey=[A-Za-z0-9+/]{86,88}={0,2}(?:;EndpointSuffix=[A-Za-z0-9.]+)?)",
                literals(&["DefaultEndpointsProtocol="], 0, 260),
            )
        },
        Spec {
            description: "Shopify access tokens and shared secrets",
            ..cred(
                "shopify_token",
                0.9,
                r"(?-u:\b)(shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})(?-u:\b)",
                literals(&["shp"], 0, 40),
            )
        },
        Spec {
            description: "DigitalOcean personal, OAuth and refresh tokens",
            ..cred(
                "digitalocean_token",
                0.95,
                r"(?-u:\b)(do[por]_v1_[a-f0-9]{64})(?-u:\b)",
                literals(&["_v1_"], 3, 70),
            )
        },
        Spec {
            description: "age encryption secret keys",
            ..cred(
                "age_secret_key",
                0.95,
                r"(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})",
                literals(&["AGE-SECRET-KEY-1"], 0, 80),
            )
        },
        Spec {
            description: "Postman API keys",
            ..cred(
                "postman_api_key",
                0.95,
                r"(?-u:\b)(PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34})(?-u:\b)",
                literals(&["PMAK-"], 0, 70),
            )
        },
        Spec {
            description: "Grafana service-account and cloud tokens",
            ..cred(
                "grafana_token",
                0.9,
                r"(?-u:\b)(glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2})",
                literals(&["glsa_", "glc_"], 0, 410),
            )
        },
        Spec {
            description: "Telegram bot tokens",
            ..cred(
                "telegram_bot_token",
                0.9,
                r"(?:^|[^0-9])([0-9]{8,10}:AA[A-Za-z0-9_\-]{33})(?-u:\b)",
                literals(&[":AA"], 11, 40),
            )
        },
        Spec {
            description: "Mailchimp API keys",
            ..cred(
                "mailchimp_api_key",
                0.85,
                r"(?-u:\b)([0-9a-f]{32}-us[0-9]{1,2})(?-u:\b)",
                literals(&["-us"], 32, 10),
            )
        },
        Spec {
            description: "Square access tokens and OAuth secrets",
            ..cred(
                "square_token",
                0.9,
                r"(?-u:\b)(sq0atp-[0-9A-Za-z_\-]{22}|sq0csp-[0-9A-Za-z_\-]{43}|EAAA[A-Za-z0-9_\-]{60})(?-u:\b)",
                literals(&["sq0", "EAAA"], 0, 70),
            )
        },
        Spec {
            description: "New Relic user API keys",
            ..cred(
                "new_relic_key",
                0.9,
                r"(?-u:\b)(NRAK-[A-Z0-9]{27})(?-u:\b)",
                literals(&["NRAK-"], 0, 40),
            )
        },
        Spec {
            description: "Atlassian (Jira, Confluence) API tokens",
            ..cred(
                "atlassian_api_token",
                0.9,
                r"(ATATT3[A-Za-z0-9_\-=]{180,200})",
                literals(&["ATATT3"], 0, 210),
            )
        },
    ]
}
