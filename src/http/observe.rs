//! Every request gets an id (the client's `X-Request-Id` when it is a sane one, else a new
//! UUID), a tracing span carrying it, so every log line of the request shows it, one line when
//! it is answered, and the id back in the `X-Request-Id` response header.

use std::{sync::Arc, time::Instant};

use actix_web::{
    HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderMap, HeaderName, HeaderValue},
    middleware::Next,
    web,
};
use tracing::Instrument;

use super::AppState;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, for handlers (in the request's extensions).
#[derive(Clone)]
pub struct RequestId(pub Arc<str>);

/// The client's request id if it is 1 to 64 of `A-Za-z0-9._-`, else a new one.
fn request_id(headers: &HeaderMap) -> Arc<str> {
    let given = headers.get(X_REQUEST_ID).and_then(|v| v.to_str().ok());
    match given {
        Some(id)
            if (1..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) =>
        {
            id.into()
        }
        _ => uuid::Uuid::now_v7().simple().to_string().into(),
    }
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(req.headers());
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        path = %req.path()
    );
    let state = req.app_data::<web::Data<AppState>>().cloned();
    req.extensions_mut().insert(RequestId(id.clone()));
    let started = Instant::now();
    let mut response = next.call(req).instrument(span.clone()).await?;
    let status = response.status().as_u16();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID, value);
    }
    if let Some(state) = state {
        state.metrics.response(status);
    }
    span.in_scope(|| {
        tracing::info!(
            status,
            duration_ms = crate::telemetry::millis(started.elapsed()),
            "answered"
        );
    });
    Ok(response)
}
