//! The `graphql-transport-ws` protocol's messages (the protocol graphql-ws, Apollo Client
//! and urql speak), and the codes this server closes a connection with.
//! <https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md>

use serde::Deserialize;
use serde_json::Value;

/// The WebSocket subprotocol.
pub const SUBPROTOCOL: &str = "graphql-transport-ws";

/// A message from the client.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Pong {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: SubscribePayload,
    },
    Complete {
        id: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribePayload {
    pub query: String,
    #[serde(default)]
    pub variables: Option<Value>,
    #[serde(default)]
    pub operation_name: Option<String>,
}

/// Why the server closes a connection: each a WebSocket close code and a reason that starts
/// with a stable name. The 44xx codes graphql-ws defines keep its meaning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Close {
    /// Not JSON, not a protocol message, or binary.
    InvalidMessage(String),
    /// `subscribe` before the server acknowledged `connection_init`.
    Unauthorized,
    /// The token given is unknown or revoked.
    Forbidden,
    /// No `connection_init` in time.
    ConnectionInitTimeout,
    /// A `subscribe` with the id of one still running.
    SubscriberAlreadyExists(String),
    /// A second `connection_init`.
    TooManyInitialisationRequests,
    /// A message over the size limit.
    MessageTooLarge,
    /// A `subscribe` over the limit of subscriptions per connection.
    TooManySubscriptions,
    /// A connection over the limit of connections per client.
    TooManyConnections,
    /// No pong to the server's ping in time.
    PongTimeout,
    /// The server is stopping or failed.
    Internal,
}

impl Close {
    pub fn code(&self) -> u16 {
        match self {
            Self::InvalidMessage(_) => 4400,
            Self::Unauthorized => 4401,
            Self::Forbidden => 4403,
            Self::ConnectionInitTimeout => 4408,
            Self::SubscriberAlreadyExists(_) => 4409,
            Self::TooManyInitialisationRequests => 4429,
            Self::MessageTooLarge => 4413,
            Self::TooManySubscriptions => 4420,
            Self::TooManyConnections => 4421,
            Self::PongTimeout => 4410,
            Self::Internal => 4500,
        }
    }

    /// The reason's stable name, also the metric's label.
    pub fn name(&self) -> &'static str {
        match self {
            Self::InvalidMessage(_) => "INVALID_MESSAGE",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::Forbidden => "FORBIDDEN",
            Self::ConnectionInitTimeout => "CONNECTION_INIT_TIMEOUT",
            Self::SubscriberAlreadyExists(_) => "SUBSCRIBER_ALREADY_EXISTS",
            Self::TooManyInitialisationRequests => "TOO_MANY_INITIALISATION_REQUESTS",
            Self::MessageTooLarge => "MESSAGE_TOO_LARGE",
            Self::TooManySubscriptions => "TOO_MANY_SUBSCRIPTIONS",
            Self::TooManyConnections => "TOO_MANY_CONNECTIONS",
            Self::PongTimeout => "PONG_TIMEOUT",
            Self::Internal => "INTERNAL",
        }
    }

    /// `NAME: what happened`, within the 123 bytes a close reason may have.
    pub fn reason(&self) -> String {
        let detail = match self {
            Self::InvalidMessage(why) => why.as_str(),
            Self::Unauthorized => "send connection_init and wait for connection_ack first",
            Self::Forbidden => "the API token is unknown or revoked",
            Self::ConnectionInitTimeout => "no connection_init in time",
            Self::SubscriberAlreadyExists(_) => "a subscription with this id is running",
            Self::TooManyInitialisationRequests => "connection_init was sent twice",
            Self::MessageTooLarge => "the message is over the size limit",
            Self::TooManySubscriptions => "this connection holds the most subscriptions allowed",
            Self::TooManyConnections => "this client holds the most connections allowed",
            Self::PongTimeout => "no pong to the server's ping in time",
            Self::Internal => "internal error",
        };
        let mut reason = format!("{}: {detail}", self.name());
        if reason.len() > 123 {
            let mut end = 123;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason.truncate(end);
        }
        reason
    }
}

/// `value` as a JSON string.
pub fn json_string(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_parse_as_the_protocol_writes_them() {
        let init: ClientMessage =
            serde_json::from_str(r#"{"type":"connection_init","payload":{"token":"t"}}"#).unwrap();
        assert!(matches!(
            init,
            ClientMessage::ConnectionInit { payload: Some(_) }
        ));
        let sub: ClientMessage = serde_json::from_str(
            r#"{"id":"1","type":"subscribe","payload":{"query":"subscription { a }","operationName":null}}"#,
        )
        .unwrap();
        assert!(matches!(sub, ClientMessage::Subscribe { id, .. } if id == "1"));
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"next"}"#).is_err());
    }

    #[test]
    fn close_reasons_fit_a_close_frame() {
        let long = Close::InvalidMessage("x".repeat(500));
        assert_eq!(long.reason().len(), 123);
        assert!(long.reason().starts_with("INVALID_MESSAGE: "));
    }
}
