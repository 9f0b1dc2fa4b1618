//! API tokens: created, listed and revoked by the operator (the `token` command), checked on
//! every API request that carries one.
//!
//! A token is `cat_` followed by 32 random bytes from the operating system, base64url without
//! padding (47 characters in all). It is shown once, when created; only its SHA-256 (hex) is
//! stored, so a copy of the database lets no one in. A lookup by that hash is what
//! authenticates a request: the hash is unique and indexed.
//!
//! `last_used_at` is bookkeeping, not an audit log: it is written at most once a minute per
//! token ([`LAST_USED_RESOLUTION`]), so a busy client does not turn every read into a write.
//!
//! Revoking is idempotent: revoking a revoked token succeeds and keeps the first `revoked_at`.
//! Revoked tokens stay in the table (and in `list`), so their history stays visible and their
//! names stay taken.

use chrono::{DateTime, TimeDelta, Utc};
use entity::api_token;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, SqlErr, sea_query::Expr,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Access, Error, Result, now, validate};

pub use entity::api_token::TokenScope as Scope;

/// What every token starts with, so one found in a log or a repository is recognizable.
pub const PREFIX: &str = "cat_";
const RANDOM_BYTES: usize = 32;
/// The length of [`RANDOM_BYTES`] in base64 without padding.
const ENCODED_LEN: usize = 43;
pub const MAX_NAME: usize = 100;
/// `last_used_at` is rewritten only when it is older than this.
pub const LAST_USED_RESOLUTION: TimeDelta = TimeDelta::minutes(1);

/// What `list` shows of a token: never the token, never its hash.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct TokenInfo {
    pub name: String,
    pub scope: Scope,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What `revoke` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revoked {
    /// Revoked now, at this time.
    Now(DateTime<Utc>),
    /// It already was, at this time; nothing changed.
    Earlier(DateTime<Utc>),
}

/// What a request carrying a token of `scope` may do.
pub fn access(scope: Scope) -> Access {
    match scope {
        Scope::Preview => Access::Preview,
        Scope::Write => Access::Write,
    }
}

/// `preview` or `write`, as the CLI takes and shows it.
pub fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::Preview => "preview",
        Scope::Write => "write",
    }
}

fn hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// Whether `token` has the shape of one we issue; anything else is not looked up.
fn well_formed(token: &str) -> bool {
    token.strip_prefix(PREFIX).is_some_and(|rest| {
        rest.len() == ENCODED_LEN
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

fn validate_name(name: &str) -> Result<()> {
    validate::text("name", name, MAX_NAME)?;
    if name.trim() != name || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            "must not start or end with spaces, nor hold control characters",
        ));
    }
    Ok(())
}

/// Creates a token named `name`; returns it with the token itself, which is not kept and
/// cannot be shown again. A name already taken (revoked tokens included) is a `Conflict`.
pub async fn create(
    db: &impl ConnectionTrait,
    name: &str,
    scope: Scope,
) -> Result<(api_token::Model, String)> {
    validate_name(name)?;
    let token = crate::random_secret::<RANDOM_BYTES>(PREFIX)?;
    let t = now();
    let row = api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.to_owned()),
        scope: Set(scope),
        token_hash: Set(hash(&token)),
        created_at: Set(t),
        updated_at: Set(t),
        last_used_at: Set(None),
        revoked_at: Set(None),
    };
    let model = row.insert(db).await.map_err(|err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            Error::Conflict(format!("a token named {name:?} already exists"))
        }
        _ => err.into(),
    })?;
    Ok((model, token))
}

/// Every token, oldest first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<TokenInfo>> {
    use api_token::Column;
    Ok(api_token::Entity::find()
        .select_only()
        .columns([
            Column::Name,
            Column::Scope,
            Column::CreatedAt,
            Column::LastUsedAt,
            Column::RevokedAt,
        ])
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Name)
        .into_model::<TokenInfo>()
        .all(db)
        .await?)
}

/// Revokes the token named `name`: from now on it authenticates nothing. `NotFound` if there
/// is none; revoking a revoked token changes nothing and says when it was revoked.
pub async fn revoke(db: &impl ConnectionTrait, name: &str) -> Result<Revoked> {
    use api_token::Column;
    let t = now();
    // One conditional statement, so two operators revoking at once agree on the time.
    let updated = api_token::Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(t))
        .col_expr(Column::UpdatedAt, Expr::value(t))
        .filter(Column::Name.eq(name))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if updated.rows_affected > 0 {
        return Ok(Revoked::Now(t));
    }
    let existing = api_token::Entity::find()
        .filter(Column::Name.eq(name))
        .one(db)
        .await?;
    match existing.and_then(|m| m.revoked_at) {
        Some(at) => Ok(Revoked::Earlier(at)),
        None => Err(Error::NotFound(format!("no token named {name:?}"))),
    }
}

/// What `token` allows: `Unauthenticated` unless it is a token we issued and have not revoked.
/// Notes the use in `last_used_at` when that is more than a minute old; failing to note it is
/// logged and does not fail the request.
pub async fn authenticate(db: &impl ConnectionTrait, token: &str) -> Result<Access> {
    if !well_formed(token) {
        return Err(Error::Unauthenticated);
    }
    let found = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash(token)))
        .one(db)
        .await?;
    let Some(found) = found.filter(|m| m.revoked_at.is_none()) else {
        return Err(Error::Unauthenticated);
    };
    let t = now();
    if found
        .last_used_at
        .is_none_or(|last| t - last >= LAST_USED_RESOLUTION)
    {
        let noted = api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(t))
            .filter(api_token::Column::Id.eq(found.id))
            .exec(db)
            .await;
        if let Err(err) = noted {
            tracing::warn!(error = %err, token = %found.name, "could not note a token's last use");
        }
    }
    Ok(access(found.scope))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    #[test]
    fn issued_tokens_are_well_formed_and_others_are_not() {
        let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode([7u8; RANDOM_BYTES]));
        assert_eq!(token.len(), 47);
        assert!(well_formed(&token));
        for bad in [
            "",
            "cat_",
            &token[..46],
            &format!("{token}A"),
            &token.replacen("cat_", "dog_", 1),
            &token.replace(&token[10..11], "+"),
        ] {
            assert!(!well_formed(bad), "{bad:?}");
        }
    }

    #[test]
    fn hashes_are_lowercase_hex_sha256() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
