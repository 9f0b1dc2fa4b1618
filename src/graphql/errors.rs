//! Every GraphQL error carries `extensions.code`: the content layer's errors map to codes a
//! client can act on, and errors raised before execution (syntax, validation) get theirs here.

use async_graphql::{
    ErrorExtensions, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest,
        NextValidation,
    },
    parser::types::ExecutableDocument,
};
use std::sync::Arc;

use crate::content::Error;

/// The code of an error that a retry after a short wait may cure (HTTP 503).
pub const UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";
/// The code of a request stopped at the execution timeout (HTTP 503).
pub const TIMEOUT: &str = "TIMEOUT";

/// Maps a content error to a GraphQL error with a code. Internal errors are logged with their
/// whole chain and reach the client only as "internal error".
pub fn graphql_error(err: Error) -> async_graphql::Error {
    let err = err.surface_unavailable();
    let (code, message) = match &err {
        Error::NotFound(_) => ("NOT_FOUND", err.to_string()),
        Error::Invalid { .. } => ("BAD_USER_INPUT", err.to_string()),
        Error::Conflict(_) => ("CONFLICT", err.to_string()),
        Error::Unauthenticated => ("UNAUTHENTICATED", err.to_string()),
        Error::Forbidden(_) => ("FORBIDDEN", err.to_string()),
        Error::Unavailable(detail) => {
            tracing::warn!(error = detail, "database unavailable");
            (
                UNAVAILABLE,
                "the database is unavailable; try again shortly".to_owned(),
            )
        }
        Error::Internal(inner) => {
            tracing::error!(error = format!("{inner:#}"), "internal error");
            ("INTERNAL", "internal error".to_owned())
        }
    };
    async_graphql::Error::new(message).extend_with(|_, ext| {
        ext.set("code", code);
        if let Error::Invalid { field, .. } = &err {
            ext.set("field", field.as_str());
        }
    })
}

/// `.gql()` turns a content result into a GraphQL result with a coded error.
pub trait ResultExt<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> ResultExt<T> for Result<T, Error> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(graphql_error)
    }
}

fn with_code(mut err: ServerError, code: &str) -> ServerError {
    let has_code = err
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if !has_code {
        err.extensions
            .get_or_insert_with(Default::default)
            .set("code", Value::String(code.to_owned()));
    }
    err
}

/// `code` on each of `errors` that has none.
fn with_codes(errors: Vec<ServerError>, code: &str) -> Vec<ServerError> {
    errors.into_iter().map(|e| with_code(e, code)).collect()
}

/// Adds codes to errors that did not come from our resolvers.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodes {
    /// Whatever is still uncoded when the request ends failed before execution (choosing the
    /// operation, for one): the request's fault.
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        response.errors = with_codes(response.errors, "GRAPHQL_VALIDATION_FAILED");
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables)
            .await
            .map_err(|e| with_code(e, "GRAPHQL_PARSE_FAILED"))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx)
            .await
            .map_err(|errs| with_codes(errs, "GRAPHQL_VALIDATION_FAILED"))
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let (Some(name), Some(cell)) = (operation_name, ctx.data_opt::<super::OperationName>()) {
            cell.set(name);
        }
        let mut response = next.run(ctx, operation_name).await;
        // What remains uncoded failed while coercing an argument: the client's input.
        response.errors = with_codes(response.errors, "BAD_USER_INPUT");
        response
    }
}
