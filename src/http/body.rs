//! Reading a POST body into GraphQL requests: a JSON object (one request) or a JSON array (a
//! batch), within a size limit and a time limit, so neither a huge body nor a client that
//! stops sending can hold the server.

use std::time::Duration;

use actix_web::{HttpRequest, http::header, web};
use serde::Deserialize;
use serde_json::error::Category;

/// Why a body is not a GraphQL request.
#[derive(Debug)]
pub enum BodyError {
    /// The body is over the limit (413).
    TooLarge { limit: usize },
    /// The client did not send the whole body in time (408).
    TooSlow,
    /// Not `Content-Type: application/json` (415).
    UnsupportedMediaType,
    /// A batch with more operations than allowed, or batching is off (400).
    BatchTooLarge { max: usize, actual: usize },
    /// Not JSON, or not a request's shape (400).
    Malformed(String),
}

/// What a body holds.
pub enum Requests {
    Single(Box<async_graphql::Request>),
    Batch(Vec<async_graphql::Request>),
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// Reads and parses the body. A `Content-Length` over the limit is refused before reading.
pub async fn read(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    timeout: Duration,
    max_batch: usize,
) -> Result<Requests, BodyError> {
    if !is_json(req) {
        return Err(BodyError::UnsupportedMediaType);
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    let bytes = match tokio::time::timeout(timeout, payload.to_bytes_limited(limit)).await {
        Err(_) => return Err(BodyError::TooSlow),
        Ok(Err(_)) => return Err(BodyError::TooLarge { limit }),
        Ok(Ok(Err(err))) => {
            return Err(BodyError::Malformed(format!(
                "could not read the body: {err}"
            )));
        }
        Ok(Ok(Ok(bytes))) => bytes,
    };
    parse(&bytes, max_batch)
}

fn parse(bytes: &[u8], max_batch: usize) -> Result<Requests, BodyError> {
    // One request, the common case, is read straight into its type; a batch goes through
    // `Value` so each item's fault can name its index.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return serde_json::from_slice::<async_graphql::Request>(bytes)
            .map(|r| Requests::Single(Box::new(r)))
            .map_err(|err| match err.classify() {
                Category::Data => BodyError::Malformed(format!("not a GraphQL request: {err}")),
                _ => not_json(err),
            });
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(not_json)?;
    match value {
        serde_json::Value::Array(items) => {
            if items.is_empty() || items.len() > max_batch {
                return Err(BodyError::BatchTooLarge {
                    max: max_batch,
                    actual: items.len(),
                });
            }
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| request(item, i))
                .collect::<Result<_, _>>()
                .map(Requests::Batch)
        }
        _ => Err(BodyError::Malformed(
            "the body must be a JSON object (a GraphQL request) or an array of them (a batch)"
                .to_owned(),
        )),
    }
}

fn not_json(err: serde_json::Error) -> BodyError {
    BodyError::Malformed(format!("the body is not JSON: {err}"))
}

/// One request of a batch, or a message naming the field at fault and the item's index.
fn request(value: serde_json::Value, index: usize) -> Result<async_graphql::Request, BodyError> {
    if !value.is_object() {
        return Err(BodyError::Malformed(format!(
            "a GraphQL request must be a JSON object (batch item {index})"
        )));
    }
    async_graphql::Request::deserialize(value).map_err(|err| {
        BodyError::Malformed(format!("not a GraphQL request (batch item {index}): {err}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(body: &str, max_batch: usize) -> Result<usize, String> {
        match parse(body.as_bytes(), max_batch) {
            Ok(Requests::Single(_)) => Ok(1),
            Ok(Requests::Batch(list)) => Ok(list.len() * 100),
            Err(err) => Err(format!("{err:?}")),
        }
    }

    #[test]
    fn objects_arrays_and_junk() {
        assert_eq!(parsed(r#"{"query":"{a}"}"#, 10), Ok(1));
        assert_eq!(parsed(r#"[{"query":"{a}"},{"query":"{b}"}]"#, 10), Ok(200));
        assert!(
            parsed(r#"[{"query":"{a}"},{"query":"{b}"}]"#, 1)
                .unwrap_err()
                .contains("BatchTooLarge")
        );
        assert!(
            parsed(r#"[{"query":"{a}"}]"#, 0)
                .unwrap_err()
                .contains("BatchTooLarge")
        );
        assert!(parsed("[]", 10).unwrap_err().contains("BatchTooLarge"));
        assert!(parsed("[1]", 10).unwrap_err().contains("batch item 0"));
        assert!(parsed("42", 10).unwrap_err().contains("JSON object"));
        assert!(
            parsed(r#"{"query":"{a}","variables":3}"#, 10)
                .unwrap_err()
                .contains("not a GraphQL request")
        );
        assert!(parsed("{", 10).unwrap_err().contains("not JSON"));
        assert!(
            parsed(r#" {"query":"{a}"} x"#, 10)
                .unwrap_err()
                .contains("not JSON")
        );
        assert!(
            parsed(r#"[{"query":"{a}","variables":3}]"#, 10)
                .unwrap_err()
                .contains("batch item 0")
        );
    }
}
