//! A real SMTP server on loopback for the email tests.

use backend::config::Settings;

/// A real SMTP server process on loopback (`smtp-sink`), writing messages into a folder.
pub struct SmtpSink {
    pub port: u16,
    pub dir: std::path::PathBuf,
    child: std::process::Child,
}

impl SmtpSink {
    /// Starts the sink binary (pass `env!("CARGO_BIN_EXE_smtp-sink")`), optionally refusing
    /// one recipient with a permanent 550.
    pub fn start(exe: &str, reject: Option<&str>) -> Self {
        use std::io::BufRead;
        let dir = std::env::temp_dir().join(format!("smtp-sink-{}", uuid::Uuid::new_v4().simple()));
        let mut command = std::process::Command::new(exe);
        command
            .arg("--dir")
            .arg(&dir)
            .stdout(std::process::Stdio::piped());
        if let Some(r) = reject {
            command.arg("--reject").arg(r);
        }
        let mut child = command.spawn().expect("starting smtp-sink");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("smtp-sink port");
        Self { port, dir, child }
    }

    /// `smtp://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// How many messages have arrived.
    pub fn count(&self) -> usize {
        std::fs::read_dir(&self.dir)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .count()
            })
            .unwrap_or(0)
    }

    /// The messages received so far, in arrival order.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Settings whose email goes to an SMTP server.
pub fn with_smtp(mut settings: Settings, url: &str) -> Settings {
    settings.mail.smtp_url = Some(url.to_string());
    settings
}
