//! GraphQL over HTTP: POST and GET on /graphql, GraphiQL for browsers, the SDL.
//!
//! Responses are `application/graphql-response+json` when the client accepts it (then a
//! request that fails before execution is a 400), else `application/json` (200 for a
//! well-formed request). A request that failed before execution has no `data` entry. GET
//! carries queries only: a mutation over GET is a 405. POST takes `application/json` only
//! (else 415), one request or a batch (a JSON array), within the body limit (else 413) and
//! the client timeout (else 408). A request with a bad `Authorization` header is a 401 before
//! anything else (see `auth`); an unreachable database or the execution timeout is a 503 with
//! `Retry-After`. The GraphiQL page and the SDL need no token, and are off with introspection.

use std::time::{Duration, Instant};

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use async_graphql::{
    http::GraphiQLSource,
    parser::{parse_query, types::OperationType},
};
use serde_json::{Value, json};

use super::{
    AppState, auth,
    body::{self, BodyError, Requests},
    rate_limit,
};
use crate::{
    config::Switch,
    content::Access,
    graphql::{
        TIMEOUT, UNAVAILABLE,
        limits::{self, LIMIT_EXCEEDED},
    },
};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";
/// What `Retry-After` says when the database is away or a request timed out.
const RETRY_AFTER_SECS: u64 = 1;

/// The media type to answer with, from the Accept header.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Media {
    GraphqlResponse,
    Json,
}

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponse => GRAPHQL_RESPONSE,
            Self::Json => JSON,
        }
    }
}

fn negotiate(req: &HttpRequest) -> Option<Media> {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        // No Accept header: the legacy default.
        return Some(Media::Json);
    };
    let types: Vec<&str> = accept
        .split(',')
        .map(|t| t.split(';').next().unwrap_or("").trim())
        .collect();
    if types.contains(&"application/graphql-response+json") {
        Some(Media::GraphqlResponse)
    } else if types
        .iter()
        .any(|t| matches!(*t, "application/json" | "application/*" | "*/*"))
    {
        Some(Media::Json)
    } else {
        None
    }
}

fn wants_graphiql(req: &HttpRequest) -> bool {
    req.query_string().is_empty()
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
}

/// A JSON error body with one coded error, whatever the status.
fn refusal(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    HttpResponse::build(status)
        .content_type(JSON)
        .body(body.to_string())
}

fn retry_after(mut response: HttpResponse, secs: u64) -> HttpResponse {
    if let Ok(value) = header::HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn body_refusal(state: &AppState, err: BodyError) -> HttpResponse {
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
fn rate_limited(state: &AppState, req: &HttpRequest, access: Access) -> Option<HttpResponse> {
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

/// Whether the operation the request names is a mutation (or subscription).
fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(doc) = parse_query(&request.query) else {
        return false; // execution reports the syntax error
    };
    let ty = match &request.operation_name {
        Some(name) => doc
            .operations
            .iter()
            .find(|(n, _)| n.map(|n| n.as_str()) == Some(name.as_str()))
            .map(|(_, op)| op.node.ty),
        None => doc.operations.iter().next().map(|(_, op)| op.node.ty),
    };
    matches!(
        ty,
        Some(OperationType::Mutation | OperationType::Subscription)
    )
}

/// How one operation ended, for the status code and the metrics.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    /// Errors beside data: a field failed.
    Error,
    /// Failed before execution: syntax, validation, variables, a limit.
    Rejected,
    /// The database is away or has no free connection.
    Unavailable,
    Timeout,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Rejected => "rejected",
            Self::Unavailable => "unavailable",
            Self::Timeout => "timeout",
        }
    }
}

fn code(error: &async_graphql::ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code),
        _ => None,
    }
}

/// Runs one request; its response body (without `data` when it failed before execution).
async fn run_one(
    state: &AppState,
    request: async_graphql::Request,
    access: Access,
) -> (Value, Outcome) {
    let started = Instant::now();
    let requested_name = request.operation_name.clone();
    let (request, operation) = crate::graphql::prepare(request, &state.db, access);
    let response = state.schema.execute(request).await;
    // Errors without a path happened before execution (syntax, validation, variables).
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let outcome = if response.errors.iter().any(|e| code(e) == Some(UNAVAILABLE)) {
        Outcome::Unavailable
    } else if request_error {
        Outcome::Rejected
    } else if response.errors.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Error
    };
    for error in &response.errors {
        if code(error) == Some(LIMIT_EXCEEDED) {
            let limit = error
                .extensions
                .as_ref()
                .and_then(|e| match e.get("limit") {
                    Some(async_graphql::Value::String(limit)) => Some(limit.clone()),
                    _ => None,
                });
            state.metrics.rejected(limit.as_deref().unwrap_or("limit"));
        }
    }
    let name = operation.get().or(requested_name.as_deref());
    let elapsed = started.elapsed();
    state.metrics.operation(name, outcome.label(), elapsed);
    if elapsed >= Duration::from_millis(state.settings.slow_ms) {
        tracing::warn!(
            operation = name.unwrap_or("anonymous"),
            duration_ms = elapsed.as_secs_f64() * 1e3,
            outcome = outcome.label(),
            "slow GraphQL operation"
        );
    }
    let mut body = serde_json::to_value(&response).unwrap_or_else(|err| {
        tracing::error!(error = %err, "could not serialize a GraphQL response");
        json!({ "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL" } }] })
    });
    if request_error && let Some(object) = body.as_object_mut() {
        object.remove("data");
    }
    (body, outcome)
}

/// Runs the requests under the execution timeout and answers them.
async fn answer(
    state: &AppState,
    requests: Requests,
    media: Media,
    access: Access,
) -> HttpResponse {
    let timeout = Duration::from_millis(state.settings.execution_timeout_ms);
    let run = async {
        match requests {
            Requests::Single(request) => {
                let (body, outcome) = run_one(state, *request, access).await;
                (body, vec![outcome])
            }
            Requests::Batch(list) => {
                let mut bodies = Vec::with_capacity(list.len());
                let mut outcomes = Vec::with_capacity(list.len());
                for request in list {
                    let (body, outcome) = run_one(state, request, access).await;
                    bodies.push(body);
                    outcomes.push(outcome);
                }
                (Value::Array(bodies), outcomes)
            }
        }
    };
    let Ok((body, outcomes)) = tokio::time::timeout(timeout, run).await else {
        state
            .metrics
            .operation(None, Outcome::Timeout.label(), timeout);
        tracing::warn!(
            timeout_ms = state.settings.execution_timeout_ms,
            "request stopped at the execution timeout"
        );
        let response = refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            TIMEOUT,
            &format!(
                "the request ran longer than {} ms and was stopped; retry, or ask for less",
                state.settings.execution_timeout_ms
            ),
        );
        return retry_after(response, RETRY_AFTER_SECS);
    };
    let status = if outcomes.contains(&Outcome::Unavailable) {
        StatusCode::SERVICE_UNAVAILABLE
    } else if media == Media::GraphqlResponse && !body.is_array() && outcomes == [Outcome::Rejected]
    {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let response = HttpResponse::build(status)
        .content_type(media.content_type())
        .body(body.to_string());
    if status == StatusCode::SERVICE_UNAVAILABLE {
        retry_after(response, RETRY_AFTER_SECS)
    } else {
        response
    }
}

/// A request without a query is not well-formed (a missing `query` reads as empty).
fn has_query(request: &async_graphql::Request) -> Result<(), BodyError> {
    if request.query.trim().is_empty() {
        return Err(BodyError::Malformed(
            "the request has no `query`".to_owned(),
        ));
    }
    Ok(())
}

pub async fn post(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let access = match auth::access(&state, &req).await {
        Ok(access) => access,
        Err(refused) => return refused,
    };
    if let Some(refused) = rate_limited(&state, &req, access) {
        return refused;
    }
    let Some(media) = negotiate(&req) else {
        return not_acceptable();
    };
    let settings = &state.settings;
    let limit = match access {
        Access::Write => settings.max_write_body_bytes,
        Access::Anonymous | Access::Preview => settings.max_body_bytes,
    };
    let requests = match body::read(
        &req,
        payload,
        limit,
        Duration::from_millis(settings.client_timeout_ms),
        settings.limits.max_batch,
    )
    .await
    {
        Ok(requests) => requests,
        Err(err) => return body_refusal(&state, err),
    };
    let with_queries = match &requests {
        Requests::Single(request) => has_query(request),
        Requests::Batch(list) => list.iter().try_for_each(has_query),
    };
    if let Err(err) = with_queries {
        return body_refusal(&state, err);
    }
    answer(&state, requests, media, access).await
}

fn not_acceptable() -> HttpResponse {
    refusal(
        StatusCode::NOT_ACCEPTABLE,
        "NOT_ACCEPTABLE",
        "accept application/graphql-response+json or application/json",
    )
}

pub async fn get(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if state.settings.introspection == Switch::On && wants_graphiql(&req) {
        let html = GraphiQLSource::build()
            .endpoint("/graphql")
            .title("content-api")
            .finish();
        return HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(html);
    }
    let access = match auth::access(&state, &req).await {
        Ok(access) => access,
        Err(refused) => return refused,
    };
    if let Some(refused) = rate_limited(&state, &req, access) {
        return refused;
    }
    let Some(media) = negotiate(&req) else {
        return not_acceptable();
    };
    let request = match async_graphql::http::parse_query_string(req.query_string()) {
        // It reads `operation_name`; GraphQL over HTTP says `operationName`.
        Ok(request) if request.operation_name.is_none() => {
            match url::form_urlencoded::parse(req.query_string().as_bytes())
                .find(|(key, _)| key == "operationName")
            {
                Some((_, name)) => request.operation_name(name.into_owned()),
                None => request,
            }
        }
        Ok(request) => request,
        Err(err) => {
            return body_refusal(
                &state,
                BodyError::Malformed(format!("invalid GraphQL request: {err}")),
            );
        }
    };
    if let Err(err) = has_query(&request) {
        return body_refusal(&state, err);
    }
    if limits::check_text(&request.query, &state.settings.limits).is_err() {
        // Execution refuses it with the limit's error; `is_mutation` must not parse it first.
        return answer(&state, Requests::Single(Box::new(request)), media, access).await;
    }
    if is_mutation(&request) {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "POST"))
            .content_type(JSON)
            .body(r#"{"errors":[{"message":"mutations must use POST","extensions":{"code":"METHOD_NOT_ALLOWED"}}]}"#);
    }
    answer(&state, Requests::Single(Box::new(request)), media, access).await
}

/// The schema in SDL: identical to the checked-in `schema.graphql`. A 404 with
/// introspection off.
pub async fn schema_sdl(state: web::Data<AppState>) -> HttpResponse {
    if state.settings.introspection == Switch::Off {
        return refusal(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "the schema is not published here",
        );
    }
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(state.schema.sdl())
}
