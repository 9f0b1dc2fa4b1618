//! Settings. Every flag can also be given as an environment variable (shown in `--help`).

use clap::{Args, ValueEnum};

use crate::content::{ids::Ids, tokens::Scope};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://content.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Where the content lives, and how the connection pool behaves.
#[derive(Args, Clone, Debug)]
pub struct DatabaseSettings {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// Connections in the pool (default: 8 on SQLite, 16 on Postgres).
    #[arg(long, env = "CONTENT_API_DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<u32>,

    /// How long a request waits for a free pooled connection before it is refused with a 503
    /// (milliseconds). Also bounds how long opening a connection may take.
    #[arg(
        long,
        env = "CONTENT_API_DB_ACQUIRE_TIMEOUT_MS",
        default_value_t = 3_000,
        global = true
    )]
    pub db_acquire_timeout_ms: u64,

    /// Postgres: the longest a statement of the pool may run before the server cancels it
    /// (milliseconds). `serve` sets it to its execution timeout, so a request stopped at its
    /// timeout also stops its statement. Not a flag.
    #[arg(skip)]
    pub statement_timeout_ms: Option<u64>,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            db_max_connections: None,
            db_acquire_timeout_ms: 3_000,
            statement_timeout_ms: None,
        }
    }
}

/// How log lines are written to standard error.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per event, with the request's span fields (request id, operation).
    Json,
}

/// A feature that can be turned on or off.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Switch {
    On,
    Off,
}

/// What one GraphQL request may ask for. Every limit is checked before any database work.
#[derive(Args, Clone, Debug)]
pub struct QueryLimits {
    /// Deepest field nesting a query may have.
    #[arg(long, env = "CONTENT_API_MAX_DEPTH", default_value_t = 15)]
    pub max_depth: usize,

    /// Highest complexity a query may have: each field costs 1, and a list field costs its
    /// page size (`first`/`last`, else 20) times what it selects, fragments expanded.
    #[arg(long, env = "CONTENT_API_MAX_COMPLEXITY", default_value_t = 50_000)]
    pub max_complexity: usize,

    /// Root fields one operation may select, fragments expanded: each runs statements of its
    /// own, so a fragment spread many times at the root would run them many times.
    #[arg(long, env = "CONTENT_API_MAX_ROOT_FIELDS", default_value_t = 30)]
    pub max_root_fields: usize,

    /// Aliased fields a query may have, fragments expanded.
    #[arg(long, env = "CONTENT_API_MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: usize,

    /// Directives (`@include`, `@skip`, ...) a query may use, fragments expanded.
    #[arg(long, env = "CONTENT_API_MAX_DIRECTIVES", default_value_t = 50)]
    pub max_directives: usize,

    /// Size of the query document in bytes. Send content in variables, not inline.
    #[arg(long, env = "CONTENT_API_MAX_QUERY_BYTES", default_value_t = 64 * 1024)]
    pub max_query_bytes: usize,

    /// Operations in one batched request (a JSON array); 0 turns batching off.
    #[arg(long, env = "CONTENT_API_MAX_BATCH", default_value_t = 10)]
    pub max_batch: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_depth: 15,
            max_complexity: 50_000,
            max_root_fields: 30,
            max_aliases: 30,
            max_directives: 50,
            max_query_bytes: 64 * 1024,
            max_batch: 10,
        }
    }
}

/// Webhook deliveries and subscriptions.
#[derive(Args, Clone, Debug)]
pub struct EventSettings {
    /// How long a webhook receiver has to answer a delivery (milliseconds); no answer in time
    /// is a failed attempt, retried later.
    #[arg(long, env = "CONTENT_API_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub webhook_timeout_ms: u64,

    /// The wait before retrying a failed delivery (milliseconds); it doubles with each
    /// failure, up to an hour, each wait spread by ±50% at random.
    #[arg(long, env = "CONTENT_API_WEBHOOK_RETRY_MS", default_value_t = 10_000)]
    pub webhook_retry_ms: u64,

    /// How long after its event a delivery is retried before it is marked failed (seconds).
    #[arg(
        long,
        env = "CONTENT_API_WEBHOOK_RETRY_FOR_SECS",
        default_value_t = 86_400
    )]
    pub webhook_retry_for_secs: u64,

    /// Deliveries this server sends at once, across all webhooks.
    #[arg(long, env = "CONTENT_API_WEBHOOK_CONCURRENCY", default_value_t = 16)]
    pub webhook_concurrency: usize,

    /// Deliver webhooks from this server. Off, it still writes deliveries; other replicas
    /// send them.
    #[arg(long, env = "CONTENT_API_WEBHOOKS", value_enum, default_value_t = Switch::On)]
    pub webhooks: Switch,

    /// How long events (and their finished deliveries) are kept in the outbox (days); those
    /// still being delivered stay until they are done.
    #[arg(long, env = "CONTENT_API_EVENTS_RETENTION_DAYS", default_value_t = 30)]
    pub events_retention_days: u32,

    /// WebSocket connections for subscriptions one client (IP address) may hold open.
    #[arg(
        long,
        env = "CONTENT_API_WS_MAX_CONNECTIONS_PER_CLIENT",
        default_value_t = 16
    )]
    pub ws_max_connections_per_client: usize,

    /// Subscriptions one WebSocket connection may hold.
    #[arg(long, env = "CONTENT_API_WS_MAX_SUBSCRIPTIONS", default_value_t = 100)]
    pub ws_max_subscriptions: usize,

    /// Largest message a client may send over a WebSocket (bytes).
    #[arg(long, env = "CONTENT_API_WS_MAX_MESSAGE_BYTES", default_value_t = 64 * 1024)]
    pub ws_max_message_bytes: usize,

    /// How long a new WebSocket connection has to send `connection_init` (milliseconds).
    #[arg(long, env = "CONTENT_API_WS_INIT_TIMEOUT_MS", default_value_t = 10_000)]
    pub ws_init_timeout_ms: u64,

    /// How often the server pings a subscription connection (milliseconds).
    #[arg(
        long,
        env = "CONTENT_API_WS_PING_INTERVAL_MS",
        default_value_t = 15_000
    )]
    pub ws_ping_interval_ms: u64,

    /// How long a client has to answer the server's ping with a pong before it is
    /// disconnected (milliseconds).
    #[arg(long, env = "CONTENT_API_WS_PONG_TIMEOUT_MS", default_value_t = 10_000)]
    pub ws_pong_timeout_ms: u64,
}

impl Default for EventSettings {
    fn default() -> Self {
        Self {
            webhook_timeout_ms: 10_000,
            webhook_retry_ms: 10_000,
            webhook_retry_for_secs: 86_400,
            webhook_concurrency: 16,
            webhooks: Switch::On,
            events_retention_days: 30,
            ws_max_connections_per_client: 16,
            ws_max_subscriptions: 100,
            ws_max_message_bytes: 64 * 1024,
            ws_init_timeout_ms: 10_000,
            ws_ping_interval_ms: 15_000,
            ws_pong_timeout_ms: 10_000,
        }
    }
}

/// How the server listens and behaves.
#[derive(Args, Clone, Debug)]
pub struct ServeSettings {
    /// Address and port to listen on.
    #[arg(long, env = "CONTENT_API_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,

    /// Do not load the bundled demo article into an empty database.
    #[arg(long, env = "CONTENT_API_NO_DEMO")]
    pub no_demo: bool,

    /// Test mode: import this bundle (a fixture) before serving; may repeat, imported in
    /// order. Implies --no-demo, and new rows get ids derived from their kind and slug, so the
    /// same fixture gives the same ids, cursors and ETags on every run. Once the server
    /// answers, its first line on standard output is a JSON object: `{"event":"ready",
    /// "url":…,"graphql":…,"tokens":{…}}`.
    #[arg(
        long = "import",
        value_name = "FILE",
        env = "CONTENT_API_IMPORT",
        value_delimiter = ','
    )]
    pub imports: Vec<std::path::PathBuf>,

    /// Create a token at start, `NAME:SCOPE` with SCOPE `preview` or `write`; may repeat. The
    /// tokens are printed on the ready line (only there). A name that exists is an error.
    #[arg(long = "token", value_name = "NAME:SCOPE", env = "CONTENT_API_TOKENS", value_delimiter = ',', value_parser = token_spec)]
    pub tokens: Vec<TokenSpec>,

    /// How new rows get their ids: derived in the test mode. Not a flag.
    #[arg(skip)]
    pub ids: Ids,

    /// Origins browsers may call the API from (comma-separated); `*` allows any origin.
    /// Credentials (cookies) are never allowed cross-origin.
    #[arg(
        long,
        env = "CONTENT_API_CORS_ORIGINS",
        value_delimiter = ',',
        default_value = "*"
    )]
    pub cors_origins: Vec<String>,

    /// Request headers browsers may send from other origins (comma-separated); `*` allows any a
    /// preflight asks for, which is what client and tracing libraries need (Apollo, urql, Relay,
    /// Sentry and OpenTelemetry each add their own). A list always includes the headers the
    /// API reads itself.
    #[arg(
        long,
        env = "CONTENT_API_CORS_HEADERS",
        value_delimiter = ',',
        default_value = "*",
        value_parser = header_name
    )]
    pub cors_headers: Vec<String>,

    #[command(flatten)]
    pub limits: QueryLimits,

    #[command(flatten)]
    pub events: EventSettings,

    /// Largest request body in bytes; a larger one gets a 413. Requests with a `write`
    /// token may send up to --max-write-body-bytes.
    #[arg(long, env = "CONTENT_API_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest request body in bytes for requests with a `write` token (article bodies).
    #[arg(long, env = "CONTENT_API_MAX_WRITE_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_write_body_bytes: usize,

    /// How long a client may take to send a request's headers, and then its body, before the
    /// connection is answered with a 408 and closed (milliseconds).
    #[arg(long, env = "CONTENT_API_CLIENT_TIMEOUT_MS", default_value_t = 5_000)]
    pub client_timeout_ms: u64,

    /// How long one GraphQL request may run before it is stopped and answered with a 503
    /// (milliseconds).
    #[arg(
        long,
        env = "CONTENT_API_EXECUTION_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub execution_timeout_ms: u64,

    /// On SIGTERM or Ctrl-C, how long in-flight requests may run before the server exits
    /// anyway (seconds). New connections are refused at once.
    #[arg(long, env = "CONTENT_API_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,

    /// Introspection (`__schema`, `__type`) and "did you mean" suggestions in errors. Turn
    /// off in production to keep the schema to yourself; /schema.graphql is then a 404.
    #[arg(long, env = "CONTENT_API_INTROSPECTION", value_enum, default_value_t = Switch::On)]
    pub introspection: Switch,

    /// Requests per second each client may make (a token, else an IP address); above it a
    /// 429 with `Retry-After`. 0 turns rate limiting off.
    #[arg(long, env = "CONTENT_API_RATE_LIMIT", default_value_t = 0)]
    pub rate_limit: u32,

    /// Requests a client may make at once above the rate before it is limited (default: the
    /// rate itself, at least 1).
    #[arg(long, env = "CONTENT_API_RATE_LIMIT_BURST")]
    pub rate_limit_burst: Option<u32>,

    /// Behind a proxy or load balancer: the header holding the client's IP address (the last
    /// address in it is taken, the one your proxy added), e.g. `X-Forwarded-For`. Without
    /// it, the peer address of the connection is the client.
    #[arg(long, env = "CONTENT_API_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,

    /// GraphQL operations and SQL statements slower than this are logged with their
    /// operation name and duration (milliseconds).
    #[arg(long, env = "CONTENT_API_SLOW_MS", default_value_t = 500)]
    pub slow_ms: u64,

    /// Keep anonymous readers' query responses in memory and serve them again until a write
    /// (through any server or the CLI) or a scheduled article's publish time changes what they
    /// would say. Each hit still checks the content version in the database (one small
    /// statement shared by concurrent requests), so no reader sees content older than the
    /// last write that returned.
    #[arg(long, env = "CONTENT_API_RESPONSE_CACHE", value_enum, default_value_t = Switch::On)]
    pub response_cache: Switch,

    /// The most memory the response cache holds, in MiB; the least recently used responses
    /// go first.
    #[arg(long, env = "CONTENT_API_RESPONSE_CACHE_MB", default_value_t = 32)]
    pub response_cache_mb: usize,

    /// `Cache-Control: public, max-age=N` on anonymous GET responses (seconds): how long
    /// browsers and CDNs may reuse one without asking again. With the default 0 they
    /// revalidate every time, and an unchanged response costs a 304 with no body.
    #[arg(long, env = "CONTENT_API_HTTP_MAX_AGE", default_value_t = 0)]
    pub http_max_age: u32,

    /// Automatic persisted queries (Apollo's `persistedQuery` extension): clients may send a
    /// query's SHA-256 instead of its text once the server has seen it.
    #[arg(long, env = "CONTENT_API_PERSISTED_QUERIES", value_enum, default_value_t = Switch::On)]
    pub persisted_queries: Switch,

    /// Answer queries over articles straight from their read documents (one statement per
    /// root field, no per-field work). Off, every query runs through the schema's resolvers,
    /// which give the same answers more slowly: a switch for telling the two apart.
    #[arg(long, env = "CONTENT_API_PROJECTION", value_enum, default_value_t = Switch::On)]
    pub projection: Switch,

    /// Fault injection for tests: a request whose `operationName` is this panics while it
    /// runs. Not a flag.
    #[arg(skip)]
    pub panic_on_operation: Option<String>,

    /// For tests: every answer of the projection is checked against the schema's resolvers,
    /// and a difference is an internal error. Not a flag.
    #[arg(skip)]
    pub verify_projection: bool,
}

impl Default for ServeSettings {
    fn default() -> Self {
        Self {
            bind: DEFAULT_BIND.to_owned(),
            no_demo: false,
            imports: Vec::new(),
            tokens: Vec::new(),
            ids: Ids::TimeOrdered,
            cors_origins: vec!["*".to_owned()],
            cors_headers: vec!["*".to_owned()],
            limits: QueryLimits::default(),
            events: EventSettings::default(),
            max_body_bytes: 1024 * 1024,
            max_write_body_bytes: 16 * 1024 * 1024,
            client_timeout_ms: 5_000,
            execution_timeout_ms: 10_000,
            shutdown_grace_secs: 30,
            introspection: Switch::On,
            rate_limit: 0,
            rate_limit_burst: None,
            client_ip_header: None,
            slow_ms: 500,
            response_cache: Switch::On,
            response_cache_mb: 32,
            http_max_age: 0,
            persisted_queries: Switch::On,
            projection: Switch::On,
            panic_on_operation: None,
            verify_projection: false,
        }
    }
}

/// `*` or an HTTP header name, lowercased.
/// A token to create at start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSpec {
    pub name: String,
    pub scope: Scope,
}

fn token_spec(value: &str) -> Result<TokenSpec, String> {
    let (name, scope) = value
        .rsplit_once(':')
        .ok_or_else(|| format!("{value:?} is not NAME:SCOPE (e.g. ci:write)"))?;
    let scope = match scope {
        "preview" => Scope::Preview,
        "write" => Scope::Write,
        other => return Err(format!("{other:?} is not a scope: preview or write")),
    };
    if name.is_empty() {
        return Err(format!("{value:?} has no token name before the colon"));
    }
    Ok(TokenSpec {
        name: name.to_owned(),
        scope,
    })
}

fn header_name(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value == "*" {
        return Ok(value.to_owned());
    }
    actix_web::http::header::HeaderName::from_bytes(value.as_bytes())
        .map(|name| name.as_str().to_owned())
        .map_err(|_| format!("{value:?} is not an HTTP header name"))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        settings: ServeSettings,
        #[command(flatten)]
        database: DatabaseSettings,
    }

    #[test]
    fn cors_headers_are_header_names() {
        let parsed = Serve::try_parse_from(["serve", "--cors-headers", "TraceParent,baggage"])
            .expect("header names parse");
        assert_eq!(parsed.settings.cors_headers, ["traceparent", "baggage"]);
        let refused = Serve::try_parse_from(["serve", "--cors-headers", "trace parent"])
            .err()
            .expect("a space is not in a header name")
            .to_string();
        assert!(refused.contains("not an HTTP header name"), "{refused}");
    }

    #[test]
    fn tokens_are_name_and_scope() {
        let parsed =
            Serve::try_parse_from(["serve", "--token", "ci:write", "--token", "team:a:preview"])
                .expect("tokens parse");
        assert_eq!(
            parsed.settings.tokens,
            [
                TokenSpec {
                    name: "ci".into(),
                    scope: Scope::Write
                },
                TokenSpec {
                    name: "team:a".into(),
                    scope: Scope::Preview
                }
            ]
        );
        for (bad, says) in [
            ("ci", "is not NAME:SCOPE"),
            ("ci:admin", "is not a scope"),
            (":write", "has no token name"),
        ] {
            let refused = Serve::try_parse_from(["serve", "--token", bad])
                .err()
                .expect("refused")
                .to_string();
            assert!(refused.contains(says), "{bad}: {refused}");
        }
    }

    /// `Default` (what tests and the `schema` command use) says what the flags say.
    #[test]
    fn defaults_match_the_command_line_defaults() {
        let parsed = Serve::try_parse_from(["serve"]).expect("no flags parse");
        assert_eq!(
            format!("{:?}", parsed.settings),
            format!("{:?}", ServeSettings::default())
        );
        assert_eq!(
            format!("{:?}", parsed.database),
            format!("{:?}", DatabaseSettings::default())
        );
    }
}
