//! A small but real SMTP server for tests and benchmarks: it listens on loopback, speaks
//! enough of RFC 5321 for any client (EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing,
//! RSET, NOOP, QUIT), and writes each accepted message as an `.eml` file.
//!
//! ```text
//! smtp-sink --dir DIR [--port N] [--reject ADDRESS] [--count-only]
//! ```
//!
//! Prints `listening 127.0.0.1:PORT` once ready. `--reject` answers 550 to that recipient
//! (a permanent failure); `--count-only` counts messages without writing them (benchmarks).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

struct Config {
    dir: PathBuf,
    reject: Option<String>,
    count_only: bool,
    counter: AtomicU64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut dir, mut port, mut reject, mut count_only) = (PathBuf::from("."), 0u16, None, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dir" => dir = PathBuf::from(args.next().expect("--dir DIR")),
            "--port" => port = args.next().and_then(|p| p.parse().ok()).expect("--port N"),
            "--reject" => reject = args.next().map(|a| a.to_ascii_lowercase()),
            "--count-only" => count_only = true,
            other => panic!("unknown argument {other}"),
        }
    }
    std::fs::create_dir_all(&dir)?;
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening {}", listener.local_addr()?);
    let config = Arc::new(Config {
        dir,
        reject,
        count_only,
        counter: AtomicU64::new(0),
    });
    loop {
        let (stream, _) = listener.accept().await?;
        let config = config.clone();
        tokio::spawn(async move {
            let _ = session(stream, config).await;
        });
    }
}

/// Acknowledges received data at once. Clients that write a message body and its final
/// `.` line separately (lettre does) otherwise wait for Linux's delayed ACK (40 ms) under
/// Nagle's algorithm on every message. Linux clears the flag after use, so it is set
/// before every read.
fn quick_ack(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
}

async fn session(stream: TcpStream, config: Arc<Config>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream);
    reader
        .get_mut()
        .write_all(b"220 smtp-sink ready\r\n")
        .await?;
    let mut line = String::new();
    let mut recipients: Vec<String> = Vec::new();
    let mut from = String::new();
    loop {
        line.clear();
        quick_ack(reader.get_ref());
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            reader
                .get_mut()
                .write_all(b"250-smtp-sink\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n")
                .await?;
        } else if upper.starts_with("HELO") {
            reader.get_mut().write_all(b"250 smtp-sink\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = command[10..].trim().to_string();
            recipients.clear();
            reader.get_mut().write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            let address = command[8..]
                .trim()
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if config.reject.as_deref() == Some(address.as_str()) {
                reader
                    .get_mut()
                    .write_all(b"550 5.1.1 No such user here\r\n")
                    .await?;
            } else {
                recipients.push(address);
                reader.get_mut().write_all(b"250 OK\r\n").await?;
            }
        } else if upper == "DATA" {
            if recipients.is_empty() {
                reader
                    .get_mut()
                    .write_all(b"554 No valid recipients\r\n")
                    .await?;
                continue;
            }
            reader
                .get_mut()
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut message = Vec::new();
            loop {
                let mut data = Vec::new();
                quick_ack(reader.get_ref());
                if reader.read_until(b'\n', &mut data).await? == 0 {
                    return Ok(());
                }
                if data == b".\r\n" || data == b".\n" {
                    break;
                }
                // Dot-unstuffing: a leading ".." stands for ".".
                if data.starts_with(b"..") {
                    data.remove(0);
                }
                message.extend_from_slice(&data);
            }
            let n = config.counter.fetch_add(1, Ordering::Relaxed) + 1;
            if !config.count_only {
                let name = format!("{:08}-{}.eml", n, std::process::id());
                let temp = config.dir.join(format!(".{name}.tmp"));
                let mut content = format!(
                    "X-Sink-Envelope-From: {from}\r\nX-Sink-Envelope-To: {}\r\n",
                    recipients.join(", ")
                )
                .into_bytes();
                content.extend_from_slice(&message);
                tokio::fs::write(&temp, content).await?;
                tokio::fs::rename(&temp, config.dir.join(name)).await?;
            }
            reader
                .get_mut()
                .write_all(format!("250 OK queued as {n}\r\n").as_bytes())
                .await?;
        } else if upper == "RSET" {
            recipients.clear();
            reader.get_mut().write_all(b"250 OK\r\n").await?;
        } else if upper == "NOOP" {
            reader.get_mut().write_all(b"250 OK\r\n").await?;
        } else if upper == "QUIT" {
            reader.get_mut().write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            reader
                .get_mut()
                .write_all(b"502 Command not implemented\r\n")
                .await?;
        }
    }
}
