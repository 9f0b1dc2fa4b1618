//! Every GraphQL error carries `extensions.code`: the content layer's errors map to codes a
//! client can act on here; errors async-graphql raises itself get theirs in the engine.

use async_graphql::ErrorExtensions;

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
