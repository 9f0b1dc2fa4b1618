//! Answers for requests refused before GraphQL runs: each a JSON body with one coded error.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
};
use serde_json::{Value, json};

use super::negotiate::JSON;
use crate::{
    content::Access,
    graphql::limits::LIMIT_EXCEEDED,
    http::{AppState, auth, body::BodyError, rate_limit},
};

/// What `Retry-After` says when the database is away or a request timed out.
pub const RETRY_AFTER_SECS: u64 = 1;

/// `{"errors": [one coded error]}`.
pub fn coded_errors(code: &str, message: &str) -> Value {
    json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
}

/// A JSON error body with one coded error, whatever the status.
pub fn refusal(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(JSON)
        .body(coded_errors(code, message).to_string())
}

/// `response` with `Retry-After: secs`.
pub fn retry_after(mut response: HttpResponse, secs: u64) -> HttpResponse {
    if let Ok(value) = header::HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The answer to a body that is not a GraphQL request, counted as a rejection.
pub fn body_refusal(state: &AppState, err: BodyError) -> HttpResponse {
    let (reason, status, code, message) = match err {
        BodyError::TooLarge { limit } => (
            "body_size",
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("the request body is over the limit of {limit} bytes"),
        ),
        BodyError::TooSlow => (
            "body_timeout",
            StatusCode::REQUEST_TIMEOUT,
            "REQUEST_TIMEOUT",
            "the request body did not arrive in time".to_owned(),
        ),
        BodyError::UnsupportedMediaType => (
            "media_type",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the request as Content-Type: application/json".to_owned(),
        ),
        BodyError::BatchTooLarge { max: 0, .. } => (
            "batch",
            StatusCode::BAD_REQUEST,
            LIMIT_EXCEEDED,
            "batched requests are turned off; send one request per call".to_owned(),
        ),
        BodyError::BatchTooLarge { max, actual } => (
            "batch",
            StatusCode::BAD_REQUEST,
            LIMIT_EXCEEDED,
            format!("a batch holds 1 to {max} requests; this one has {actual}"),
        ),
        BodyError::Malformed(message) => {
            ("malformed", StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
        }
    };
    state.metrics.rejected(reason);
    refusal(status, code, &message)
}

/// A 429 when the client is over its rate (the client: its token, else its IP address).
pub fn rate_limited(state: &AppState, req: &HttpRequest, access: Access) -> Option<HttpResponse> {
    let limiter = state.rate_limiter.as_ref()?;
    let client = match (access, auth::token_fingerprint(req)) {
        (Access::Preview | Access::Write, Some(token)) => format!("token:{token}"),
        _ => {
            let ip = rate_limit::client_ip(req, state.settings.client_ip_header.as_deref());
            format!(
                "ip:{}",
                ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
            )
        }
    };
    let wait = limiter.check(&client).err()?;
    state.metrics.rejected("rate_limit");
    let response = refusal(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        "too many requests; slow down and retry after the time in Retry-After",
    );
    Some(retry_after(
        response,
        rate_limit::retry_after_secs(wait).max(1),
    ))
}

pub fn not_acceptable() -> HttpResponse {
    refusal(
        StatusCode::NOT_ACCEPTABLE,
        "NOT_ACCEPTABLE",
        "accept application/graphql-response+json or application/json",
    )
}
