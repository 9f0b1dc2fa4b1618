//! Running one operation for HTTP: a persisted query's text filled in, the response cache for
//! anonymous readers, the engine (see [`crate::graphql::engine`]) for the rest, and the
//! metrics. A panic while running is caught here: that request gets a 500 with code
//! `INTERNAL` and its request id, the panic is logged with its backtrace, and the server goes
//! on serving.

use std::{
    panic::AssertUnwindSafe,
    sync::Arc,
    time::{Duration, Instant},
};

use actix_web::web::Bytes;
use futures_util::FutureExt;
use serde_json::json;

use super::refusal::coded_errors;
use crate::{
    content::Access,
    graphql::engine::Outcome,
    http::{AppState, persisted, response_cache::ResponseCache},
};

/// One operation's answer.
pub struct Answer {
    pub body: Bytes,
    pub outcome: Outcome,
    /// The ETag of an answer the response cache served or kept.
    pub etag: Option<Arc<str>>,
}

impl Answer {
    fn new(body: Bytes, outcome: Outcome) -> Self {
        Self {
            body,
            outcome,
            etag: None,
        }
    }
}

/// Fills in the query of a persisted-query request (counting hits and misses); the hash to
/// register once the query has run, if it is new here.
pub fn resolve_persisted(
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
/// answer, else through the engine.
pub async fn run_one(
    state: &AppState,
    mut request: async_graphql::Request,
    access: Access,
    request_id: &str,
) -> Answer {
    let started = Instant::now();
    let requested_name = request.operation_name.clone();
    let register = match resolve_persisted(state, &mut request) {
        Ok(register) => register.map(|hash| (hash, request.query.clone())),
        Err(refusal) => {
            let (code, message) = refusal.code_and_message();
            state.metrics.operation(
                requested_name.as_deref(),
                outcome_label(Outcome::Rejected),
                started.elapsed(),
            );
            let body = Bytes::from(coded_errors(code, &message).to_string());
            return Answer::new(body, Outcome::Rejected);
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
                // A query sent with its hash registers even when its answer is cached.
                if let Some((hash, query)) = &register {
                    state.persisted.register(*hash, query);
                }
                state.metrics.operation(
                    hit.operation.as_deref(),
                    outcome_label(Outcome::Ok),
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

    let injected = state.settings.panic_on_operation.as_deref();
    let run = async {
        if injected.is_some() && injected == requested_name.as_deref() {
            panic!("a panic injected for the operation {requested_name:?}");
        }
        state.engine.run(request, &state.db, access).await
    };
    let executed = match AssertUnwindSafe(run).catch_unwind().await {
        Ok(executed) => executed,
        Err(_) => {
            // The panic hook has logged the panic with its backtrace.
            tracing::error!(request_id, "a request panicked; answered 500 INTERNAL");
            state.metrics.operation(
                requested_name.as_deref(),
                outcome_label(Outcome::Internal),
                started.elapsed(),
            );
            let body = json!({ "errors": [{
                "message": "internal error",
                "extensions": { "code": "INTERNAL", "requestId": request_id },
            }] });
            return Answer::new(Bytes::from(body.to_string()), Outcome::Internal);
        }
    };

    for limit in &executed.limits {
        state.metrics.rejected(limit);
    }
    if executed.projected {
        state.metrics.projected();
    }
    let name = executed.operation.as_deref().or(requested_name.as_deref());
    let elapsed = started.elapsed();
    state
        .metrics
        .operation(name, outcome_label(executed.outcome), elapsed);
    if elapsed >= Duration::from_millis(state.settings.slow_ms) {
        tracing::warn!(
            operation = name.unwrap_or("anonymous"),
            duration_ms = crate::telemetry::millis(elapsed),
            outcome = outcome_label(executed.outcome),
            "slow GraphQL operation"
        );
    }
    if let Some((hash, query)) = register
        && matches!(executed.outcome, Outcome::Ok | Outcome::Error)
    {
        state.persisted.register(hash, &query);
    }
    let etag = match keep {
        // Only complete answers are kept: an error may be passing.
        Some((cache, key, stamp)) if executed.outcome == Outcome::Ok => {
            Some(cache.put(key, stamp, executed.body.clone(), name.map(str::to_owned)))
        }
        _ => None,
    };
    Answer {
        body: executed.body,
        outcome: executed.outcome,
        etag,
    }
}

/// An outcome's metrics label.
pub fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Ok => "ok",
        Outcome::Error => "error",
        Outcome::Rejected => "rejected",
        Outcome::Unavailable => "unavailable",
        Outcome::Internal => "internal",
    }
}
