//! The demo content bundled in the binary: the seed article, loaded into an empty database so a
//! new user sees something in GraphiQL at once.

use entity::article;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use super::{Result, bundle, ids::Ids};

/// A copy of `shared/fixtures/seed-article.json`.
pub const DEMO_BUNDLE: &str = include_str!("../../fixtures/demo.json");

/// Imports the demo bundle if there are no articles yet. Returns whether it did.
pub async fn load_if_empty(db: &DatabaseConnection) -> Result<bool> {
    if article::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let report = bundle::import(db, &bundle::parse(DEMO_BUNDLE)?, Ids::TimeOrdered).await?;
    tracing::info!(
        articles = report.articles.created,
        "loaded the demo content into the empty database"
    );
    Ok(true)
}
