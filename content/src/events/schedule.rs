//! Scheduled publishing: when a scheduled article's time comes, its `article.published` event
//! is written, once, whichever replica gets there first.
//!
//! Every replica calls [`announce_due`] several times a second. It looks (one indexed
//! statement) for a published article not yet announced whose time has come; if there is
//! one, it marks every such article announced and records their events in one transaction.
//! On Postgres two replicas racing update the same rows: the second waits for the first's
//! row locks, then finds them announced and updates none, so each event is written once.

use entity::article;
use sea_orm::{
    DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{Change, EventKind, record, written};
use crate::{Result, begin_write, now_in};

/// Articles published but not yet announced whose time has come. The first two terms are
/// written as the partial index that finds them is (not as parameters), so both backends
/// use it.
fn due(backend: sea_orm::DbBackend) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(Expr::cust(
            "\"articles\".\"status\" = 'published' AND NOT \"articles\".\"announced\"",
        ))
        .add(Expr::col(article::Column::PublishedAt).lte(now_in(backend)))
}

/// Announces the scheduled articles whose time has come: returns how many.
pub async fn announce_due(db: &DatabaseConnection) -> Result<usize> {
    let backend = db.get_database_backend();
    let any: Option<Uuid> = article::Entity::find()
        .select_only()
        .column(article::Column::Id)
        .filter(due(backend))
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    if any.is_none() {
        return Ok(0);
    }
    let txn = begin_write(db).await?;
    let announced = article::Entity::update_many()
        .col_expr(article::Column::Announced, Expr::value(true))
        .filter(due(backend))
        .exec_with_returning(&txn)
        .await?;
    let changes: Vec<Change> = announced
        .into_iter()
        .map(|a| Change {
            kind: EventKind::Published,
            article_id: a.id,
            slug: a.slug,
            revision: a.revision,
        })
        .collect();
    let count = changes.len();
    record(&txn, changes).await?;
    txn.commit().await?;
    if count > 0 {
        written();
        tracing::info!(count, "announced scheduled articles whose time came");
    }
    Ok(count)
}
