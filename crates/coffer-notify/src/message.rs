//! A plain-text e-mail as an RFC 5322 message with CRLF line endings: UTF-8 body
//! (8bit), a subject encoded per RFC 2047 when it is not ASCII.

use base64::Engine;
use coffer_app::jobs::notify::Mail;

/// An RFC 5322 date, in UTC.
fn date(at: coffer_core::time::Timestamp) -> String {
    let ts = jiff::Timestamp::from_millisecond(at.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

fn header_text(text: &str) -> String {
    // Header values never carry line breaks: a newline in a subject would start a new header.
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.is_ascii() {
        return flat;
    }
    format!("=?utf-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(flat.as_bytes()))
}

/// The bare address of `Name <addr>` or `addr`.
pub fn address(text: &str) -> &str {
    match (text.rfind('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => &text[open + 1..close],
        _ => text.trim(),
    }
}

/// The whole message, headers and body, lines ending in CRLF.
pub fn render(mail: &Mail) -> String {
    let mut out = String::new();
    let headers = [
        ("From", header_text(&mail.from)),
        ("To", header_text(&mail.to)),
        ("Subject", header_text(&mail.subject)),
        ("Date", date(mail.at)),
        ("Message-ID", format!("<{}>", header_text(&mail.message_id))),
        ("MIME-Version", "1.0".into()),
        ("Content-Type", "text/plain; charset=utf-8".into()),
        ("Content-Transfer-Encoding", "8bit".into()),
    ];
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    for line in mail.body.lines() {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use coffer_core::time::Timestamp;

    use super::*;

    #[test]
    fn a_message_has_crlf_lines_and_an_encoded_subject_when_it_is_not_ascii() {
        let mail = Mail {
            from: "Coffer <billing@coffer.invalid>".into(),
            to: "owner@acme.example".into(),
            subject: "账单 ready\r\nBcc: evil@x".into(),
            body: "line one\nline two".into(),
            at: Timestamp(0),
            message_id: "m1@coffer".into(),
        };
        let text = render(&mail);
        assert!(text.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"), "{text}");
        assert!(text.contains("Subject: =?utf-8?B?"), "{text}");
        assert!(!text.contains("\r\nBcc:"), "no header injection: {text}");
        assert!(text.ends_with("\r\n\r\nline one\r\nline two\r\n"), "{text}");
        assert_eq!(address(&mail.from), "billing@coffer.invalid");
    }
}
