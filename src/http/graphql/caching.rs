//! HTTP caching of answers: anonymous GETs answered in full carry an ETag and may be kept by
//! browsers and CDNs (and an `If-None-Match` that names the ETag gets a 304); anything a token
//! read is `private, no-store`.

use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder,
    http::{Method, StatusCode, header},
};

use super::run::Answer;
use crate::{
    content::Access,
    graphql::engine::Outcome,
    http::{AppState, response_cache},
};

/// The answer's body with the caching headers that fit who asked and how.
pub fn with_cache_headers(
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
