//! Every error carries `extensions.code`. Our resolvers code theirs (see
//! [`crate::graphql::graphql_error`]); what async-graphql raised itself is coded here, once
//! the request has run: an error that stopped the request before execution (validation,
//! choosing the operation) is the request's fault, and one raised while executing is a
//! field's argument that could not be read.

use async_graphql::{Response, ServerError, Value};

pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";

/// `code` on `error` unless it has one.
pub fn with_code(mut error: ServerError, code: &str) -> ServerError {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if !has_code {
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", Value::String(code.to_owned()));
    }
    error
}

/// Whether a response is a request error: it failed before execution, so it has no data and
/// no error has a path.
pub fn is_request_error(response: &Response) -> bool {
    response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// Codes the errors of an executed request that have none.
pub fn code_errors(response: &mut Response) {
    let code = if is_request_error(response) {
        VALIDATION_FAILED
    } else {
        BAD_USER_INPUT
    };
    let errors = std::mem::take(&mut response.errors);
    response.errors = errors.into_iter().map(|e| with_code(e, code)).collect();
}

/// The code of an error, if it has one.
pub fn code(error: &ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        Value::String(code) => Some(code),
        _ => None,
    }
}
