//! Personal and financial data: cards, bank numbers, national ids, contact data, addresses.

use leakwall_core::Category::{Financial, Pii};

use crate::spec::{context, Check, Spec, TokenKind, Trigger};

const DATE: &str = r"(?-u:\b)(?:(?:19|20)[0-9]{2}[\-/.](?:0?[1-9]|1[0-2])[\-/.](?:0?[1-9]|[12][0-9]|3[01])|(?:0?[1-9]|[12][0-9]|3[01])[\-/.](?:0?[1-9]|1[0-2])[\-/.](?:19|20)[0-9]{2}|(?:0?[1-9]|1[0-2])[\-/.](?:0?[1-9]|[12][0-9]|3[01])[\-/.](?:19|20)[0-9]{2}|(?:0?[1-9]|[12][0-9]|3[01]) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6},? (?:19|20)[0-9]{2}|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6} (?:0?[1-9]|[12][0-9]|3[01]),? (?:19|20)[0-9]{2})(?-u:\b)";

/// Words that make an IP address personal data worth reporting (a client, a user, a host).
const IP_WORDS: &[&str] = &[
    "ip",
    "ipv4",
    "ipv6",
    "addr",
    "address",
    "host",
    "client",
    "remote",
    "src",
    "dst",
    "login",
    "user",
    "ssh",
    "inet",
    "inet6",
    "bind",
    "listen",
    "upstream",
    "peer",
    "forwarded",
    "connect",
];

fn token(
    id: &'static str,
    category: leakwall_core::Category,
    confidence: f32,
    kind: TokenKind,
    pattern: &'static str,
    description: &'static str,
) -> Spec {
    Spec {
        id,
        category,
        confidence,
        description,
        pattern,
        trigger: Trigger::Token(kind),
        check: Check::None,
        validation: None,
        hotwords: &[],
        examples: &[],
    }
}

/// The personal and financial detectors.
pub fn specs() -> Vec<Spec> {
    vec![
        Spec {
            validation: Some("luhn+issuer"),
            hotwords: &["card", "visa", "mastercard", "amex", "credit", "debit", "cvv", "exp"],
            ..token("credit_card", Financial, 0.8, TokenKind::Card,
                r"(?-u:\b)[2-6][0-9]{3}(?:[ \-]?[0-9]{4}){2}[ \-]?[0-9]{1,7}(?-u:\b)",
                "Payment card numbers (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro), plain or with space or dash separators")
        },
        Spec {
            validation: Some("country length + mod-97"),
            hotwords: &["iban", "bank", "transfer", "account"],
            ..token("iban", Financial, 0.85, TokenKind::Iban,
                r"(?-u:\b)[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?-u:\b)",
                "International Bank Account Numbers, compact or in groups of four")
        },
        Spec {
            validation: Some("aba checksum"),
            hotwords: &["routing", "aba", "rtn", "transit", "wire"],
            ..token("aba_routing", Financial, 0.3, TokenKind::Aba,
                r"(?-u:\b)[0-9]{9}(?-u:\b)",
                "US ABA bank routing numbers (checksum; confidence needs context words)")
        },
        Spec {
            id: "us_bank_account",
            category: Financial,
            confidence: 0.6,
            description: "US bank account numbers (8 to 17 digits) right after account context words",
            pattern: r"(?-u:\b)([0-9]{8,17})(?-u:\b)",
            trigger: context(&["account n", "Account N", "account N", "ACCOUNT N", "acct", "Acct", "ACCT", "bank account", "Bank account"], 0, 48),
            check: Check::None,
            validation: None,
            hotwords: &["bank", "checking", "savings"],
            examples: &[],
        },
        Spec {
            validation: Some("base58check / bech32"),
            hotwords: &["btc", "bitcoin", "wallet"],
            ..token("bitcoin_address", Financial, 0.8, TokenKind::Bitcoin,
                r"(?-u:\b)(?:[13][a-km-zA-HJ-NP-Z1-9]{25,34}|bc1[ac-hj-np-z02-9]{11,71})(?-u:\b)",
                "Bitcoin addresses: legacy and P2SH (base58check) and segwit (bech32/bech32m)")
        },
        Spec {
            validation: Some("hex + EIP-55 checksum"),
            hotwords: &["eth", "ethereum", "wallet", "metamask"],
            ..token("ethereum_address", Financial, 0.6, TokenKind::Ethereum,
                r"(?-u:\b)0x[0-9a-fA-F]{40}(?-u:\b)",
                "Ethereum addresses")
        },
        Spec {
            validation: Some("area/group/serial rules"),
            hotwords: &["ssn", "social security", "social sec"],
            ..token("us_ssn", Pii, 0.6, TokenKind::Ssn,
                r"(?-u:\b)(?:[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{3} [0-9]{2} [0-9]{4}|[0-9]{9})(?-u:\b)",
                "US Social Security numbers (formatted 3-2-4; plain nine digits need context)")
        },
        Spec {
            validation: Some("itin ranges"),
            hotwords: &["itin", "taxpayer", "tax id"],
            ..token("us_itin", Pii, 0.6, TokenKind::Itin,
                r"(?-u:\b)9[0-9]{2}[ \-]?[5-9][0-9][ \-]?[0-9]{4}(?-u:\b)",
                "US Individual Taxpayer Identification Numbers")
        },
        Spec {
            validation: Some("HMRC prefix rules"),
            hotwords: &["national insurance", "nino", "ni number", "ni no"],
            ..token("uk_nino", Pii, 0.7, TokenKind::Nino,
                r"(?-u:\b)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D](?-u:\b)",
                "UK National Insurance numbers")
        },
        Spec {
            validation: Some("mod-11"),
            hotwords: &["nhs", "health", "patient"],
            ..token("uk_nhs", Pii, 0.4, TokenKind::Nhs,
                r"(?-u:\b)[0-9]{3}[ \-]?[0-9]{3}[ \-]?[0-9]{4}(?-u:\b)",
                "UK NHS numbers (mod-11; confidence needs context words)")
        },
        Spec {
            hotwords: &["email", "e-mail", "mail", "contact"],
            ..token("email", Pii, 0.7, TokenKind::Email,
                r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,24}",
                "E-mail addresses")
        },
        Spec {
            hotwords: &["phone", "tel", "mobile", "cell", "call", "fax", "whatsapp"],
            ..token("phone", Pii, 0.5, TokenKind::Phone,
                r"(?:\+[1-9][0-9 \-]{7,17}[0-9]|\(?[0-9]{3}\)?[ .\-]?[0-9]{3}[ .\-][0-9]{4}|0[0-9]{2,4}[ \-][0-9]{3,4}[ \-]?[0-9]{3,4})(?-u:\b)",
                "Phone numbers in E.164 and common national formats")
        },
        Spec {
            hotwords: IP_WORDS,
            ..token("ipv4", Pii, 0.3, TokenKind::Ipv4,
                r"(?-u:\b)(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?-u:\b)",
                "IPv4 addresses")
        },
        Spec {
            hotwords: IP_WORDS,
            ..token("ipv6", Pii, 0.3, TokenKind::Ipv6,
                r"(?-u:\b)(?:[0-9A-Fa-f]{1,4}:){2,7}:?[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{1,4}){0,6}(?-u:\b)",
                "IPv6 addresses (full and compressed forms)")
        },
        Spec {
            hotwords: &["mac", "ether", "hwaddr", "device", "bssid", "lladdr"],
            ..token("mac_address", Pii, 0.3, TokenKind::Mac,
                r"(?-u:\b)[0-9A-Fa-f]{2}(?:[:\-][0-9A-Fa-f]{2}){5}(?-u:\b)",
                "MAC addresses")
        },
        Spec {
            id: "us_passport",
            category: Pii,
            confidence: 0.5,
            description: "US passport numbers (nine digits, or a letter and eight digits) near the word passport; low confidence",
            pattern: r"(?-u:\b)([A-Z]?[0-9]{8,9})(?-u:\b)",
            trigger: context(&["passport", "Passport", "PASSPORT"], 0, 40),
            check: Check::None,
            validation: None,
            hotwords: &[],
            examples: &[],
        },
        Spec {
            id: "date_of_birth",
            category: Pii,
            confidence: 0.7,
            description: "Dates near birth context words (DOB, date of birth, born)",
            pattern: DATE,
            trigger: context(&["DOB", "dob", "D.O.B", "birth", "Birth", "BIRTH", "born", "Born"], 0, 40),
            check: Check::Date,
            validation: None,
            hotwords: &[],
            examples: &[],
        },
    ]
}
