//! A local SMTP server that keeps every message it is given instead of delivering it: the
//! stand-in for a mail provider, so the demo and the tests send real SMTP (invitations,
//! password resets) with no internet. The sandbox's `/__sandbox/mail` page lists what arrived.
//!
//! It speaks the part of SMTP (RFC 5321) a client needs to hand over a message: EHLO/HELO,
//! MAIL, RCPT, DATA (with dot-stuffing), RSET, NOOP and QUIT; no TLS, no authentication.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// A message as it arrived, its body decoded (quoted-printable and base64 bodies are read).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
}

impl Mail {
    /// The first `http(s)://` link of the body.
    pub fn first_link(&self) -> Option<&str> {
        let start = self.body.find("http://").or_else(|| self.body.find("https://"))?;
        let rest = &self.body[start..];
        Some(
            rest.split(|c: char| c.is_whitespace() || c == '>' || c == '"')
                .next()
                .unwrap_or(rest),
        )
    }
}

/// The messages a sink received; clones share them.
#[derive(Debug, Clone, Default)]
pub struct Mailbox {
    messages: Arc<Mutex<Vec<Mail>>>,
    arrived: Arc<Notify>,
}

impl Mailbox {
    pub fn messages(&self) -> Vec<Mail> {
        self.lock().clone()
    }

    /// The newest message to `to`, waiting for one to arrive if there is none yet; `None`
    /// when none arrives within `within`.
    pub async fn wait_for(&self, to: &str, within: std::time::Duration) -> Option<Mail> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let arrived = self.arrived.notified();
            if let Some(m) = self.newest_to(to) {
                return Some(m);
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.newest_to(to);
            }
        }
    }

    pub fn newest_to(&self, to: &str) -> Option<Mail> {
        self.lock()
            .iter()
            .rev()
            .find(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
            .cloned()
    }

    fn keep(&self, mail: Mail) {
        let mut messages = self.lock();
        if messages.len() == MAX_KEPT {
            messages.remove(0);
        }
        messages.push(mail);
        drop(messages);
        self.arrived.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Mail>> {
        // Pushing and cloning leave the list whole even if a holder panicked.
        self.messages.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running SMTP sink.
pub struct MailSink {
    addr: SocketAddr,
    mailbox: Mailbox,
    task: tokio::task::JoinHandle<()>,
}

impl MailSink {
    /// Listens on `127.0.0.1` at a free port.
    pub async fn start() -> std::io::Result<MailSink> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mailbox = Mailbox::default();
        let kept = mailbox.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    if let Err(e) = session(stream, &kept).await {
                        tracing::debug!(error = %e, "mail sink: a session ended early");
                    }
                });
            }
        });
        Ok(MailSink { addr, mailbox, task })
    }

    /// `smtp://127.0.0.1:PORT`, for `ADSYNC_SMTP_URL`.
    pub fn smtp_url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `/__sandbox/mail`: every message received, newest first, links clickable (what a user
/// would see in their mail client).
pub fn page(mailbox: Mailbox) -> axum::Router {
    axum::Router::new().route(
        "/__sandbox/mail",
        axum::routing::get(move || {
            let mailbox = mailbox.clone();
            async move { axum::response::Html(mailbox_html(&mailbox.messages())) }
        }),
    )
}

fn mailbox_html(messages: &[Mail]) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut out = String::from(
        "<!doctype html><meta charset=utf-8><title>Sandbox mailbox</title>\
         <h1>Sandbox mailbox</h1><p>E-mail adsync sent, kept here instead of delivered.</p>",
    );
    if messages.is_empty() {
        out.push_str("<p>No messages yet.</p>");
    }
    for m in messages.iter().rev() {
        let body = escape(&m.body);
        let body = match m.first_link() {
            Some(link) => body.replacen(&escape(link), &format!("<a href=\"{0}\">{0}</a>", escape(link)), 1),
            None => body,
        };
        out.push_str(&format!(
            "<article data-to=\"{to}\"><h2>{subject}</h2><p>To: {to} · From: {from}</p><pre>{body}</pre></article>",
            to = escape(&m.to.join(", ")),
            subject = escape(&m.subject),
            from = escape(&m.from),
        ));
    }
    out
}

/// Longest line, message and recipient list taken, and messages kept (the oldest go), so a
/// runaway client cannot fill the memory.
const MAX_LINE: u64 = 4096;
const MAX_MESSAGE: usize = 1 << 20;
const MAX_RECIPIENTS: usize = 100;
const MAX_KEPT: usize = 1000;

/// Reads a line of at most [`MAX_LINE`] bytes; `None` at the end of the stream or past it.
async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut String,
) -> std::io::Result<Option<()>> {
    use tokio::io::AsyncReadExt;
    line.clear();
    let n = (&mut *reader).take(MAX_LINE + 1).read_line(line).await?;
    Ok((n > 0 && n as u64 <= MAX_LINE).then_some(()))
}

async fn session(stream: tokio::net::TcpStream, mailbox: &Mailbox) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 adsync-sandbox mail sink ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::<String>::new());
    let mut line = String::new();
    loop {
        if read_line(&mut lines, &mut line).await?.is_none() {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let verb = command.split([' ', ':']).next().unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-adsync-sandbox\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "HELO" | "NOOP" => b"250 OK\r\n",
            "MAIL" => {
                from = address(&command);
                to.clear();
                b"250 OK\r\n"
            }
            "RCPT" if to.len() >= MAX_RECIPIENTS => b"452 too many recipients\r\n",
            "RCPT" => {
                to.push(address(&command));
                b"250 OK\r\n"
            }
            "RSET" => {
                (from, to) = (String::new(), Vec::new());
                b"250 OK\r\n"
            }
            "DATA" if to.is_empty() => b"503 RCPT first\r\n",
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let raw = read_data(&mut lines).await?;
                mailbox.keep(parse(&from, &to, &raw));
                b"250 OK kept\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// The message up to the lone `.` line, dot-stuffing undone.
async fn read_data(lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> std::io::Result<String> {
    let mut raw = String::new();
    let mut line = String::new();
    loop {
        if read_line(lines, &mut line).await?.is_none() {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let content = line.trim_end_matches(['\r', '\n']);
        if content == "." {
            return Ok(raw);
        }
        if raw.len() < MAX_MESSAGE {
            raw.push_str(content.strip_prefix('.').unwrap_or(content));
            raw.push('\n');
        }
    }
}

/// `MAIL FROM:<a@b> SIZE=1` → `a@b`.
fn address(command: &str) -> String {
    let after = command.split_once(':').map_or("", |(_, a)| a);
    after
        .trim()
        .trim_start_matches('<')
        .split(['>', ' '])
        .next()
        .unwrap_or("")
        .to_string()
}

/// Headers (unfolded) and the decoded body of a single-part message.
fn parse(from: &str, to: &[String], raw: &str) -> Mail {
    let (head, body) = raw.split_once("\n\n").unwrap_or((raw, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        match (line.starts_with([' ', '\t']), headers.last_mut()) {
            // Unfolding keeps one space where the line was folded (RFC 5322 2.2.3).
            (true, Some((_, value))) => {
                value.push(' ');
                value.push_str(line.trim_start());
            }
            _ => {
                if let Some((name, value)) = line.split_once(':') {
                    headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
                }
            }
        }
    }
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let body = match header("content-transfer-encoding")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("quoted-printable") => quoted_printable(body),
        Some("base64") => base64::engine::general_purpose::STANDARD
            .decode(body.split_whitespace().collect::<String>())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default(),
        _ => body.to_string(),
    };
    Mail {
        from: from.to_string(),
        to: to.to_vec(),
        subject: header("subject").unwrap_or("").to_string(),
        body,
    }
}

fn quoted_printable(body: &str) -> String {
    let mut bytes = Vec::with_capacity(body.len());
    for line in body.split('\n') {
        let (text, soft) = match line.strip_suffix('=') {
            Some(t) => (t, true),
            None => (line, false),
        };
        let mut rest = text.as_bytes();
        while let Some((&b, tail)) = rest.split_first() {
            let hex = tail
                .get(..2)
                .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
            match (b, hex) {
                (b'=', Some(v)) => {
                    bytes.push(v);
                    rest = &tail[2..];
                }
                _ => {
                    bytes.push(b);
                    rest = tail;
                }
            }
        }
        if !soft {
            bytes.push(b'\n');
        }
    }
    String::from_utf8_lossy(&bytes).trim_end_matches('\n').to_string() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_bodies_are_read_with_their_soft_breaks_joined() {
        let body = "Open https://x.test/invites/inv_abc=\ndef to join.\nCaf=C3=A9 =3D ok\n";
        assert_eq!(
            quoted_printable(body),
            "Open https://x.test/invites/inv_abcdef to join.\nCafé = ok\n"
        );
    }

    #[test]
    fn a_message_gives_its_subject_body_and_first_link() {
        let raw = "Subject: You are invited\n =?utf-8?q?x?=\nContent-Transfer-Encoding: 7bit\n\nOpen http://127.0.0.1:8080/invites/inv_1 to join.\n";
        let m = parse("a@b", &["c@d".into()], raw);
        assert_eq!(m.subject, "You are invited =?utf-8?q?x?=");
        assert_eq!(m.first_link(), Some("http://127.0.0.1:8080/invites/inv_1"));
        assert_eq!(address("MAIL FROM:<a@b.test> SIZE=10"), "a@b.test");
    }
}
