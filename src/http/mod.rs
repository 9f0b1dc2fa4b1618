//! The actix-web application: routes, CORS, compression, request ids and logs, metrics,
//! GraphiQL.

mod auth;
mod body;
mod graphiql;
mod graphql;
mod health;
mod metrics;
mod observe;
mod persisted;
mod rate_limit;
mod response_cache;
mod subscriptions;

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_cors::Cors;
use actix_web::{App, HttpServer, dev::Server, http::header, middleware, web};
use sea_orm::DatabaseConnection;

use crate::{
    config::{ServeSettings, Switch},
    content::search::ranked::Rankings,
    graphql::engine::Engine,
};

pub use metrics::Metrics;

/// What every handler can reach.
pub struct AppState {
    /// Runs GraphQL requests.
    pub engine: Engine,
    pub db: DatabaseConnection,
    /// The same pool, for the server's own bookkeeping (the outbox's backlog on /metrics):
    /// not counted among requests' statements.
    background: DatabaseConnection,
    pub settings: ServeSettings,
    pub metrics: Arc<Metrics>,
    rate_limiter: Option<rate_limit::RateLimiter>,
    /// Anonymous readers' answers; `None` with `--response-cache off`.
    response_cache: Option<response_cache::ResponseCache>,
    persisted: persisted::Store,
    /// Where this server's subscriptions hear of events.
    pub hub: crate::events::Hub,
    subscriptions: std::sync::Arc<subscriptions::Connections>,
}

fn cors(origins: &[String], headers: &[String]) -> Cors {
    let cors = Cors::default()
        .allowed_methods(["GET", "POST", "OPTIONS"])
        .expose_headers([observe::X_REQUEST_ID, header::RETRY_AFTER, header::ETAG])
        .max_age(86_400);
    let cors = if headers.iter().any(|h| h == "*") {
        // The preflight's requested headers are reflected.
        cors.allow_any_header()
    } else {
        let read = [
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::AUTHORIZATION,
            header::IF_NONE_MATCH,
            observe::X_REQUEST_ID,
        ];
        headers
            .iter()
            .fold(cors.allowed_headers(read), |cors, name| {
                cors.allowed_header(name.as_str())
            })
    };
    if origins.iter().any(|o| o == "*") {
        // Any origin may read; credentials are never sent cross-origin.
        cors.allow_any_origin().send_wildcard()
    } else {
        origins
            .iter()
            .fold(cors, |cors, origin| cors.allowed_origin(origin))
    }
}

/// Counts every SQL statement for `/metrics`, and logs the slow ones (inside the request's
/// span, so with its request id).
fn instrument(
    mut db: DatabaseConnection,
    metrics: Arc<Metrics>,
    slow: Duration,
) -> DatabaseConnection {
    db.set_metric_callback(move |info| {
        metrics.statement();
        if info.elapsed >= slow {
            let sql: String = info.statement.sql.chars().take(500).collect();
            tracing::warn!(
                duration_ms = crate::telemetry::millis(info.elapsed),
                failed = info.failed,
                sql,
                "slow SQL statement"
            );
        }
    });
    db
}

/// Builds the server on `listener`; await the result to run it. Tests call this too.
pub fn server(
    listener: TcpListener,
    db: DatabaseConnection,
    settings: &ServeSettings,
) -> std::io::Result<Server> {
    crate::telemetry::log_panics();
    let metrics = Arc::new(Metrics::default());
    let uncounted = db.clone();
    // Background work (events, deliveries) is not counted among requests' statements.
    let background = db.clone();
    let db = instrument(db, metrics.clone(), Duration::from_millis(settings.slow_ms));
    let schema = crate::graphql::build_schema(settings);
    let mut engine = Engine::new(
        schema,
        settings.limits.clone(),
        settings.projection == Switch::On,
    );
    if settings.verify_projection {
        engine = engine.verifying(uncounted);
    }
    if settings.introspection == Switch::Off {
        engine = engine.without_introspection();
    }
    engine = engine.ids(settings.ids);
    let hub = crate::events::Hub::default();
    crate::events::start(
        background.clone(),
        &settings.events,
        hub.clone(),
        metrics.clone(),
    );
    let counted = metrics.clone();
    engine = engine.ranking(Rankings::new(db.clone(), move || counted.statement()));
    let response_cache = (settings.response_cache == Switch::On).then(|| {
        let counted = metrics.clone();
        response_cache::ResponseCache::new(db.clone(), settings.response_cache_mb, move || {
            counted.statement()
        })
    });
    let state = web::Data::new(AppState {
        settings: settings.clone(),
        metrics,
        rate_limiter: rate_limit::RateLimiter::new(settings.rate_limit, settings.rate_limit_burst),
        response_cache,
        persisted: persisted::Store::new(settings.persisted_queries == Switch::On),
        hub,
        background,
        subscriptions: subscriptions::Connections::new(
            settings.events.ws_max_connections_per_client,
        ),
        engine,
        db,
    });
    let (origins, cors_headers) = (settings.cors_origins.clone(), settings.cors_headers.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(middleware::Compress::default())
            .wrap(cors(&origins, &cors_headers))
            .wrap(middleware::from_fn(observe::observe))
            .service(
                web::resource("/graphql")
                    .route(
                        web::get()
                            .guard(actix_web::guard::fn_guard(|ctx| {
                                subscriptions::is_upgrade(ctx.head())
                            }))
                            .to(subscriptions::upgrade),
                    )
                    .route(web::post().to(graphql::post))
                    .route(web::get().to(graphql::get)),
            )
            .route("/schema.graphql", web::get().to(graphql::schema_sdl))
            .configure(graphiql::routes)
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            .route("/metrics", web::get().to(metrics::metrics))
    })
    // Answers go out as soon as they are written: with Nagle's algorithm on, a response
    // written in more than one segment waited for the client's delayed ACK (40 ms on Linux),
    // which was the p99 of every search at low concurrency.
    .tcp_nodelay(true)
    // A client gets this long for its request head; a slow body is cut by the GraphQL handler.
    .client_request_timeout(Duration::from_millis(settings.client_timeout_ms))
    .client_disconnect_timeout(Duration::from_secs(1))
    // Actix stops accepting on SIGTERM/SIGINT and gives in-flight requests this long.
    .shutdown_timeout(settings.shutdown_grace_secs)
    .listen(listener)?
    .run();
    Ok(server)
}
