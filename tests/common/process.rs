//! The `content-api` binary as an operator runs it: a command with a database, and `serve` as a
//! child process on a free port, waited for until healthy, signalled and waited for to exit.

use std::{
    net::{SocketAddr, TcpListener},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

/// The binary with `database_url`, shielded from the caller's content-api settings.
pub fn content_api(database_url: &str) -> Command {
    let mut command = Command::new(super::binary());
    command
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "info")
        .env_remove("CONTENT_API_BIND")
        .env_remove("CONTENT_API_NO_DEMO")
        .env_remove("CONTENT_API_CORS_ORIGINS")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// Waits up to `limit` for `child` to exit: `None` if it is still running then.
pub async fn wait_with_timeout(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("the child's status") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A `content-api serve` child process, killed when dropped.
pub struct Server {
    pub child: Child,
    /// `http://host:port`.
    pub address: String,
    pub socket: SocketAddr,
    log: tempfile::NamedTempFile,
}

impl Server {
    /// Starts `serve` with `extra` arguments on a free port and waits until it answers.
    pub async fn start(database_url: &str, extra: &[&str], env: &[(&str, &str)]) -> Self {
        // The binary cannot report the port it got, so reserve one and hand it over.
        let socket = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let bind = socket.to_string();
        let log = tempfile::NamedTempFile::new().expect("a log file");
        let child = content_api(database_url)
            .args(["serve", "--bind", &bind])
            .args(extra)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log.reopen().expect("the log file"))
            .spawn()
            .expect("the binary starts");
        let mut server = Self {
            child,
            address: format!("http://{bind}"),
            socket,
            log,
        };
        server.wait_until_healthy().await;
        server
    }

    async fn wait_until_healthy(&mut self) {
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().expect("the child's status") {
                panic!("the server exited with {status}:\n{}", self.log());
            }
            let healthy = client
                .get(format!("{}/healthz", self.address))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the server did not answer /healthz in time:\n{}",
            self.log()
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).expect("read the log")
    }

    /// The slugs of the articles the server lists.
    pub async fn article_slugs(&self) -> Vec<String> {
        let body: Value = reqwest::Client::new()
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": "{ articles { nodes { slug } } }" }))
            .send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("a JSON body");
        assert_eq!(body.get("errors"), None, "{body:#}");
        super::slugs(&body["data"]["articles"])
    }

    /// Sends SIGTERM, as an orchestrator stopping the replica does.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed: {status}");
    }

    /// Waits up to `limit` for the server to exit: `None` if it is still running then.
    pub async fn wait_for_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        wait_with_timeout(&mut self.child, limit).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `serve` in the test mode, as another team's suite starts it: on port 0, ready when its
/// first line on standard output says so. Killed when dropped.
pub struct TestModeServer {
    pub child: Child,
    /// The ready line.
    pub ready: Value,
    /// The rest of standard output, kept open.
    _stdout: std::io::BufReader<std::process::ChildStdout>,
    log: tempfile::NamedTempFile,
}

impl TestModeServer {
    /// Starts `serve --bind 127.0.0.1:0` with `extra` arguments and reads its ready line.
    pub async fn start(database_url: &str, extra: &[&str]) -> Self {
        use std::io::BufRead as _;

        let log = tempfile::NamedTempFile::new().expect("a log file");
        let mut child = content_api(database_url)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(log.reopen().expect("the log file"))
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("a piped stdout");
        let reading = tokio::task::spawn_blocking(move || {
            let mut stdout = std::io::BufReader::new(stdout);
            let mut line = String::new();
            stdout.read_line(&mut line).map(|_| (line, stdout))
        });
        let (line, stdout) = tokio::time::timeout(Duration::from_secs(60), reading)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no ready line within 60 s:\n{}",
                    std::fs::read_to_string(log.path()).unwrap_or_default()
                )
            })
            .expect("the reader finished")
            .expect("read standard output");
        let ready: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!(
                "the first line of standard output is not JSON ({e}): {line:?}\n{}",
                std::fs::read_to_string(log.path()).unwrap_or_default()
            )
        });
        Self {
            child,
            ready,
            _stdout: stdout,
            log,
        }
    }

    /// The server's base URL, from the ready line.
    pub fn url(&self) -> &str {
        self.ready["url"].as_str().expect("a url on the ready line")
    }

    /// The token created with `--token NAME:…`, from the ready line.
    pub fn token(&self, name: &str) -> &str {
        self.ready["tokens"][name]
            .as_str()
            .unwrap_or_else(|| panic!("no token {name:?} on the ready line: {}", self.ready))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).expect("read the log")
    }
}

impl Drop for TestModeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
