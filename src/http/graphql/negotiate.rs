//! Which media type to answer with, from the Accept header, and whether a browser asks for
//! GraphiQL.

use actix_web::{
    HttpRequest,
    http::header::{self, HeaderValue},
};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json; charset=utf-8";
pub const JSON: &str = "application/json; charset=utf-8";

/// The media type of an answer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `application/graphql-response+json`: a request that fails before execution is a 400.
    GraphqlResponse,
    /// `application/json`: every well-formed request is a 200.
    Json,
}

impl Media {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponse => GRAPHQL_RESPONSE,
            Self::Json => JSON,
        }
    }
}

/// The media type to answer with; `None` when the client accepts neither.
pub fn negotiate(req: &HttpRequest) -> Option<Media> {
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

/// A browser's plain GET of the endpoint: it wants GraphiQL.
pub fn wants_graphiql(req: &HttpRequest) -> bool {
    req.query_string().is_empty()
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
}
