//! Running one GraphQL request, from its text to the bytes of its answer.
//!
//! 1. The document: from memory when its text was seen before, else checked against the
//!    limits and parsed ([`documents`]); the operation name; the complexity with this
//!    request's variables ([`crate::graphql::complexity`]). A refusal is a request error.
//! 2. A query over articles alone, once async-graphql has validated its document, is answered
//!    by its projection: one statement per root field, written straight from the articles'
//!    documents ([`crate::graphql::projection`]).
//! 3. Anything else runs through the schema, whose resolvers are the reference the
//!    projection is tested against. The schema has no extensions (any extension takes every
//!    field off async-graphql's fast path): what they did is done before and after here. The
//!    answer's errors get their codes ([`codes`]) and its root fields their order
//!    ([`order`]).

mod codes;
mod documents;
pub mod order;
mod subscribe;

use std::sync::Arc;

use async_graphql::{Request, Response, ServerError, Value, registry::Registry};
use bytes::Bytes;
use sea_orm::DatabaseConnection;

pub use codes::code;
pub use subscribe::Pushed;

use super::{AppSchema, batch::Reader, complexity::Complexity, limits};
use crate::{
    config::QueryLimits,
    content::{Access, ids::Ids, search::ranked::Rankings},
};

/// How a request ended, for the status code and the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// Errors beside data: a field failed.
    Error,
    /// Failed before execution: syntax, validation, variables, a limit.
    Rejected,
    /// The database is away or has no free connection.
    Unavailable,
    /// The server failed (a panic): HTTP 500.
    Internal,
}

/// A request's answer.
pub struct Executed {
    pub body: Bytes,
    pub outcome: Outcome,
    /// The operation that ran, once known.
    pub operation: Option<String>,
    /// Codes of limits the request went over, for the metrics.
    pub limits: Vec<String>,
    /// Whether the projection answered, not the schema's resolvers.
    pub projected: bool,
}

/// How requests run: the schema, the documents seen, and the limits.
pub struct Engine {
    schema: AppSchema,
    registry: Arc<Registry>,
    documents: documents::Documents,
    limits: QueryLimits,
    /// Whether queries over articles are answered by their projection.
    projection: bool,
    /// For tests: every answer of the projection is checked against the schema's, reading
    /// through this connection (not counted in the server's statements).
    verify: Option<DatabaseConnection>,
    /// Rankings of recent searches, shared by every request.
    rankings: Option<Arc<Rankings>>,
    /// Whether `__schema` and `__type` may be queried.
    introspection: bool,
    /// How mutations give new rows their ids.
    ids: Ids,
    /// Subscriptions running, shared by the subscribers that asked for the same.
    running: subscribe::Running,
}

/// How many times a projected answer that differs from the schema's is tried again before it
/// counts as a difference: a write between the two reads makes them differ honestly.
const VERIFY_ATTEMPTS: usize = 3;

impl Engine {
    pub fn new(schema: AppSchema, limits: QueryLimits, projection: bool) -> Self {
        Self {
            registry: Arc::new(super::registry()),
            schema,
            documents: documents::Documents::new(),
            limits,
            projection,
            verify: None,
            rankings: None,
            introspection: true,
            ids: Ids::TimeOrdered,
            running: subscribe::Running::default(),
        }
    }

    /// Mutations give new rows `ids` (derived ones in the test mode).
    pub fn ids(mut self, ids: Ids) -> Self {
        self.ids = ids;
        self
    }

    /// Refuses documents that ask for `__schema` or `__type`, with a coded error.
    pub fn without_introspection(mut self) -> Self {
        self.introspection = false;
        self
    }

    /// Keeps the rankings of recent searches in `rankings` (see
    /// [`crate::content::search::ranked`]).
    pub fn ranking(mut self, rankings: Rankings) -> Self {
        self.rankings = Some(Arc::new(rankings));
        self
    }

    /// Checks every answer of the projection against the schema's, reading through `db`; a
    /// difference is logged and answered as an internal error. For tests.
    pub fn verifying(mut self, db: DatabaseConnection) -> Self {
        self.verify = Some(db);
        self
    }

    pub fn schema(&self) -> &AppSchema {
        &self.schema
    }

    /// Runs `request` for a reader with `access`.
    pub async fn run(&self, request: Request, db: &DatabaseConnection, access: Access) -> Executed {
        let requested = request.operation_name.clone();
        let prepared = match self.prepare(&request) {
            Ok(prepared) => prepared,
            Err(error) => return Executed::refused(error, requested),
        };
        if subscribe::is_subscription(&prepared.doc, requested.as_deref()) {
            return Executed::refused(subscribe::over_http(), requested);
        }
        let reader = Reader {
            db: db.clone(),
            visibility: access.visibility(),
            rankings: self.rankings.clone(),
        };
        if let Some(executed) = self.project(&prepared, &request, &reader).await {
            return match &self.verify {
                Some(db) => {
                    self.verified(executed, &prepared, request, db, access)
                        .await
                }
                None => executed,
            };
        }
        self.run_schema(request, prepared, reader, access).await
    }

    /// Step 2: the projection's answer, if it has one.
    async fn project(
        &self,
        prepared: &documents::Prepared,
        request: &Request,
        reader: &Reader,
    ) -> Option<Executed> {
        if !self.projection || !prepared.is_validated() {
            return None;
        }
        let projection = prepared.projection(&self.registry)?;
        projection
            .run(&prepared.doc, request, reader, &self.registry)
            .await
    }

    /// The projection's answer if the schema gives the same, else an internal error.
    async fn verified(
        &self,
        mut projected: Executed,
        prepared: &Arc<documents::Prepared>,
        request: Request,
        db: &DatabaseConnection,
        access: Access,
    ) -> Executed {
        let reader = Reader {
            db: db.clone(),
            visibility: access.visibility(),
            rankings: self.rankings.clone(),
        };
        let mut reference = None;
        for _ in 0..VERIFY_ATTEMPTS {
            let mut again =
                Request::new(request.query.clone()).variables(request.variables.clone());
            again.operation_name = request.operation_name.clone();
            let answer = self
                .run_schema(again, prepared.clone(), reader.clone(), access)
                .await;
            if answer.body == projected.body {
                return projected;
            }
            tracing::warn!(
                projected = %String::from_utf8_lossy(&projected.body),
                reference = %String::from_utf8_lossy(&answer.body),
                "the projection and the schema answered differently; reading both again"
            );
            reference = Some(answer);
            match self.project(prepared, &request, &reader).await {
                Some(executed) => projected = executed,
                None => return reference.unwrap_or(projected),
            }
        }
        let reference = reference.map(|r| r.body).unwrap_or_default();
        tracing::error!(query = %request.query, "the projection's answer differs from the schema's");
        let error = ServerError::new(
            format!(
                "the projection's answer differs from the schema's: {} against {}",
                String::from_utf8_lossy(&projected.body),
                String::from_utf8_lossy(&reference),
            ),
            None,
        );
        let mut executed = Executed::refused(error, request.operation_name);
        executed.outcome = Outcome::Internal;
        executed
    }

    /// Step 1: the document, its operation and its complexity.
    fn prepare(&self, request: &Request) -> Result<Arc<documents::Prepared>, ServerError> {
        limits::check_no_nul(request)?;
        let prepared = self
            .documents
            .prepare(&request.query, &self.limits, &self.registry)?;
        let name = request.operation_name.as_deref();
        limits::check_operation_name(&prepared.doc, name)?;
        if !self.introspection {
            limits::check_no_introspection(&prepared.doc)?;
        }
        // No operation to choose is a validation error, which async-graphql reports.
        if let Some(operation) = operation(&prepared.doc, name) {
            let complexity = Complexity {
                registry: &self.registry,
                doc: &prepared.doc,
                operation,
                variables: &request.variables,
            };
            limits::check_complexity(complexity.of_operation(), &self.limits)?;
        }
        Ok(prepared)
    }

    /// Step 3: through the schema's resolvers.
    async fn run_schema(
        &self,
        mut request: Request,
        prepared: Arc<documents::Prepared>,
        reader: Reader,
        access: Access,
    ) -> Executed {
        let variables = request.variables.clone();
        let name = request.operation_name.clone();
        request = request.data(access).data(reader).data(self.ids);
        request.set_parsed_query(prepared.doc.clone());
        let mut response = self.schema.execute(request).await;
        let request_error = codes::is_request_error(&response);
        if !request_error {
            prepared.mark_validated();
        }
        codes::code_errors(&mut response);
        let operation = operation(&prepared.doc, name.as_deref());
        if let Some(op) = operation {
            order::order(
                &mut response.data,
                &prepared.doc,
                op,
                &variables,
                &self.registry,
            );
        }
        let operation_name = name.or_else(|| operation_name(&prepared.doc));
        Executed::from_response(&response, request_error, operation_name)
    }
}

/// The operation a request runs: the one it names, else the document's only one.
pub fn operation<'a>(
    doc: &'a async_graphql::parser::types::ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a async_graphql::parser::types::OperationDefinition> {
    use async_graphql::parser::types::DocumentOperations;
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), None) => Some(&op.node),
        (DocumentOperations::Single(_), Some(_)) => None,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// The name of the document's operation when it has exactly one, named.
fn operation_name(doc: &async_graphql::parser::types::ExecutableDocument) -> Option<String> {
    use async_graphql::parser::types::DocumentOperations;
    match &doc.operations {
        DocumentOperations::Multiple(ops) if ops.len() == 1 => {
            ops.keys().next().map(|n| n.to_string())
        }
        _ => None,
    }
}

impl Executed {
    /// A request refused before it ran.
    fn refused(error: ServerError, operation: Option<String>) -> Self {
        let limits = limit_of(&error).into_iter().collect();
        let response = Response::from_errors(vec![error]);
        Self {
            body: serialize(&response, true),
            outcome: Outcome::Rejected,
            operation,
            limits,
            projected: false,
        }
    }

    fn from_response(response: &Response, request_error: bool, operation: Option<String>) -> Self {
        let outcome = if response
            .errors
            .iter()
            .any(|e| code(e) == Some(super::UNAVAILABLE))
        {
            Outcome::Unavailable
        } else if request_error {
            Outcome::Rejected
        } else if response.errors.is_empty() {
            Outcome::Ok
        } else {
            Outcome::Error
        };
        Self {
            body: serialize(response, request_error),
            outcome,
            operation,
            limits: response.errors.iter().filter_map(limit_of).collect(),
            projected: false,
        }
    }
}

/// The limit an error says the request went over.
fn limit_of(error: &ServerError) -> Option<String> {
    if code(error) != Some(limits::LIMIT_EXCEEDED) {
        return None;
    }
    match error.extensions.as_ref()?.get("limit") {
        Some(Value::String(limit)) => Some(limit.clone()),
        _ => Some("limit".to_owned()),
    }
}

/// The response as JSON, without `data` when the request failed before execution.
pub fn serialize(response: &Response, request_error: bool) -> Bytes {
    #[derive(serde::Serialize)]
    struct ErrorsOnly<'a> {
        errors: &'a [ServerError],
        #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        extensions: &'a std::collections::BTreeMap<String, Value>,
    }
    let json = if request_error {
        serde_json::to_vec(&ErrorsOnly {
            errors: &response.errors,
            extensions: &response.extensions,
        })
    } else {
        serde_json::to_vec(response)
    };
    json.map(Bytes::from).unwrap_or_else(|err| {
        tracing::error!(error = %err, "could not serialize a GraphQL response");
        Bytes::from_static(
            br#"{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}"#,
        )
    })
}
