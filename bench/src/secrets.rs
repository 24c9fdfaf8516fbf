//! Planted secrets: real-looking, *valid* values (Luhn, mod-97, well-formed token shapes),
//! each wrapped in a chat or log context line.

use crate::rng::Rng;

/// The kinds of planted secret, in the order the generator cycles through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    CreditCard,
    UsSsn,
    Iban,
    AwsAccessKey,
    GithubToken,
    SlackToken,
    StripeKey,
    PrivateKey,
    Jwt,
    Password,
    DatabaseUrl,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::CreditCard,
        Kind::UsSsn,
        Kind::Iban,
        Kind::AwsAccessKey,
        Kind::GithubToken,
        Kind::SlackToken,
        Kind::StripeKey,
        Kind::PrivateKey,
        Kind::Jwt,
        Kind::Password,
        Kind::DatabaseUrl,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::CreditCard => "credit_card",
            Kind::UsSsn => "us_ssn",
            Kind::Iban => "iban",
            Kind::AwsAccessKey => "aws_access_key",
            Kind::GithubToken => "github_token",
            Kind::SlackToken => "slack_token",
            Kind::StripeKey => "stripe_key",
            Kind::PrivateKey => "private_key",
            Kind::Jwt => "jwt",
            Kind::Password => "password",
            Kind::DatabaseUrl => "database_url",
        }
    }
}

/// Luhn check digit for `digits` (the payload without its check digit).
pub fn luhn_digit(digits: &str) -> u8 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// A Luhn-valid card number, grouped with spaces or dashes about half of the time.
pub fn credit_card(rng: &mut Rng) -> String {
    let (prefix, len) = rng.pick(&[("4", 16), ("51", 16), ("55", 16), ("37", 15), ("6011", 16)]);
    let mut num = String::from(prefix);
    rng.push_digits(&mut num, len - prefix.len() - 1);
    let d = luhn_digit(&num);
    num.push((b'0' + d) as char);
    let groups: &[usize] = if len == 15 { &[4, 6, 5] } else { &[4, 4, 4, 4] };
    match rng.below(4) {
        0 | 1 => num,
        k => {
            let sep = if k == 2 { ' ' } else { '-' };
            let mut out = String::new();
            let mut at = 0;
            for (i, g) in groups.iter().enumerate() {
                if i > 0 {
                    out.push(sep);
                }
                out.push_str(&num[at..at + g]);
                at += g;
            }
            out
        }
    }
}

/// A structurally valid US SSN (area not 000/666/9xx, group not 00, serial not 0000).
pub fn us_ssn(rng: &mut Rng) -> String {
    let mut area = rng.range(1, 899);
    if area == 666 {
        area = 667;
    }
    format!(
        "{:03}-{:02}-{:04}",
        area,
        rng.range(1, 99),
        rng.range(1, 9999)
    )
}

/// `n mod 97` of an IBAN-style numeric string where letters count as 10..35.
fn mod97(s: &str) -> u32 {
    let mut r: u32 = 0;
    for c in s.chars() {
        let v = c.to_digit(36).expect("alphanumeric");
        r = if v >= 10 {
            (r * 100 + v) % 97
        } else {
            (r * 10 + v) % 97
        };
    }
    r
}

/// An IBAN with a correct mod-97 check, printed compact or in groups of four.
pub fn iban(rng: &mut Rng) -> String {
    let country = rng.pick(&["DE", "GB", "FR", "NL", "ES"]);
    let mut bban = String::new();
    match country {
        "GB" => {
            bban.push_str(rng.pick(&["NWBK", "BARC", "HBUK", "LOYD"]));
            rng.push_digits(&mut bban, 14);
        }
        "NL" => {
            bban.push_str(rng.pick(&["ABNA", "INGB", "RABO"]));
            rng.push_digits(&mut bban, 10);
        }
        "FR" => rng.push_digits(&mut bban, 23),
        "ES" => rng.push_digits(&mut bban, 20),
        _ => rng.push_digits(&mut bban, 18),
    }
    let check = 98 - mod97(&format!("{bban}{country}00"));
    let compact = format!("{country}{check:02}{bban}");
    if rng.pct(70) {
        return compact;
    }
    let chunks: Vec<&str> = compact
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    chunks.join(" ")
}

const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64STD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Unpadded base64url of `data`.
pub fn base64url(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 4 / 3 + 3);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(B64URL[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// The 6-character suffix of a GitHub token: CRC-32 of the 30 random characters, in base62
/// (`0-9A-Za-z`), left-padded with `0`.
fn github_checksum(random: &str) -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut crc = flate2::Crc::new();
    crc.update(random.as_bytes());
    let mut v = u64::from(crc.sum());
    let mut sum = [b'0'; 6];
    for d in sum.iter_mut().rev() {
        *d = B62[(v % 62) as usize];
        v /= 62;
    }
    String::from_utf8(sum.to_vec()).expect("ascii")
}

/// A GitHub classic token in the 2021 format: `ghp_`, 30 random base62 characters, checksum.
pub fn github_token(rng: &mut Rng) -> String {
    let random = rng.alnum(30);
    format!("ghp_{random}{}", github_checksum(&random))
}

fn jwt(rng: &mut Rng) -> String {
    let header = base64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = format!(
        r#"{{"sub":"{}","name":"user{}","iat":{},"exp":{}}}"#,
        rng.digits(8),
        rng.below(100_000),
        1_700_000_000 + rng.below(50_000_000),
        1_760_000_000 + rng.below(50_000_000)
    );
    let sig: Vec<u8> = (0..32).map(|_| rng.below(256) as u8).collect();
    format!(
        "{header}.{}.{}",
        base64url(payload.as_bytes()),
        base64url(&sig)
    )
}

fn private_key(rng: &mut Rng) -> String {
    let label = rng.pick(&[
        "RSA PRIVATE KEY",
        "PRIVATE KEY",
        "EC PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
    ]);
    let mut s = format!("-----BEGIN {label}-----\n");
    for _ in 0..rng.range(3, 8) {
        rng.push_from(&mut s, B64STD, 64);
        s.push('\n');
    }
    rng.push_from(&mut s, B64STD, 20);
    s.push_str("==\n");
    s.push_str(&format!("-----END {label}-----"));
    s
}

fn high_entropy_password(rng: &mut Rng) -> String {
    let n = rng.range(14, 24) as usize;
    let mut s = String::new();
    rng.push_from(
        &mut s,
        b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%^*_+-",
        n,
    );
    s
}

/// One planted secret of `kind` with its surrounding context. The first line of the result
/// carries the secret (a PEM block spans several lines, its BEGIN line first).
pub fn plant(kind: Kind, rng: &mut Rng, who: &str) -> String {
    match kind {
        Kind::CreditCard => {
            let cc = credit_card(rng);
            let exp = format!("{:02}/{}", rng.range(1, 12), rng.range(26, 31));
            match rng.below(3) {
                0 => format!(
                    "<{who}> card on file is {cc} exp {exp}, please refund order #{}",
                    rng.digits(8)
                ),
                1 => format!("{who}: can you charge {cc} (exp {exp}) for the renewal?"),
                _ => format!(
                    "payment.capture card_number={cc} amount={}.{:02} currency=EUR",
                    rng.below(900),
                    rng.below(100)
                ),
            }
        }
        Kind::UsSsn => {
            let ssn = us_ssn(rng);
            format!(
                "<{who}> employee onboarding: SSN {ssn}, start date 2024-0{}-1{}",
                rng.range(1, 9),
                rng.below(10)
            )
        }
        Kind::Iban => {
            let iban = iban(rng);
            format!(
                "{who}: please wire the invoice INV-{} to IBAN {iban} before Friday",
                rng.digits(7)
            )
        }
        Kind::AwsAccessKey => {
            let mut k = String::from("AKIA");
            rng.push_from(&mut k, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);
            format!("export AWS_ACCESS_KEY_ID={k} # pasted by {who} for the ci-runner job")
        }
        Kind::GithubToken => {
            let t = github_token(rng);
            format!("<{who}> use this token for the deploy bot: {t} (expires in 30 days)")
        }
        Kind::SlackToken => {
            let t = format!(
                "xoxb-{}-{}-{}",
                rng.digits(12),
                rng.digits(13),
                rng.alnum(24)
            );
            format!("slack.notify token={t} channel=#alerts-prod status=ok")
        }
        Kind::StripeKey => {
            let t = format!("sk_live_{}", rng.alnum(24));
            format!("{who}: the billing service env has STRIPE_SECRET_KEY={t} fyi")
        }
        Kind::PrivateKey => private_key(rng),
        Kind::Jwt => {
            let t = jwt(rng);
            format!("GET /api/v2/me HTTP/1.1 Authorization: Bearer {t} from {who}")
        }
        Kind::Password => {
            let p = high_entropy_password(rng);
            format!("config loaded: db_host=pg-main user={who} password={p} pool=20")
        }
        Kind::DatabaseUrl => {
            let n = rng.range(12, 20) as usize;
            let p = rng.alnum(n);
            let scheme = rng.pick(&["postgres", "postgresql", "mysql", "mongodb+srv", "redis"]);
            format!(
                "DATABASE_URL={scheme}://svc_{who}:{p}@db-{}.internal.example.net:5432/app",
                rng.below(40)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn luhn_ok(s: &str) -> bool {
        let d: String = s.chars().filter(char::is_ascii_digit).collect();
        luhn_digit(&d[..d.len() - 1]) == d.as_bytes()[d.len() - 1] - b'0'
    }

    #[test]
    fn cards_are_luhn_valid() {
        assert_eq!(luhn_digit("7992739871"), 3);
        let mut r = Rng::new(1);
        assert!((0..500).all(|_| luhn_ok(&credit_card(&mut r))));
    }

    #[test]
    fn ibans_pass_mod97() {
        assert_eq!(mod97("370400440532013000DE89"), 1); // DE89 3704 0044 0532 0130 00
        let mut r = Rng::new(2);
        for _ in 0..500 {
            let i: String = iban(&mut r).replace(' ', "");
            assert_eq!(mod97(&format!("{}{}", &i[4..], &i[..4])), 1, "{i}");
        }
    }

    #[test]
    fn github_checksum_matches_known() {
        // 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 passes leakwall-detect's validator.
        assert_eq!(github_checksum("zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ"), "0mLq17");
        assert_eq!(github_token(&mut Rng::new(5)).len(), 40);
    }

    #[test]
    fn base64url_matches_known() {
        assert_eq!(
            base64url(br#"{"alg":"HS256","typ":"JWT"}"#),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        );
    }
}
