//! A load generator light enough to share two cores with the server it measures: HTTP/1.1
//! keep-alive over tokio's `TcpStream`, one task per connection, every request's bytes built
//! once, and only the status line, `Content-Length` (or chunked framing) and the answer's
//! check read from each answer. reqwest costs several times more CPU per request. Against a
//! server that answers fixed bytes it keeps up with `wrk -t2 -c32` on this machine.

use std::{
    io::{Error, ErrorKind},
    net::SocketAddr,
    ops::Range,
    sync::{Arc, OnceLock},
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// One request to send, a substring every good answer to it contains, and the first good
/// answer it got.
pub struct Request {
    bytes: Vec<u8>,
    expect: String,
    checked: OnceLock<Vec<u8>>,
}

impl Request {
    /// POST `body` (JSON) to `/graphql`, anonymous, without compression.
    pub fn graphql(body: &str, expect: impl Into<String>) -> Self {
        let head = format!(
            "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Accept: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        Self::new([head.as_bytes(), body.as_bytes()].concat(), expect.into())
    }

    /// GET `path`.
    pub fn get(path: &str) -> Self {
        let head = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        Self::new(head.into_bytes(), String::new())
    }

    fn new(bytes: Vec<u8>, expect: String) -> Self {
        Self {
            bytes,
            expect,
            checked: OnceLock::new(),
        }
    }

    /// A 200 whose body has no GraphQL `"errors"` and contains what this request expects.
    /// An answer byte for byte the same as one found good before is good: comparing costs a
    /// fraction of searching, and a generator that searched every 100 KB answer would take
    /// the CPU the server needs.
    pub fn answered_by(&self, status: u16, body: &[u8]) -> bool {
        if status != 200 {
            return false;
        }
        if self.checked.get().is_some_and(|good| good[..] == *body) {
            return true;
        }
        let good = std::str::from_utf8(body)
            .is_ok_and(|text| !text.contains("\"errors\"") && text.contains(&self.expect));
        if good {
            let _ = self.checked.set(body.to_vec());
        }
        good
    }
}

/// How hard and how long to drive a server.
#[derive(Clone, Copy)]
pub struct Load {
    pub concurrency: usize,
    pub warm_up: Duration,
    pub measure: Duration,
}

/// What a run measured: requests sent after the warm-up, their latencies (sorted) and the
/// bad answers among them. `sent` also counts the warm-up's requests.
pub struct Outcome {
    pub latencies: Vec<Duration>,
    pub errors: usize,
    pub sent: usize,
    pub requests_per_second: f64,
    /// The first bad answer or failure, to show what went wrong.
    pub first_error: Option<String>,
}

/// Threads the generator runs on, each with a single-threaded runtime and its share of the
/// connections, as `wrk -t2` has one event loop per thread: no task ever wakes on another
/// thread, which a work-stealing runtime's bookkeeping costs the server measurably here.
const THREADS: usize = 2;

/// Drives `address` with `requests` (cycled; each connection starts at its own offset) from
/// `load.concurrency` keep-alive connections. Blocks until done.
pub fn run(address: SocketAddr, requests: Arc<[Request]>, load: Load) -> Outcome {
    let started = Instant::now();
    let (measuring, stop) = (
        started + load.warm_up,
        started + load.warm_up + load.measure,
    );
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..THREADS)
            .map(|thread| {
                let requests = requests.clone();
                scope.spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a runtime");
                    runtime.block_on(async move {
                        let clients: Vec<_> = (thread..load.concurrency)
                            .step_by(THREADS)
                            .map(|c| {
                                let first = c * requests.len() / load.concurrency;
                                tokio::spawn(client(
                                    address,
                                    requests.clone(),
                                    first,
                                    measuring,
                                    stop,
                                ))
                            })
                            .collect();
                        let mut tallies = Vec::new();
                        for client in clients {
                            tallies.push(client.await.expect("a client task"));
                        }
                        tallies
                    })
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|thread| thread.join().expect("a generator thread"))
            .collect()
    });
    let mut total = Tally::default();
    for tally in tallies {
        total.latencies.extend(tally.latencies);
        total.errors += tally.errors;
        total.sent += tally.sent;
        total.first_error = total.first_error.or(tally.first_error);
    }
    let mut latencies: Vec<Duration> = total
        .latencies
        .into_iter()
        .map(|us| Duration::from_micros(u64::from(us)))
        .collect();
    latencies.sort_unstable();
    Outcome {
        requests_per_second: latencies.len() as f64 / load.measure.as_secs_f64(),
        latencies,
        errors: total.errors,
        sent: total.sent,
        first_error: total.first_error,
    }
}

/// One request, once, on a connection of its own: the status and body.
pub async fn fetch(address: SocketAddr, request: &Request) -> std::io::Result<(u16, Vec<u8>)> {
    let mut connection = Connection::open(address).await?;
    let status = connection.exchange(&request.bytes).await?;
    Ok((status, connection.body().to_vec()))
}

#[derive(Default)]
struct Tally {
    latencies: Vec<u32>,
    errors: usize,
    sent: usize,
    first_error: Option<String>,
}

/// One connection's loop until `stop`: requests sent before `measuring` are the warm-up.
async fn client(
    address: SocketAddr,
    requests: Arc<[Request]>,
    first: usize,
    measuring: Instant,
    stop: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut connection: Option<Connection> = None;
    for i in first.. {
        let sent = Instant::now();
        if sent >= stop {
            break;
        }
        let request = &requests[i % requests.len()];
        let answer = match connection.as_mut() {
            Some(open) => open.exchange(&request.bytes).await,
            None => match Connection::open(address).await {
                Ok(open) => connection.insert(open).exchange(&request.bytes).await,
                Err(err) => Err(err),
            },
        };
        let latency = sent.elapsed();
        let failure = match answer {
            Ok(status) => {
                let body = connection.as_ref().expect("open").body();
                (!request.answered_by(status, body)).then(|| {
                    let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
                    format!("status {status}: {text}")
                })
            }
            Err(err) => {
                connection = None;
                Some(err.to_string())
            }
        };
        if connection.as_ref().is_some_and(|c| c.closing) {
            connection = None;
        }
        tally.sent += 1;
        if sent >= measuring {
            let micros = latency.as_micros();
            tally
                .latencies
                .push(u32::try_from(micros).unwrap_or(u32::MAX));
            if failure.is_some() {
                tally.errors += 1;
                tally.first_error = tally.first_error.or(failure);
            }
        }
    }
    tally
}

/// A keep-alive connection: what has been read, and where the last answer's body is.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
    /// How much of `buffer` the last answer took.
    used: usize,
    body: Body,
    /// A chunked answer's body, decoded.
    chunks: Vec<u8>,
    /// The server said `Connection: close`.
    closing: bool,
}

enum Body {
    /// These bytes of the buffer.
    Buffered(Range<usize>),
    Chunked,
}

/// What an answer's head says about its body.
struct Head {
    status: u16,
    content_length: Option<usize>,
    chunked: bool,
    closing: bool,
}

impl Connection {
    async fn open(address: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buffer: Vec::with_capacity(64 * 1024),
            used: 0,
            body: Body::Chunked,
            chunks: Vec::new(),
            closing: false,
        })
    }

    /// The last answer's body.
    fn body(&self) -> &[u8] {
        match &self.body {
            Body::Buffered(range) => &self.buffer[range.clone()],
            Body::Chunked => &self.chunks,
        }
    }

    /// Sends `request` and reads the whole answer; then [`Self::body`] is its body.
    async fn exchange(&mut self, request: &[u8]) -> std::io::Result<u16> {
        self.buffer.drain(..self.used);
        self.used = 0;
        self.stream.write_all(request).await?;
        let head_end = loop {
            if let Some(i) = find(&self.buffer, b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = parse_head(&self.buffer[..head_end])?;
        self.closing = head.closing;
        self.used = if head.chunked {
            self.chunks.clear();
            self.body = Body::Chunked;
            self.read_chunks(head_end).await?
        } else {
            let length = head
                .content_length
                .ok_or_else(|| invalid("an answer without a length"))?;
            while self.buffer.len() < head_end + length {
                self.fill().await?;
            }
            self.body = Body::Buffered(head_end..head_end + length);
            head_end + length
        };
        Ok(head.status)
    }

    /// Decodes a chunked body that starts at `at` into `self.chunks`; returns where it ends.
    async fn read_chunks(&mut self, mut at: usize) -> std::io::Result<usize> {
        loop {
            let line_end = self.line_from(at).await?;
            let line = std::str::from_utf8(&self.buffer[at..line_end])
                .map_err(|_| invalid("a chunk size that is not text"))?;
            let hex = line.split(';').next().unwrap_or_default().trim();
            let size =
                usize::from_str_radix(hex, 16).map_err(|_| invalid("a malformed chunk size"))?;
            at = line_end + 2;
            if size == 0 {
                // Trailer lines, then an empty line.
                loop {
                    let end = self.line_from(at).await?;
                    let empty = end == at;
                    at = end + 2;
                    if empty {
                        return Ok(at);
                    }
                }
            }
            while self.buffer.len() < at + size + 2 {
                self.fill().await?;
            }
            self.chunks.extend_from_slice(&self.buffer[at..at + size]);
            at += size + 2;
        }
    }

    /// Where the line that starts at `at` ends (its `\r\n`), reading more as needed.
    async fn line_from(&mut self, at: usize) -> std::io::Result<usize> {
        loop {
            if let Some(i) = find(&self.buffer[at..], b"\r\n") {
                return Ok(at + i);
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        self.buffer.reserve(64 * 1024);
        if self.stream.read_buf(&mut self.buffer).await? == 0 {
            return Err(Error::new(
                ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        Ok(())
    }
}

fn parse_head(head: &[u8]) -> std::io::Result<Head> {
    let head = std::str::from_utf8(head).map_err(|_| invalid("a head that is not text"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("a malformed status line"))?;
    let mut parsed = Head {
        status,
        content_length: None,
        chunked: false,
        closing: false,
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            parsed.content_length = value.parse().ok();
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            parsed.chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            parsed.closing = value.eq_ignore_ascii_case("close");
        }
    }
    Ok(parsed)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn invalid(what: &str) -> Error {
    Error::new(ErrorKind::InvalidData, what.to_owned())
}
