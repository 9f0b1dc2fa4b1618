//! Prometheus metrics, served at `GET /metrics` in the OpenMetrics text format.
//!
//! Each server has a registry of its own (tests run many servers in one process). Operation
//! names come from clients, so only well-formed names are kept as labels, and only the first
//! [`MAX_OPERATION_NAMES`]; later ones count as `other`.

use std::{collections::HashSet, sync::Mutex, time::Duration};

use actix_web::{HttpResponse, web};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};
use sea_orm::{DatabaseConnection, DatabaseConnectionType};

use super::AppState;

const MAX_OPERATION_NAMES: usize = 200;
const MAX_OPERATION_NAME_LEN: usize = 64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    pub operation: String,
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationOnly {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: u16,
}

pub struct Metrics {
    registry: Registry,
    operations: Family<OperationLabels, Counter>,
    latency: Family<OperationOnly, Histogram, fn() -> Histogram>,
    rejected: Family<ReasonLabels, Counter>,
    responses: Family<StatusLabels, Counter>,
    caches: Family<CacheLabels, Counter>,
    statements: Counter,
    projected: Counter,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    deliveries: Family<OutcomeLabels, Counter>,
    outbox_pending: Gauge,
    outbox_oldest_age: Gauge<f64, std::sync::atomic::AtomicU64>,
    subscriptions: Gauge,
    ws_connections: Gauge,
    ws_closed: Family<ReasonLabels, Counter>,
    notification_lag: Histogram,
    names: Mutex<HashSet<String>>,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("content_api");
        let operations = Family::<OperationLabels, Counter>::default();
        let latency = Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        let rejected = Family::<ReasonLabels, Counter>::default();
        let responses = Family::<StatusLabels, Counter>::default();
        let caches = Family::<CacheLabels, Counter>::default();
        let statements = Counter::default();
        let projected = Counter::default();
        let (pool_connections, pool_idle, pool_max) =
            (Gauge::default(), Gauge::default(), Gauge::default());
        registry.register(
            "graphql_operations",
            "GraphQL operations by operation name and outcome",
            operations.clone(),
        );
        registry.register(
            "graphql_operation_duration_seconds",
            "Time to answer a GraphQL operation, by operation name",
            latency.clone(),
        );
        registry.register(
            "graphql_rejected",
            "Requests refused before execution, by reason (a limit, the body size, the rate)",
            rejected.clone(),
        );
        registry.register(
            "http_responses",
            "HTTP responses by status code",
            responses.clone(),
        );
        registry.register(
            "cache_lookups",
            "Lookups in the response cache and the persisted-query store, by result",
            caches.clone(),
        );
        registry.register(
            "db_statements",
            "SQL statements run against the database",
            statements.clone(),
        );
        registry.register(
            "graphql_projected",
            "GraphQL operations answered by the projection, straight from articles' documents (the rest ran through the schema's resolvers)",
            projected.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Open connections in the database pool",
            pool_connections.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Idle connections in the database pool",
            pool_idle.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "The most connections the database pool opens",
            pool_max.clone(),
        );
        let deliveries = Family::<OutcomeLabels, Counter>::default();
        let outbox_pending = Gauge::default();
        let outbox_oldest_age = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        let subscriptions = Gauge::default();
        let ws_connections = Gauge::default();
        let ws_closed = Family::<ReasonLabels, Counter>::default();
        // 0.5 ms to about 8 s.
        let notification_lag = Histogram::new(exponential_buckets(0.0005, 2.0, 15));
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts by outcome: delivered, retrying (failed, tried again later), failed (given up)",
            deliveries.clone(),
        );
        registry.register(
            "outbox_pending_deliveries",
            "Webhook deliveries not yet delivered or given up, across all replicas",
            outbox_pending.clone(),
        );
        registry.register(
            "outbox_oldest_pending_age_seconds",
            "Age of the oldest pending webhook delivery (0 with none)",
            outbox_oldest_age.clone(),
        );
        registry.register(
            "subscriptions_open",
            "GraphQL subscriptions open on this server",
            subscriptions.clone(),
        );
        registry.register(
            "subscription_connections_open",
            "WebSocket connections open for subscriptions on this server",
            ws_connections.clone(),
        );
        registry.register(
            "subscription_connections_closed",
            "Subscription connections the server closed, by reason (a limit, a timeout, a protocol error)",
            ws_closed.clone(),
        );
        registry.register(
            "event_notification_lag_seconds",
            "Time from an event's write to this server hearing of it",
            notification_lag.clone(),
        );
        Self {
            registry,
            deliveries,
            outbox_pending,
            outbox_oldest_age,
            subscriptions,
            ws_connections,
            ws_closed,
            notification_lag,
            operations,
            latency,
            rejected,
            responses,
            caches,
            statements,
            projected,
            pool_connections,
            pool_idle,
            pool_max,
            names: Mutex::new(HashSet::new()),
        }
    }
}

impl Metrics {
    /// The label for a client's operation name: `anonymous` without one, `other` for a
    /// malformed one or once [`MAX_OPERATION_NAMES`] are known.
    fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name else {
            return "anonymous".to_owned();
        };
        let well_formed = name.len() <= MAX_OPERATION_NAME_LEN
            && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !well_formed {
            return "other".to_owned();
        }
        let Ok(mut names) = self.names.lock() else {
            return "other".to_owned();
        };
        if names.contains(name) || names.len() < MAX_OPERATION_NAMES {
            names.insert(name.to_owned());
            name.to_owned()
        } else {
            "other".to_owned()
        }
    }

    /// One GraphQL operation answered: `outcome` is `ok`, `error` (errors beside data),
    /// `rejected` (refused before execution), `unavailable` or `timeout`.
    pub fn operation(&self, name: Option<&str>, outcome: &'static str, elapsed: Duration) {
        let operation = self.operation_label(name);
        self.latency
            .get_or_create(&OperationOnly {
                operation: operation.clone(),
            })
            .observe(elapsed.as_secs_f64());
        self.operations
            .get_or_create(&OperationLabels { operation, outcome })
            .inc();
    }

    pub fn rejected(&self, reason: &str) {
        self.rejected
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }

    pub fn response(&self, status: u16) {
        self.responses.get_or_create(&StatusLabels { status }).inc();
    }

    /// A lookup in `cache` (`response`, `persisted_query`): `hit` or `miss`.
    pub fn cache(&self, cache: &'static str, result: &'static str) {
        self.caches
            .get_or_create(&CacheLabels { cache, result })
            .inc();
    }

    pub fn statement(&self) {
        self.statements.inc();
    }

    /// An operation the projection answered.
    pub fn projected(&self) {
        self.projected.inc();
    }

    /// A webhook delivery attempt finished: `delivered`, `retrying` or `failed`.
    pub fn delivery(&self, outcome: &'static str) {
        self.deliveries
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// How long after its write this server heard of an event.
    pub fn notification_lag(&self, lag: Duration) {
        self.notification_lag.observe(lag.as_secs_f64());
    }

    /// A subscription opened (`1`) or ended (`-1`).
    pub fn subscriptions(&self, delta: i64) {
        self.subscriptions.inc_by(delta);
    }

    /// A subscription connection opened (`1`) or ended (`-1`).
    pub fn ws_connections(&self, delta: i64) {
        self.ws_connections.inc_by(delta);
    }

    /// The server closed a subscription connection for `reason`.
    pub fn ws_closed(&self, reason: &str) {
        self.ws_closed
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }

    async fn observe_outbox(&self, db: &DatabaseConnection) {
        match crate::content::webhooks::delivery::backlog(db).await {
            Ok(backlog) => {
                self.outbox_pending.set(backlog.pending);
                let age = backlog.oldest.map_or(0.0, |t| {
                    (chrono::Utc::now() - t).num_milliseconds().max(0) as f64 / 1_000.0
                });
                self.outbox_oldest_age.set(age);
            }
            Err(error) => tracing::warn!(%error, "could not read the outbox's backlog"),
        }
    }

    fn observe_pool(&self, db: &DatabaseConnection) {
        let (size, idle, max) = match &db.inner {
            DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
                let pool = db.get_postgres_connection_pool();
                (
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                )
            }
            DatabaseConnectionType::SqlxSqlitePoolConnection(_) => {
                let pool = db.get_sqlite_connection_pool();
                (
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                )
            }
            _ => return,
        };
        self.pool_connections.set(i64::from(size));
        self.pool_idle.set(i64::try_from(idle).unwrap_or(i64::MAX));
        self.pool_max.set(i64::from(max));
    }

    fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// `GET /metrics`.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    state.metrics.observe_pool(&state.db);
    state.metrics.observe_outbox(&state.background).await;
    match state.metrics.render() {
        Ok(text) => HttpResponse::Ok()
            .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
            .body(text),
        Err(err) => {
            tracing::error!(error = %err, "could not render the metrics");
            HttpResponse::InternalServerError().finish()
        }
    }
}
