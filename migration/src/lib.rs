//! Database migrations for content-api. One file per change; a landed migration is never edited.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_content;
mod m20261125_000001_create_api_tokens;
mod m20261125_000002_create_search;
mod m20261125_000003_create_content_version;
mod m20261201_000001_create_article_documents;
mod m20261201_000002_index_newest_first;
mod m20261201_000003_compress_text_with_lz4;
mod m20261205_000001_search_terms;
mod m20261206_000001_create_events;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_content::Migration),
            Box::new(m20261125_000001_create_api_tokens::Migration),
            Box::new(m20261125_000002_create_search::Migration),
            Box::new(m20261125_000003_create_content_version::Migration),
            Box::new(m20261201_000001_create_article_documents::Migration),
            Box::new(m20261201_000002_index_newest_first::Migration),
            Box::new(m20261201_000003_compress_text_with_lz4::Migration),
            Box::new(m20261205_000001_search_terms::Migration),
            Box::new(m20261206_000001_create_events::Migration),
        ]
    }
}
