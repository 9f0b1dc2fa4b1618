//! A `graphql-transport-ws` client for tests, over a real WebSocket (tokio-tungstenite).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

pub struct WsClient {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How the server ended a connection.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed {
    pub code: u16,
    pub reason: String,
}

impl WsClient {
    /// Connects to `/graphql` of `address` (`http://host:port`), speaking
    /// `graphql-transport-ws`.
    pub async fn connect(address: &str) -> Self {
        let url = format!("{}/graphql", address.replacen("http", "ws", 1));
        let mut request = url.into_client_request().expect("a WebSocket request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (stream, response) = connect_async(request).await.expect("the WebSocket opens");
        assert_eq!(
            response.headers()["sec-websocket-protocol"],
            "graphql-transport-ws"
        );
        Self { stream }
    }

    /// Connects and initialises with `payload`; panics unless acknowledged.
    pub async fn ready(address: &str, payload: Value) -> Self {
        let mut client = Self::connect(address).await;
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let ack = client.next(Duration::from_secs(5)).await;
        assert_eq!(ack, Some(json!({ "type": "connection_ack" })));
        client
    }

    pub async fn send(&mut self, message: Value) {
        self.send_text(message.to_string()).await;
    }

    pub async fn send_text(&mut self, text: String) {
        // A server that has closed may refuse the send; the close is read next.
        let _ = self.stream.send(Message::text(text)).await;
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": query, "variables": variables }
        }))
        .await;
    }

    /// The next protocol message within `limit`, answering the server's pings; `None` on
    /// timeout or once closed.
    pub async fn next(&mut self, limit: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let message = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()??;
            match message.ok()? {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).expect("JSON messages");
                    if value["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(value);
                }
                Message::Close(_) => return None,
                _ => {}
            }
        }
    }

    /// The `next` payload of subscription `id` within `limit`, skipping other messages.
    pub async fn next_of(&mut self, id: &str, limit: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = self.next(left).await?;
            if message["id"] == id {
                assert_eq!(message["type"], "next", "{message}");
                return Some(message["payload"].clone());
            }
        }
    }

    /// How the server closes the connection, waiting up to `limit`, without answering pings.
    pub async fn closed(&mut self, limit: Duration) -> Option<Closed> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let message = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()??;
            match message {
                Ok(Message::Close(Some(frame))) => {
                    return Some(Closed {
                        code: frame.code.into(),
                        reason: frame.reason.to_string(),
                    });
                }
                Ok(Message::Close(None)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }
}
