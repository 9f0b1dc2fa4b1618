//! Telling whoever started the server that it answers: the test mode's ready line.
//!
//! Test runners start `content-api serve --bind 127.0.0.1:0` and need to know when, and on
//! which port, it answers. Once a request of its own has been answered, the server writes one
//! JSON object as the first line of standard output (logs go to standard error):
//!
//! ```json
//! {"event":"ready","url":"http://127.0.0.1:43269","graphql":"http://127.0.0.1:43269/graphql","tokens":{}}
//! ```

use std::{
    io::Write as _,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::Duration,
};

use anyhow::Context;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// How long the server may take to answer its own first request.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// Waits until `GET /healthz` on `address` is answered with a 200.
pub async fn wait_until_answering(address: SocketAddr) -> anyhow::Result<()> {
    let target = reachable(address);
    tokio::time::timeout(READY_WITHIN, async {
        loop {
            match health(target).await {
                Ok(true) => return,
                Ok(false) | Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await
    .with_context(|| format!("the server did not answer on {target} within {READY_WITHIN:?}"))
}

/// Writes the ready line to standard output.
pub fn announce(
    url: &str,
    tokens: serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<()> {
    let line = serde_json::json!({
        "event": "ready",
        "url": url,
        "graphql": format!("{url}/graphql"),
        "tokens": tokens,
    });
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .context("could not write the ready line to standard output")
}

/// The address to connect to: a server bound to every interface is reached on loopback.
pub fn reachable(address: SocketAddr) -> SocketAddr {
    match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, address.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, address.port()).into(),
        _ => address,
    }
}

/// Whether the server answers `GET /healthz` with a 200.
async fn health(target: SocketAddr) -> std::io::Result<bool> {
    let mut stream = TcpStream::connect(target).await?;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await?;
    Ok(head.starts_with(b"HTTP/1.1 200"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_on_every_interface_is_reached_on_loopback() {
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(reachable(any), "127.0.0.1:8080".parse().unwrap());
        let any6: SocketAddr = "[::]:8080".parse().unwrap();
        assert_eq!(reachable(any6), "[::1]:8080".parse().unwrap());
        let one: SocketAddr = "192.0.2.1:80".parse().unwrap();
        assert_eq!(reachable(one), one);
    }
}
