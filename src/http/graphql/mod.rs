//! GraphQL over HTTP: POST and GET on /graphql, GraphiQL for browsers, the SDL.
//!
//! Responses are `application/graphql-response+json` when the client accepts it (then a
//! request that fails before execution is a 400), else `application/json` (200 for a
//! well-formed request); see [`negotiate`]. A request that failed before execution has no
//! `data` entry. GET carries queries only: a mutation over GET is a 405. POST takes
//! `application/json` only (else 415), one request or a batch (a JSON array), within the body
//! limit (else 413) and the client timeout (else 408); see [`refusal`]. A request with a bad
//! `Authorization` header is a 401 before anything else (see `auth`); an unreachable database
//! or the execution timeout is a 503 with `Retry-After`; a panic is a 500 (see [`run`]).
//! Anonymous GETs may be cached by browsers and CDNs ([`caching`]). The GraphiQL page (see
//! `http::graphiql`) and the SDL need no token, and are off with introspection.

mod caching;
mod negotiate;
mod refusal;
mod run;

use std::{sync::Arc, time::Duration};

use actix_web::{
    HttpMessage, HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web::{self, Bytes},
};
use async_graphql::parser::{parse_query, types::OperationType};

pub(super) use self::refusal::refusal;
use self::{
    negotiate::{JSON, Media, negotiate, wants_graphiql},
    refusal::{
        RETRY_AFTER_SECS, body_refusal, coded_errors, not_acceptable, rate_limited, retry_after,
    },
    run::{Answer, outcome_label, resolve_persisted, run_one},
};
use super::{
    AppState, auth,
    body::{self, BodyError, Requests},
    observe::RequestId,
};
use crate::{
    config::Switch,
    content::Access,
    graphql::{TIMEOUT, engine::Outcome, limits},
};

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

/// The id the request is known by in logs and the `X-Request-Id` header.
fn request_id(req: &HttpRequest) -> Arc<str> {
    req.extensions()
        .get::<RequestId>()
        .map_or_else(|| Arc::from(""), |id| id.0.clone())
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
    let id = request_id(req);
    let run = async {
        match requests {
            Requests::Single(request) => {
                let answer = run_one(state, *request, access, &id).await;
                let outcomes = vec![answer.outcome];
                (answer, outcomes, false)
            }
            Requests::Batch(list) => {
                let mut bodies = Vec::with_capacity(list.len());
                let mut outcomes = Vec::with_capacity(list.len());
                for request in list {
                    let answer = run_one(state, request, access, &id).await;
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
        state.metrics.operation(None, "timeout", timeout);
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
    let status = if outcomes.contains(&Outcome::Internal) {
        StatusCode::INTERNAL_SERVER_ERROR
    } else if outcomes.contains(&Outcome::Unavailable) {
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
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        return response.body(answer.body);
    }
    caching::with_cache_headers(state, req, access, &answer, response)
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

pub async fn get(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if state.settings.introspection == Switch::On && wants_graphiql(&req) {
        return super::graphiql::page();
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
        state.metrics.operation(
            request.operation_name.as_deref(),
            outcome_label(Outcome::Rejected),
            Duration::ZERO,
        );
        return HttpResponse::build(status)
            .content_type(media.content_type())
            .body(coded_errors(code, &message).to_string());
    }
    // A document over a limit is refused by the engine with the limit's error:
    // `is_mutation` must not parse it first.
    if limits::check_text(&request.query, &state.settings.limits).is_ok() && is_mutation(&request) {
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
        .body(state.engine.schema().sdl())
}
