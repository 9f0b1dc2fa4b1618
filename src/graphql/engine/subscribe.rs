//! Running a subscription: the same document checks and limits as any request, then the
//! schema's event stream, each answer coded and ordered like a query's.
//!
//! Subscribers that ask for the same (the same document, operation, variables and
//! visibility) share one execution: each event is resolved and serialized once, and every one
//! of them is sent the same bytes. A page open in a thousand browsers costs one execution per
//! event, not a thousand. The execution stops when its last subscriber goes.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, Weak},
};

use async_graphql::{
    Request, ServerError,
    parser::types::{ExecutableDocument, OperationType},
};
use bytes::Bytes;
use futures_util::{StreamExt, stream::BoxStream};
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::{self, error::RecvError};

use super::{Engine, codes, operation, order, serialize};
use crate::{content::Access, events::Hub, graphql::batch::Reader};

/// The code of a subscription sent over HTTP, or a query or mutation over a WebSocket.
pub const NOT_SUPPORTED: &str = "OPERATION_NOT_SUPPORTED";

/// One message of a subscription.
#[derive(Clone)]
pub enum Pushed {
    /// An answer: `{"data": ...}`, with `errors` when a field failed.
    Next(Bytes),
    /// The operation was refused before it ran: a JSON array of its errors.
    Refused(Bytes),
}

pub fn is_subscription(doc: &ExecutableDocument, name: Option<&str>) -> bool {
    operation(doc, name).is_some_and(|op| op.ty == OperationType::Subscription)
}

/// The refusal of a subscription over HTTP.
pub fn over_http() -> ServerError {
    crate::graphql::limits::coded(
        NOT_SUPPORTED,
        "subscriptions are served over WebSocket (graphql-transport-ws) at /graphql".into(),
    )
}

fn refused(errors: &[ServerError]) -> Pushed {
    Pushed::Refused(Bytes::from(
        serde_json::to_vec(errors).unwrap_or_else(|_| b"[]".to_vec()),
    ))
}

/// Messages kept for a subscriber that falls behind; one further behind misses the oldest.
const BACKLOG: usize = 1_024;

/// What makes two subscriptions the same.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    query: String,
    operation: Option<String>,
    variables: String,
    visibility: crate::content::Visibility,
}

/// The executions running, by what they answer.
#[derive(Clone, Default)]
pub struct Running(Arc<Mutex<HashMap<Key, Weak<Execution>>>>);

/// One execution and its subscribers' channel; stops when the last subscriber drops it.
struct Execution {
    tx: broadcast::Sender<Pushed>,
    task: tokio::task::AbortHandle,
    key: Key,
    running: Weak<Mutex<HashMap<Key, Weak<Execution>>>>,
}

impl Drop for Execution {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(running) = self.running.upgrade() {
            let mut running = running.lock().unwrap_or_else(|e| e.into_inner());
            if running
                .get(&self.key)
                .is_some_and(|w| w.strong_count() == 0)
            {
                running.remove(&self.key);
            }
        }
    }
}

/// A subscriber's stream of `execution`'s messages, from `rx` on.
fn follow(
    execution: Arc<Execution>,
    rx: broadcast::Receiver<Pushed>,
) -> BoxStream<'static, Pushed> {
    futures_util::stream::unfold((rx, execution), |(mut rx, execution)| async move {
        loop {
            match rx.recv().await {
                Ok(pushed) => return Some((pushed, (rx, execution))),
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a subscriber fell behind and missed messages");
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
    .boxed()
}

impl Engine {
    /// Runs `request`, a subscription, for a reader with `access`: its answers as events
    /// arrive in `hub`. A refusal is the stream's one item.
    pub fn subscribe(
        &self,
        request: Request,
        db: &DatabaseConnection,
        access: Access,
        hub: Hub,
    ) -> BoxStream<'static, Pushed> {
        let prepared = match self.prepare(&request) {
            Ok(prepared) => prepared,
            Err(error) => return futures_util::stream::iter([refused(&[error])]).boxed(),
        };
        let name = request.operation_name.clone();
        if let Some(op) = operation(&prepared.doc, name.as_deref())
            && op.ty != OperationType::Subscription
        {
            let error = crate::graphql::limits::coded(
                NOT_SUPPORTED,
                "only subscriptions run over a WebSocket: send queries and mutations with \
                 POST /graphql"
                    .into(),
            );
            return futures_util::stream::iter([refused(&[error])]).boxed();
        }
        let key = Key {
            query: request.query.clone(),
            operation: name.clone(),
            variables: serde_json::to_string(&request.variables).unwrap_or_default(),
            visibility: access.visibility(),
        };
        let mut running = self.running.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(execution) = running.get(&key).and_then(Weak::upgrade) {
            let rx = execution.tx.subscribe();
            return follow(execution, rx);
        }
        let reader = Reader {
            db: db.clone(),
            visibility: access.visibility(),
            rankings: self.rankings.clone(),
        };
        let variables = request.variables.clone();
        let mut request = request.data(access).data(reader).data(self.ids).data(hub);
        request.set_parsed_query(prepared.doc.clone());
        let registry = self.registry.clone();
        let mut answers = self
            .schema
            .execute_stream(request)
            .map(move |mut response| {
                if codes::is_request_error(&response) {
                    codes::code_errors(&mut response);
                    return refused(&response.errors);
                }
                codes::code_errors(&mut response);
                if let Some(op) = operation(&prepared.doc, name.as_deref()) {
                    order::order(&mut response.data, &prepared.doc, op, &variables, &registry);
                }
                Pushed::Next(serialize(&response, false))
            })
            .boxed();
        let tx = broadcast::Sender::new(BACKLOG);
        // Subscribed before the execution yields anything: nothing is missed.
        let rx = tx.subscribe();
        let sender = tx.clone();
        let (ended_key, ended_in) = (key.clone(), Arc::downgrade(&self.running.0));
        let task = tokio::spawn(async move {
            while let Some(pushed) = answers.next().await {
                let refused = matches!(pushed, Pushed::Refused(_));
                // No subscriber left: the execution is being dropped.
                if sender.send(pushed).is_err() || refused {
                    break;
                }
            }
            // Ended (refused): later subscribers start afresh rather than wait on it.
            if let Some(running) = ended_in.upgrade() {
                running
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&ended_key);
            }
        });
        let execution = Arc::new(Execution {
            tx,
            task: task.abort_handle(),
            key: key.clone(),
            running: Arc::downgrade(&self.running.0),
        });
        let stream = follow(execution.clone(), rx);
        running.insert(key, Arc::downgrade(&execution));
        stream
    }
}
