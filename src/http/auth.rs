//! Who a /graphql request is, from its `Authorization: Bearer TOKEN` header.
//!
//! No header is an anonymous reader. A header that is not one bearer token, or a token that is
//! unknown or revoked, is refused with a 401 before anything runs: a client that meant to
//! authenticate should hear that it did not, not quietly get the public view.

use actix_web::{HttpRequest, HttpResponse, http::header};

use super::AppState;
use crate::content::{Access, Error, tokens};

const JSON: &str = "application/json; charset=utf-8";

/// What the request may do, or the response refusing it.
pub async fn access(state: &AppState, req: &HttpRequest) -> Result<Access, HttpResponse> {
    let token = match bearer_token(req) {
        Ok(None) => return Ok(Access::Anonymous),
        Ok(Some(token)) => token,
        Err(message) => return Err(unauthenticated("invalid_request", message)),
    };
    match tokens::authenticate(&state.db, token).await {
        Ok(access) => Ok(access),
        Err(Error::Unauthenticated) => Err(unauthenticated(
            "invalid_token",
            "the API token is unknown or revoked",
        )),
        Err(err) => {
            // Only the database can fail here: answer as /readyz does when it is away.
            let detail = match &err {
                Error::Internal(inner) => format!("{inner:#}"),
                other => other.to_string(),
            };
            tracing::error!(error = detail, "could not check an API token");
            Err(HttpResponse::ServiceUnavailable()
                .content_type(JSON)
                .body(error_body("INTERNAL", "internal error")))
        }
    }
}

/// The token of an `Authorization: Bearer TOKEN` header (the scheme in any case), `None`
/// without the header, or why the header is not one.
fn bearer_token(req: &HttpRequest) -> Result<Option<&str>, &'static str> {
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err("send one Authorization header");
    }
    let malformed = "the Authorization header must be `Bearer TOKEN`";
    let value = value.to_str().map_err(|_| malformed)?;
    bearer(value).map(Some).ok_or(malformed)
}

/// The token of a `Bearer TOKEN` credential (the scheme in any case), or `None` if it is
/// not one: over HTTP the `Authorization` header, over a WebSocket `connection_init`'s.
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim_start_matches(' ');
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

/// A short, stable fingerprint of the request's bearer token, to tell clients apart (rate
/// limits) without keeping the token itself.
pub fn token_fingerprint(req: &HttpRequest) -> Option<String> {
    use sha2::{Digest, Sha256};
    let token = bearer_token(req).ok()??;
    let digest = Sha256::digest(token.as_bytes());
    Some(digest[..12].iter().map(|b| format!("{b:02x}")).collect())
}

/// A 401 in the shape of a GraphQL error, with the challenge RFC 6750 asks for.
fn unauthenticated(error: &str, message: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((
            header::WWW_AUTHENTICATE,
            format!("Bearer realm=\"content-api\", error=\"{error}\""),
        ))
        .content_type(JSON)
        .body(error_body("UNAUTHENTICATED", message))
}

fn error_body(code: &str, message: &str) -> String {
    serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    })
    .to_string()
}
