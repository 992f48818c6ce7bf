//! [`SmtpMailer`]: a minimal SMTP client (RFC 5321) for a relay on a trusted network:
//! EHLO, MAIL FROM, RCPT TO, DATA, QUIT over plain TCP. No TLS and no AUTH
//! (docs/WEBHOOKS.md, "E-mail"): point it at a local relay (Postfix, an SMTP
//! sidecar) that handles onward delivery.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use coffer_app::jobs::notify::{Mail, Mailer};

use crate::message::{address, render};

/// How long connecting and each reply may take.
const TIMEOUT: Duration = Duration::from_secs(10);

pub struct SmtpMailer {
    /// `host:port` of the relay.
    relay: String,
    /// The name this client gives in EHLO.
    hello: String,
}

impl SmtpMailer {
    pub fn new(relay: impl Into<String>, hello: impl Into<String>) -> SmtpMailer {
        SmtpMailer { relay: relay.into(), hello: hello.into() }
    }
}

struct Session {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Session {
    fn open(relay: &str) -> Result<Session, String> {
        let addr = relay
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {relay}: {e}"))?
            .next()
            .ok_or_else(|| format!("cannot resolve {relay}"))?;
        let stream =
            TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| format!("cannot connect to {relay}: {e}"))?;
        stream.set_read_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
        stream.set_write_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
        let writer = stream.try_clone().map_err(|e| e.to_string())?;
        Ok(Session { reader: BufReader::new(stream), writer })
    }

    /// Reads a (possibly multi-line) reply and checks its code.
    fn expect(&mut self, codes: &[u16], after: &str) -> Result<(), String> {
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).map_err(|e| format!("SMTP {after}: {e}"))?;
            if n == 0 {
                return Err(format!("SMTP {after}: the relay closed the connection"));
            }
            let code: u16 =
                line.get(..3).and_then(|c| c.parse().ok()).ok_or_else(|| format!("SMTP {after}: {line:?}"))?;
            if line.as_bytes().get(3) == Some(&b'-') {
                continue;
            }
            return match codes.contains(&code) {
                true => Ok(()),
                false => Err(format!("SMTP {after}: {}", line.trim_end())),
            };
        }
    }

    fn command(&mut self, line: &str, codes: &[u16]) -> Result<(), String> {
        self.writer.write_all(format!("{line}\r\n").as_bytes()).map_err(|e| format!("SMTP {line}: {e}"))?;
        let verb = line.split(':').next().unwrap_or(line);
        self.expect(codes, verb)
    }
}

/// The message with lines starting with "." doubled (RFC 5321 §4.5.2) and the end marker.
fn data_block(message: &str) -> String {
    let mut out = String::with_capacity(message.len() + 8);
    for line in message.split_inclusive("\r\n") {
        if line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
    }
    out.push_str(".\r\n");
    out
}

fn no_breaks(addr: &str) -> Result<&str, String> {
    match addr.chars().any(|c| c.is_control() || c == '<' || c == '>') {
        true => Err(format!("not an address: {addr:?}")),
        false => Ok(addr),
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, mail: &Mail) -> Result<(), String> {
        let from = no_breaks(address(&mail.from))?;
        let to = no_breaks(address(&mail.to))?;
        let mut s = Session::open(&self.relay)?;
        s.expect(&[220], "greeting")?;
        s.command(&format!("EHLO {}", self.hello), &[250])?;
        s.command(&format!("MAIL FROM:<{from}>"), &[250])?;
        s.command(&format!("RCPT TO:<{to}>"), &[250, 251])?;
        s.command("DATA", &[354])?;
        s.writer.write_all(data_block(&render(mail)).as_bytes()).map_err(|e| format!("SMTP data: {e}"))?;
        s.expect(&[250], "end of data")?;
        // The message is accepted; a failed QUIT changes nothing.
        let _ = s.command("QUIT", &[221]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_starting_with_a_dot_are_doubled_and_the_block_ends_with_a_lone_dot() {
        assert_eq!(data_block("a\r\n.b\r\n"), "a\r\n..b\r\n.\r\n");
    }
}
