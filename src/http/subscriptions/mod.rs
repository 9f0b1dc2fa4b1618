//! GraphQL subscriptions over WebSockets at `/graphql` (`graphql-transport-ws`).
//!
//! A connection: the client sends `connection_init` (its payload may carry the API token as
//! `{"authorization": "Bearer TOKEN"}`, or the upgrade request an `Authorization` header),
//! the server answers `connection_ack`; then `subscribe`s, each answered by `next` messages
//! until the client sends `complete`. The server pings; a client that does not pong in time
//! is disconnected. Every limit closes the connection with a code and a named reason
//! ([`protocol::Close`]).

mod connections;
mod protocol;

use std::{collections::HashMap, sync::Arc, time::Duration};

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{self, HeaderValue},
    web,
};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use futures_util::StreamExt;
use serde_json::Value;
use tokio::{sync::mpsc, task::AbortHandle, time::Instant};

pub use connections::Connections;
use connections::Slot;
use protocol::{ClientMessage, Close, SUBPROTOCOL, SubscribePayload, json_string};

use super::AppState;
use crate::{
    content::{Access, Error, tokens},
    graphql::engine::Pushed,
};

/// Whether a `GET /graphql` asks to become a WebSocket.
pub fn is_upgrade(req: &actix_web::dev::RequestHead) -> bool {
    req.headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// `GET /graphql` with `Upgrade: websocket`.
pub async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    let offered: Vec<String> = req
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|p| p.trim().to_owned()))
        .collect();
    if !offered.is_empty() && !offered.iter().any(|p| p == SUBPROTOCOL) {
        return Ok(HttpResponse::BadRequest()
            .content_type("application/json; charset=utf-8")
            .body(format!(
                r#"{{"errors":[{{"message":"the only WebSocket subprotocol served is {SUBPROTOCOL}","extensions":{{"code":"BAD_REQUEST"}}}}]}}"#
            )));
    }
    // A token in the upgrade request's header is checked now, as over HTTP.
    let access = match super::auth::access(&state, &req).await {
        Ok(access) => access,
        Err(refusal) => return Ok(refusal),
    };
    let settings = &state.settings.events;
    let client = super::rate_limit::client_ip(&req, state.settings.client_ip_header.as_deref())
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let slot = state.subscriptions.take(client);
    let (mut response, session, stream) = actix_ws::handle(&req, body)?;
    response.headers_mut().insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(SUBPROTOCOL),
    );
    let stream = stream
        .max_frame_size(settings.ws_max_message_bytes)
        .aggregate_continuations()
        .max_continuation_size(settings.ws_max_message_bytes);
    let state = state.into_inner();
    actix_web::rt::spawn(async move {
        match slot {
            Some(slot) => {
                Connection::new(state, session, access, slot)
                    .run(stream)
                    .await
            }
            None => {
                state.metrics.ws_closed(Close::TooManyConnections.name());
                close(session, &Close::TooManyConnections).await;
            }
        }
    });
    Ok(response)
}

async fn close(session: Session, why: &Close) {
    let reason = CloseReason {
        code: CloseCode::Other(why.code()),
        description: Some(why.reason()),
    };
    let _ = session.close(Some(reason)).await;
}

/// One client's connection.
struct Connection {
    state: Arc<AppState>,
    session: Session,
    /// From the upgrade request's header, until `connection_init` says otherwise.
    access: Access,
    acknowledged: bool,
    running: HashMap<String, AbortHandle>,
    /// Subscriptions that ended by themselves, by id.
    ended: (
        mpsc::UnboundedSender<String>,
        mpsc::UnboundedReceiver<String>,
    ),
    _slot: Slot,
}

impl Connection {
    fn new(state: Arc<AppState>, session: Session, access: Access, slot: Slot) -> Self {
        state.metrics.ws_connections(1);
        Self {
            state,
            session,
            access,
            acknowledged: false,
            running: HashMap::new(),
            ended: mpsc::unbounded_channel(),
            _slot: slot,
        }
    }

    async fn run(mut self, mut stream: AggregatedMessageStream) {
        let settings = self.state.settings.events.clone();
        let init_deadline = Instant::now() + Duration::from_millis(settings.ws_init_timeout_ms);
        let ping_every = Duration::from_millis(settings.ws_ping_interval_ms.max(1));
        let mut ping = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
        let mut pong_deadline: Option<Instant> = None;
        let outcome = loop {
            tokio::select! {
                () = tokio::time::sleep_until(init_deadline), if !self.acknowledged => {
                    break Err(Close::ConnectionInitTimeout);
                }
                () = sleep_until_some(pong_deadline) => break Err(Close::PongTimeout),
                _ = ping.tick(), if self.acknowledged => {
                    if pong_deadline.is_none() {
                        pong_deadline = Some(
                            Instant::now() + Duration::from_millis(settings.ws_pong_timeout_ms),
                        );
                    }
                    if self.send(r#"{"type":"ping"}"#.to_owned()).await.is_err() {
                        break Ok(None);
                    }
                }
                Some(id) = self.ended.1.recv() => {
                    self.end(&id);
                }
                message = stream.next() => match message {
                    None => break Ok(None),
                    Some(Ok(AggregatedMessage::Close(reason))) => break Ok(reason),
                    Some(Ok(AggregatedMessage::Text(text))) => {
                        match self.handle(&text, &mut pong_deadline).await {
                            Ok(true) => {}
                            Ok(false) => break Ok(None),
                            Err(close) => break Err(close),
                        }
                    }
                    Some(Ok(AggregatedMessage::Binary(_))) => {
                        break Err(Close::InvalidMessage("messages are JSON text".into()));
                    }
                    Some(Ok(AggregatedMessage::Ping(bytes))) => {
                        let _ = self.session.pong(&bytes).await;
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) => {}
                    Some(Err(error)) => {
                        break Err(match error {
                            actix_ws::ProtocolError::Overflow => Close::MessageTooLarge,
                            other => Close::InvalidMessage(other.to_string()),
                        });
                    }
                },
            }
        };
        for (_, task) in self.running.drain() {
            task.abort();
            self.state.metrics.subscriptions(-1);
        }
        self.state.metrics.ws_connections(-1);
        match outcome {
            Err(why) => {
                self.state.metrics.ws_closed(why.name());
                close(self.session, &why).await;
            }
            // The client closed: answer with its code, as the protocol asks.
            Ok(reason) => {
                let code = reason.map_or(CloseCode::Normal, |r| r.code);
                let _ = self.session.close(Some(code.into())).await;
            }
        }
    }

    async fn send(&mut self, text: String) -> Result<(), actix_ws::Closed> {
        self.session.text(text).await
    }

    /// One message: `Ok(false)` when the client went away.
    async fn handle(
        &mut self,
        text: &str,
        pong_deadline: &mut Option<Instant>,
    ) -> Result<bool, Close> {
        let message: ClientMessage = serde_json::from_str(text)
            .map_err(|e| Close::InvalidMessage(format!("not a protocol message: {e}")))?;
        let sent = match message {
            ClientMessage::ConnectionInit { payload } => {
                if self.acknowledged {
                    return Err(Close::TooManyInitialisationRequests);
                }
                if let Some(token) = token_of(payload.as_ref())? {
                    self.access = match tokens::authenticate(&self.state.db, token).await {
                        Ok(access) => access,
                        Err(Error::Unauthenticated) => return Err(Close::Forbidden),
                        Err(error) => {
                            tracing::error!(%error, "could not check an API token");
                            return Err(Close::Internal);
                        }
                    };
                }
                self.acknowledged = true;
                self.send(r#"{"type":"connection_ack"}"#.to_owned()).await
            }
            ClientMessage::Ping { .. } => self.send(r#"{"type":"pong"}"#.to_owned()).await,
            ClientMessage::Pong { .. } => {
                *pong_deadline = None;
                Ok(())
            }
            ClientMessage::Subscribe { id, payload } => {
                self.subscribe(id, payload)?;
                Ok(())
            }
            ClientMessage::Complete { id } => {
                if let Some(task) = self.running.remove(&id) {
                    task.abort();
                    self.state.metrics.subscriptions(-1);
                }
                Ok(())
            }
        };
        Ok(sent.is_ok())
    }

    fn subscribe(&mut self, id: String, payload: SubscribePayload) -> Result<(), Close> {
        if !self.acknowledged {
            return Err(Close::Unauthorized);
        }
        if self.running.contains_key(&id) {
            return Err(Close::SubscriberAlreadyExists(id));
        }
        if self.running.len() >= self.state.settings.events.ws_max_subscriptions {
            return Err(Close::TooManySubscriptions);
        }
        let mut request = async_graphql::Request::new(payload.query);
        request.operation_name = payload.operation_name;
        if let Some(variables) = payload.variables {
            request.variables = async_graphql::Variables::from_json(variables);
        }
        let mut pushed = self.state.engine.subscribe(
            request,
            &self.state.db,
            self.access,
            self.state.hub.clone(),
        );
        let mut session = self.session.clone();
        let ended = self.ended.0.clone();
        let quoted = json_string(&id);
        let key = id.clone();
        let task = actix_web::rt::spawn(async move {
            while let Some(item) = pushed.next().await {
                let text = match item {
                    Pushed::Next(body) => format!(
                        r#"{{"id":{quoted},"type":"next","payload":{}}}"#,
                        String::from_utf8_lossy(&body)
                    ),
                    Pushed::Refused(errors) => {
                        let text = format!(
                            r#"{{"id":{quoted},"type":"error","payload":{}}}"#,
                            String::from_utf8_lossy(&errors)
                        );
                        let _ = session.text(text).await;
                        let _ = ended.send(id);
                        return;
                    }
                };
                if session.text(text).await.is_err() {
                    return;
                }
            }
            let _ = session
                .text(format!(r#"{{"id":{quoted},"type":"complete"}}"#))
                .await;
            let _ = ended.send(id);
        });
        self.running.insert(key, task.abort_handle());
        self.state.metrics.subscriptions(1);
        Ok(())
    }

    fn end(&mut self, id: &str) {
        if self.running.remove(id).is_some() {
            self.state.metrics.subscriptions(-1);
        }
    }
}

/// Sleeps until `deadline`; without one, forever.
async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The token `connection_init`'s payload carries: `{"authorization": "Bearer TOKEN"}` (any
/// case of the key, as graphql-ws clients send headers) or `{"token": "TOKEN"}`.
fn token_of(payload: Option<&Value>) -> Result<Option<&str>, Close> {
    let Some(Value::Object(fields)) = payload else {
        return Ok(None);
    };
    for (key, value) in fields {
        let Value::String(value) = value else {
            continue;
        };
        if key.eq_ignore_ascii_case("token") {
            return Ok(Some(value.as_str()));
        }
        if key.eq_ignore_ascii_case("authorization") {
            let malformed = || Close::InvalidMessage("authorization must be `Bearer TOKEN`".into());
            return super::auth::bearer(value).map(Some).ok_or_else(malformed);
        }
    }
    Ok(None)
}
