//! GraphQL over HTTP: POST and GET on /graphql, GraphiQL for browsers, the SDL.
//!
//! Responses are `application/graphql-response+json` when the client accepts it (then a
//! request that fails before execution is a 400), else `application/json` (always 200 for a
//! well-formed request). GET carries queries only: a mutation over GET is a 405. A request
//! with a bad `Authorization` header is a 401 before anything else (see `auth`); the GraphiQL
//! page and the SDL need no token.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use async_graphql::{
    http::GraphiQLSource,
    parser::{parse_query, types::OperationType},
};
use async_graphql_actix_web::GraphQLRequest;

use super::{AppState, auth};
use crate::content::Access;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The media type to answer with, from the Accept header.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Media {
    GraphqlResponse,
    Json,
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

fn not_acceptable() -> HttpResponse {
    HttpResponse::NotAcceptable()
        .content_type(JSON)
        .body(r#"{"errors":[{"message":"accept application/graphql-response+json or application/json","extensions":{"code":"NOT_ACCEPTABLE"}}]}"#)
}

/// A request that is not a well-formed GraphQL request: a JSON error body with a code, never
/// a bare text line, whatever the status.
fn bad_request(status: StatusCode, message: &str) -> HttpResponse {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": "BAD_REQUEST" } }]
    });
    HttpResponse::build(status)
        .content_type(JSON)
        .body(body.to_string())
}

/// GraphQL over HTTP: a request without a query is not well-formed (the extractor reads a
/// missing `query` as the empty string).
fn missing_query(request: &async_graphql::Request) -> Option<HttpResponse> {
    request
        .query
        .trim()
        .is_empty()
        .then(|| bad_request(StatusCode::BAD_REQUEST, "the request has no `query`"))
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

async fn execute(
    state: &AppState,
    request: async_graphql::Request,
    media: Media,
    access: Access,
) -> HttpResponse {
    let request = crate::graphql::prepare(request, &state.db, access);
    let response = state.schema.execute(request).await;
    // Errors without a path happened before execution (syntax, validation, variables).
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let (status, content_type) = match media {
        Media::GraphqlResponse if request_error => (StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE),
        Media::GraphqlResponse => (StatusCode::OK, GRAPHQL_RESPONSE),
        Media::Json => (StatusCode::OK, JSON),
    };
    match serde_json::to_vec(&response) {
        Ok(body) => HttpResponse::build(status)
            .content_type(content_type)
            .body(body),
        Err(err) => {
            tracing::error!(error = %err, "could not serialize a GraphQL response");
            HttpResponse::InternalServerError().finish()
        }
    }
}

pub async fn post(
    state: web::Data<AppState>,
    req: HttpRequest,
    request: Result<GraphQLRequest, actix_web::Error>,
) -> HttpResponse {
    let access = match auth::access(&state, &req).await {
        Ok(access) => access,
        Err(refused) => return refused,
    };
    let Some(media) = negotiate(&req) else {
        return not_acceptable();
    };
    let request = match request {
        Ok(request) => request.into_inner(),
        Err(err) => {
            let status = err.as_response_error().status_code();
            return bad_request(status, &err.to_string());
        }
    };
    if let Some(response) = missing_query(&request) {
        return response;
    }
    execute(&state, request, media, access).await
}

pub async fn get(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if wants_graphiql(&req) {
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
    let Some(media) = negotiate(&req) else {
        return not_acceptable();
    };
    let request = match async_graphql::http::parse_query_string(req.query_string()) {
        Ok(request) => request,
        Err(err) => {
            return bad_request(
                StatusCode::BAD_REQUEST,
                &format!("invalid GraphQL request: {err}"),
            );
        }
    };
    if let Some(response) = missing_query(&request) {
        return response;
    }
    if is_mutation(&request) {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "POST"))
            .content_type(JSON)
            .body(r#"{"errors":[{"message":"mutations must use POST","extensions":{"code":"METHOD_NOT_ALLOWED"}}]}"#);
    }
    execute(&state, request, media, access).await
}

/// The schema in SDL: identical to the checked-in `schema.graphql`.
pub async fn schema_sdl(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(state.schema.sdl())
}
