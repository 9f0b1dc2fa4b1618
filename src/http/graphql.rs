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

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder,
    http::{Method, StatusCode, header},
    web::{self, Bytes},
};
use async_graphql::{
    http::GraphiQLSource,
    parser::{parse_query, types::OperationType},
};
use serde_json::{Value, json};

use super::{
    AppState, auth,
    body::{self, BodyError, Requests},
    persisted, rate_limit,
    response_cache::{self, ResponseCache},
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
    HttpResponse::build(status)
        .content_type(JSON)
        .body(coded_errors(code, message).to_string())
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

/// One operation's answer.
struct Answer {
    body: Bytes,
    outcome: Outcome,
    /// The ETag of an answer the response cache served or kept.
    etag: Option<Arc<str>>,
}

/// `{"errors": [one coded error]}`.
fn coded_errors(code: &str, message: &str) -> Value {
    json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
}

/// Puts every object's fields in name order, at every depth. async-graphql 7.2 gives them in
/// the order their resolvers finished, which changes from run to run; the same content must
/// give the same bytes (and so the same ETag) every time.
fn sort_fields(value: &mut async_graphql::Value) {
    match value {
        async_graphql::Value::Object(fields) => {
            fields.sort_keys();
            fields.values_mut().for_each(sort_fields);
        }
        async_graphql::Value::List(items) => items.iter_mut().for_each(sort_fields),
        _ => {}
    }
}

/// The response as JSON, without `data` when the request failed before execution.
fn serialize(response: &async_graphql::Response, request_error: bool) -> Bytes {
    #[derive(serde::Serialize)]
    struct ErrorsOnly<'a> {
        errors: &'a [async_graphql::ServerError],
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        extensions: &'a BTreeMap<String, async_graphql::Value>,
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
        Bytes::from(coded_errors("INTERNAL", "internal error").to_string())
    })
}

/// Fills in the query of a persisted-query request (counting hits and misses); the hash to
/// register once the query has run, if it is new here.
fn resolve_persisted(
    state: &AppState,
    request: &mut async_graphql::Request,
) -> Result<Option<[u8; 32]>, persisted::Refusal> {
    let hash_only = request.query.is_empty();
    let resolved = state.persisted.resolve(request);
    if request.extensions.contains_key("persistedQuery") && hash_only {
        match &resolved {
            Ok(_) => state.metrics.cache("persisted_query", "hit"),
            Err(persisted::Refusal::NotFound) => state.metrics.cache("persisted_query", "miss"),
            Err(_) => state.metrics.rejected("persisted_query"),
        }
    }
    resolved
}

/// Runs one request: from the response cache for an anonymous reader when it holds the
/// answer, else through the schema.
async fn run_one(state: &AppState, mut request: async_graphql::Request, access: Access) -> Answer {
    let started = Instant::now();
    let requested_name = request.operation_name.clone();
    let register = match resolve_persisted(state, &mut request) {
        Ok(register) => register.map(|hash| (hash, request.query.clone())),
        Err(refusal) => {
            let (code, message) = refusal.code_and_message();
            state.metrics.operation(
                requested_name.as_deref(),
                Outcome::Rejected.label(),
                started.elapsed(),
            );
            return Answer {
                body: Bytes::from(coded_errors(code, &message).to_string()),
                outcome: Outcome::Rejected,
                etag: None,
            };
        }
    };
    let cache = state
        .response_cache
        .as_ref()
        .filter(|_| access == Access::Anonymous);
    let mut keep = None;
    if let Some(cache) = cache {
        let key = ResponseCache::key(&request);
        // Without a stamp (the database is away) the request runs uncached, and execution
        // reports what is wrong.
        if let Ok(stamp) = cache.stamp().await {
            if let Some(hit) = cache.get(&key, &stamp) {
                state.metrics.cache("response", "hit");
                state.metrics.operation(
                    hit.operation.as_deref(),
                    Outcome::Ok.label(),
                    started.elapsed(),
                );
                return Answer {
                    body: hit.body.clone(),
                    outcome: Outcome::Ok,
                    etag: Some(hit.etag.clone()),
                };
            }
            state.metrics.cache("response", "miss");
            keep = Some((cache, key, stamp));
        }
    }
    let (request, operation) = crate::graphql::prepare(request, &state.db, access);
    let mut response = state.schema.execute(request).await;
    sort_fields(&mut response.data);
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
    if let Some((hash, query)) = register
        && matches!(outcome, Outcome::Ok | Outcome::Error)
    {
        state.persisted.register(hash, &query);
    }
    let body = serialize(&response, request_error);
    let etag = match keep {
        // Only complete answers are kept: an error may be passing.
        Some((cache, key, stamp)) if outcome == Outcome::Ok => {
            Some(cache.put(key, stamp, body.clone(), name.map(str::to_owned)))
        }
        _ => None,
    };
    Answer {
        body,
        outcome,
        etag,
    }
}

/// The caching headers: anonymous GETs answered in full carry an ETag and may be kept by
/// browsers and CDNs (and an `If-None-Match` that names the ETag gets a 304); anything a
/// token read is `private, no-store`.
fn cache_headers(
    state: &AppState,
    req: &HttpRequest,
    access: Access,
    answer: &Answer,
    mut response: HttpResponseBuilder,
) -> HttpResponse {
    if access != Access::Anonymous {
        response.insert_header((header::CACHE_CONTROL, "private, no-store"));
        return response.body(answer.body.clone());
    }
    if req.method() != Method::GET {
        return response.body(answer.body.clone());
    }
    if answer.outcome != Outcome::Ok {
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        return response.body(answer.body.clone());
    }
    let etag = answer
        .etag
        .clone()
        .unwrap_or_else(|| response_cache::etag(&answer.body));
    let cache_control = format!("public, max-age={}", state.settings.http_max_age);
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| response_cache::matches(tags, &etag));
    if unchanged {
        response.status(StatusCode::NOT_MODIFIED);
    }
    response
        .insert_header((header::ETAG, &*etag))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, "Accept, Authorization"));
    if unchanged {
        response.finish()
    } else {
        response.body(answer.body.clone())
    }
}

/// Runs the requests under the execution timeout and answers them.
async fn answer(
    state: &AppState,
    req: &HttpRequest,
    requests: Requests,
    media: Media,
    access: Access,
) -> HttpResponse {
    let timeout = Duration::from_millis(state.settings.execution_timeout_ms);
    let run = async {
        match requests {
            Requests::Single(request) => {
                let answer = run_one(state, *request, access).await;
                let outcomes = vec![answer.outcome];
                (answer, outcomes, false)
            }
            Requests::Batch(list) => {
                let mut bodies = Vec::with_capacity(list.len());
                let mut outcomes = Vec::with_capacity(list.len());
                for request in list {
                    let answer = run_one(state, request, access).await;
                    bodies.push(answer.body);
                    outcomes.push(answer.outcome);
                }
                let mut joined =
                    Vec::with_capacity(bodies.iter().map(|b| b.len() + 1).sum::<usize>() + 2);
                joined.push(b'[');
                for (i, body) in bodies.iter().enumerate() {
                    if i > 0 {
                        joined.push(b',');
                    }
                    joined.extend_from_slice(body);
                }
                joined.push(b']');
                // A batch as a whole is never cached over HTTP.
                let answer = Answer {
                    body: Bytes::from(joined),
                    outcome: Outcome::Error,
                    etag: None,
                };
                (answer, outcomes, true)
            }
        }
    };
    let Ok((answer, outcomes, batch)) = tokio::time::timeout(timeout, run).await else {
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
    } else if media == Media::GraphqlResponse && !batch && outcomes == [Outcome::Rejected] {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut response = HttpResponse::build(status);
    response.content_type(media.content_type());
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS.to_string()));
    }
    cache_headers(state, req, access, &answer, response)
}

/// A request without a query is not well-formed (a missing `query` reads as empty), unless
/// it names a persisted query instead.
fn has_query(request: &async_graphql::Request) -> Result<(), BodyError> {
    let persisted = request.query.is_empty() && request.extensions.contains_key("persistedQuery");
    if request.query.trim().is_empty() && !persisted {
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
    answer(&state, &req, requests, media, access).await
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
    let mut request = match async_graphql::http::parse_query_string(req.query_string()) {
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
    // The query must be known before `is_mutation` reads it.
    if let Err(refused) = resolve_persisted(&state, &mut request) {
        let (code, message) = refused.code_and_message();
        let status = match media {
            Media::GraphqlResponse => StatusCode::BAD_REQUEST,
            Media::Json => StatusCode::OK,
        };
        return HttpResponse::build(status)
            .content_type(media.content_type())
            .body(coded_errors(code, &message).to_string());
    }
    if limits::check_text(&request.query, &state.settings.limits).is_err() {
        // Execution refuses it with the limit's error; `is_mutation` must not parse it first.
        return answer(
            &state,
            &req,
            Requests::Single(Box::new(request)),
            media,
            access,
        )
        .await;
    }
    if is_mutation(&request) {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "POST"))
            .content_type(JSON)
            .body(r#"{"errors":[{"message":"mutations must use POST","extensions":{"code":"METHOD_NOT_ALLOWED"}}]}"#);
    }
    answer(
        &state,
        &req,
        Requests::Single(Box::new(request)),
        media,
        access,
    )
    .await
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
