//! Running a subscription: the same document checks and limits as any request, then the
//! schema's event stream, each answer coded and ordered like a query's.

use async_graphql::{
    Request, ServerError,
    parser::types::{ExecutableDocument, OperationType},
};
use bytes::Bytes;
use futures_util::{StreamExt, stream::BoxStream};
use sea_orm::DatabaseConnection;

use super::{Engine, codes, operation, order, serialize};
use crate::{content::Access, events::Hub, graphql::batch::Reader};

/// The code of a subscription sent over HTTP, or a query or mutation over a WebSocket.
pub const NOT_SUPPORTED: &str = "OPERATION_NOT_SUPPORTED";

/// One message of a subscription.
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
        let reader = Reader {
            db: db.clone(),
            visibility: access.visibility(),
            rankings: self.rankings.clone(),
        };
        let variables = request.variables.clone();
        let mut request = request.data(access).data(reader).data(self.ids).data(hub);
        request.set_parsed_query(prepared.doc.clone());
        let registry = self.registry.clone();
        self.schema
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
            .boxed()
    }
}
