//! The domain: services over SeaORM. Knows nothing of HTTP or GraphQL; the CLI and the API
//! call the same functions.

pub mod article_parts;
pub mod articles;
pub mod body;
pub mod bundle;
pub mod catalog;
pub mod demo;
pub mod derived;
pub mod editing;
pub mod events;
pub mod ids;
pub mod model;
pub mod pagination;
pub mod quotes;
pub mod search;
pub mod speakers;
pub mod tokens;
pub mod validate;
pub mod version;
pub mod webhooks;

/// The content's vocabulary: one enum per idea, stored as the entity's column values and
/// exchanged (import, export, documents) by the names these serialize to.
pub use entity::{article::ArticleStatus, author::AuthorKind, related_link::LinkRel};

use chrono::{DateTime, Utc};
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, RuntimeErr, SqlErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sea_query::{Expr, SimpleExpr},
};

/// What a caller of the content layer can act on. Every failure is one of these.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found: {0}")]
    NotFound(String),
    /// Bad input; `field` names where it is (for an import: the article and the field).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("authentication required")]
    Unauthenticated,
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The database cannot be reached or has no free connection: try again shortly.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<DbErr> for Error {
    /// Constraint violations are the client's doing; anything else is ours.
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) => Self::Conflict(detail),
            Some(SqlErr::ForeignKeyConstraintViolation(detail)) => Self::invalid(
                "reference",
                format!("refers to something that does not exist: {detail}"),
            ),
            _ if is_unavailable(&err) => Self::Unavailable(err.to_string()),
            _ => Self::Internal(anyhow::Error::new(err).context("database error")),
        }
    }
}

impl Error {
    /// `Unavailable` for an internal error caused by an unreachable or exhausted database,
    /// wherever in its chain of contexts that cause sits; otherwise itself.
    pub fn surface_unavailable(self) -> Self {
        match self {
            Self::Internal(inner) => {
                let db_err = inner.chain().find_map(|e| e.downcast_ref::<DbErr>());
                match db_err {
                    Some(db_err) if is_unavailable(db_err) => Self::Unavailable(db_err.to_string()),
                    _ => Self::Internal(inner),
                }
            }
            other => other,
        }
    }
}

/// Begins a transaction that will write, and raises the content version in it (so cached
/// responses are dropped when it commits, and kept if it rolls back). On SQLite it takes the
/// write lock at once (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy timeout; a
/// deferred transaction that reads first and writes later would fail at once with "database
/// is locked" when another writer got in between.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    version::bump(&txn).await?;
    Ok(txn)
}

/// Whether Postgres cancelled the statement: it ran past its `statement_timeout` (or an
/// operator cancelled it). The server is overloaded, not the request wrong.
fn is_cancelled(err: &sea_orm::sqlx::Error) -> bool {
    matches!(err, sea_orm::sqlx::Error::Database(db) if db.code().as_deref() == Some(QUERY_CANCELED))
}

/// Postgres's SQLSTATE for a cancelled statement.
const QUERY_CANCELED: &str = "57014";

/// Whether a database error says the database is away or busy, not that a statement failed.
pub fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => {
            matches!(
                e.as_ref(),
                Sqlx::Io(_)
                    | Sqlx::Tls(_)
                    | Sqlx::PoolTimedOut
                    | Sqlx::PoolClosed
                    | Sqlx::WorkerCrashed
            ) || is_cancelled(e)
        }
        _ => false,
    }
}

/// What a request may do, from the API token it carries (if any).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// No token: reads what is public.
    Anonymous,
    /// A `preview` token: reads everything, drafts and scheduled articles included.
    Preview,
    /// A `write` token: reads everything and writes.
    Write,
}

impl Access {
    pub fn visibility(self) -> Visibility {
        match self {
            Self::Anonymous => Visibility::Public,
            Self::Preview | Self::Write => Visibility::All,
        }
    }

    /// `Unauthenticated` without a token, `Forbidden` with one that may only read.
    pub fn require_write(self) -> Result<()> {
        match self {
            Self::Write => Ok(()),
            Self::Preview => Err(Error::Forbidden(
                "a preview token may read, not write".into(),
            )),
            Self::Anonymous => Err(Error::Unauthenticated),
        }
    }
}

/// Who is reading, and so which articles they may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Anonymous readers: PUBLISHED articles whose publish time has come.
    Public,
    /// Editors and previews: every article, whatever its status.
    All,
}

/// `N` random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("{e}").context("could not get random bytes"))?;
    Ok(bytes)
}

/// A secret to show once: `prefix` and `N` random bytes in base64url (API tokens, webhook
/// secrets).
pub(crate) fn random_secret<const N: usize>(prefix: &str) -> Result<String> {
    use base64::Engine as _;
    let bytes = random_bytes::<N>()?;
    Ok(format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// "Now" in a statement that decides what readers see. Postgres takes its own clock
/// (`now()`): every replica then agrees on when a scheduled article arrives, and the statement
/// stays free of a parameter, so Postgres plans it once and keeps the plan rather than
/// planning it again for every time bound. SQLite, in the application's process, is given the
/// application's clock.
pub(crate) fn now_in(backend: DbBackend) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::cust("now()"),
        _ => Expr::val(now()),
    }
}

/// The current time, truncated to microseconds: the precision both backends store, so a value
/// written and read back compares equal.
pub fn now() -> DateTime<Utc> {
    truncate_to_micros(Utc::now())
}

pub fn truncate_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}
