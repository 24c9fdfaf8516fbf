//! E-mail (RFC 5322 / MIME): the Subject and address headers as one segment, text and HTML
//! bodies (transfer encodings decoded), attachments and nested messages walked as children.

use mail_parser::{Address, MessageParser, MessagePart, MimeHeaders, PartType};

use crate::capped::Problem;
use crate::walk::Walker;
use crate::{html, Origin, UnscannableReason};

/// Extracts a message at `origin`; attachments become children at `depth + 1`.
pub(crate) fn walk(
    w: &mut Walker<'_>,
    origin: &Origin,
    bytes: &[u8],
    depth: u32,
) -> Result<(), Problem> {
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or_else(|| Problem::corrupt("unreadable e-mail message"))?;
    let mut headers = String::new();
    if let Some(subject) = message.subject() {
        headers.push_str(&format!("Subject: {subject}\n"));
    }
    let addresses = [
        ("From", message.from()),
        ("To", message.to()),
        ("Cc", message.cc()),
        ("Bcc", message.bcc()),
        ("Reply-To", message.reply_to()),
    ];
    for (label, address) in addresses {
        if let Some(address) = address {
            headers.push_str(&format!("{label}: {}\n", addresses_text(address)));
        }
    }
    w.push_text(origin.clone(), &headers);
    let max = w.budget.limits.max_entries as usize;
    for (index, part) in message.parts.iter().enumerate().take(max) {
        if w.stopped() {
            return Ok(());
        }
        w.budget.check_time()?;
        part_text(w, origin, index, part, depth);
    }
    if message.parts.len() > max {
        let detail = format!(
            "{} MIME parts, more than the limit of {max}",
            message.parts.len()
        );
        return Err(Problem::new(UnscannableReason::TooManyEntries, detail));
    }
    Ok(())
}

/// A body part becomes text; a named part, binary part or nested message a child.
fn part_text(
    w: &mut Walker<'_>,
    origin: &Origin,
    index: usize,
    part: &MessagePart<'_>,
    depth: u32,
) {
    let attached = part.attachment_name().is_some()
        || part
            .content_disposition()
            .is_some_and(|cd| cd.ctype().eq_ignore_ascii_case("attachment"));
    match &part.body {
        PartType::Multipart(_) => {}
        PartType::Text(text) if !attached => w.push_text(origin.clone(), text),
        PartType::Html(text) if !attached => w.push_text(origin.clone(), &html::to_text(text)),
        _ => {
            let name = match part.attachment_name() {
                Some(name) => name.to_string(),
                None if part.is_message() => format!("part-{index}.eml"),
                None => format!("part-{index}"),
            };
            let child = origin.child(&name);
            if w.too_deep(&child, depth + 1) {
                return;
            }
            let mime = part
                .content_type()
                .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default()));
            w.walk(&child, part.contents(), depth + 1, &name, mime.as_deref());
        }
    }
}

/// `Name <address>, ...`
fn addresses_text(address: &Address<'_>) -> String {
    address
        .iter()
        .map(|a| match (a.name(), a.address()) {
            (Some(name), Some(addr)) => format!("{name} <{addr}>"),
            (Some(only), None) | (None, Some(only)) => only.to_string(),
            (None, None) => String::new(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use crate::zips::tests::make_zip;
    use crate::{Extractor, Limits, Origin};

    fn b64(data: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn headers_bodies_and_attachments() {
        let zip = make_zip(&[("inner.txt", b"zipped secret")]);
        let mail = format!(
            "From: Jane Doe <jane.doe@corp-mail.com>\r\nTo: bob@example.com\r\nSubject: MARKER-EML\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncard 4111=20=\r\n1111 caf=C3=A9\r\n--XX\r\nContent-Type: text/html\r\n\r\n<p>html <b>body</b></p>\r\n--XX\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=\"files.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--XX--\r\n",
            b64(&zip)
        );
        let out =
            Extractor::new(Limits::default()).extract(Origin::path("m.eml"), mail.as_bytes(), None);
        assert!(out.unscannable.is_empty(), "{:?}", out.unscannable);
        assert!(out.mismatches.is_empty(), "{:?}", out.mismatches);
        let head = &out.segments[0].text;
        assert!(head.contains("Subject: MARKER-EML") && head.contains("jane.doe@corp-mail.com"));
        assert!(out.segments[1].text.contains("card 4111 1111 café"));
        assert!(out.segments[2].text.contains("html body"));
        let last = &out.segments[3];
        assert_eq!(last.origin.member.as_deref(), Some("files.zip!inner.txt"));
        assert_eq!(last.text, "zipped secret");
    }
}
