//! The content model: publications, authors, speakers, tags, articles and their ordered lists.
//!
//! Every table has a UUID (v7) primary key and `created_at`/`updated_at`. Every filter and sort
//! the API offers has an index. Titles sort bytewise on both backends (`COLLATE "C"` on
//! Postgres matches SQLite's BINARY), so both serve pages in the same order.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Publications {
    Table,
    Id,
    Slug,
    Name,
    Url,
    SponsorMessage,
}

#[derive(DeriveIden)]
enum PublicationLinks {
    Table,
    Id,
    PublicationId,
    Position,
    Label,
    Url,
}

#[derive(DeriveIden)]
enum Authors {
    Table,
    Id,
    Slug,
    Name,
    Kind,
}

#[derive(DeriveIden)]
enum Speakers {
    Table,
    Id,
    Slug,
    Name,
    Role,
    Organization,
}

#[derive(DeriveIden)]
enum Tags {
    Table,
    Id,
    Slug,
}

#[derive(DeriveIden)]
enum Articles {
    Table,
    Id,
    Slug,
    Title,
    Summary,
    Body,
    WordCount,
    Status,
    PublishedAt,
    Section,
    CanonicalUrl,
    PublicationId,
    AuthorId,
    ContentHash,
}

#[derive(DeriveIden)]
enum ArticleTags {
    Table,
    Id,
    ArticleId,
    TagId,
    Position,
}

#[derive(DeriveIden)]
enum KeyPoints {
    Table,
    Id,
    ArticleId,
    Position,
    Text,
}

#[derive(DeriveIden)]
enum Quotes {
    Table,
    Id,
    ArticleId,
    SpeakerId,
    Position,
    Text,
    Context,
}

#[derive(DeriveIden)]
enum RelatedLinks {
    Table,
    Id,
    ArticleId,
    Position,
    Url,
    Title,
    Rel,
}

#[derive(DeriveIden)]
enum Copyrights {
    Table,
    Id,
    ArticleId,
    Holder,
    Notice,
    Year,
    License,
}

/// A table with a UUID primary key and the two timestamps every row carries.
fn table(name: impl IntoIden + 'static, id: impl IntoIden) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(pk_uuid(id))
        .col(timestamp_with_time_zone(Alias::new("created_at")))
        .col(timestamp_with_time_zone(Alias::new("updated_at")))
        .to_owned()
}

fn fk(
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
    to_col: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(
    name: &str,
    table: impl IntoIden,
    cols: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(Alias::new(*col));
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let title_collation = match manager.get_database_backend() {
            DatabaseBackend::Postgres => "COLLATE \"C\"",
            _ => "",
        };

        manager
            .create_table(
                table(Publications::Table, Publications::Id)
                    .col(string_uniq(Publications::Slug))
                    .col(string(Publications::Name))
                    .col(string_null(Publications::Url))
                    .col(text_null(Publications::SponsorMessage))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(PublicationLinks::Table, PublicationLinks::Id)
                    .col(uuid(PublicationLinks::PublicationId))
                    .col(integer(PublicationLinks::Position))
                    .col(string(PublicationLinks::Label))
                    .col(string(PublicationLinks::Url))
                    .foreign_key(&mut fk(
                        PublicationLinks::Table,
                        PublicationLinks::PublicationId,
                        Publications::Table,
                        Publications::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(Authors::Table, Authors::Id)
                    .col(string_uniq(Authors::Slug))
                    .col(string(Authors::Name))
                    .col(string_len(Authors::Kind, 16))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(Speakers::Table, Speakers::Id)
                    .col(string_uniq(Speakers::Slug))
                    .col(string(Speakers::Name))
                    .col(string_null(Speakers::Role))
                    .col(string_null(Speakers::Organization))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(Tags::Table, Tags::Id)
                    .col(string_uniq(Tags::Slug))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(Articles::Table, Articles::Id)
                    .col(string_uniq(Articles::Slug))
                    .col(string(Articles::Title).extra(title_collation))
                    .col(text_null(Articles::Summary))
                    .col(text(Articles::Body))
                    .col(integer(Articles::WordCount))
                    .col(string_len(Articles::Status, 16))
                    .col(timestamp_with_time_zone_null(Articles::PublishedAt))
                    .col(string_null(Articles::Section))
                    .col(string_null(Articles::CanonicalUrl))
                    .col(uuid(Articles::PublicationId))
                    .col(uuid_null(Articles::AuthorId))
                    .col(string_len(Articles::ContentHash, 64))
                    .foreign_key(&mut fk(
                        Articles::Table,
                        Articles::PublicationId,
                        Publications::Table,
                        Publications::Id,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Articles::Table,
                        Articles::AuthorId,
                        Authors::Table,
                        Authors::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(ArticleTags::Table, ArticleTags::Id)
                    .col(uuid(ArticleTags::ArticleId))
                    .col(uuid(ArticleTags::TagId))
                    .col(integer(ArticleTags::Position))
                    .foreign_key(&mut fk(
                        ArticleTags::Table,
                        ArticleTags::ArticleId,
                        Articles::Table,
                        Articles::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        ArticleTags::Table,
                        ArticleTags::TagId,
                        Tags::Table,
                        Tags::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(KeyPoints::Table, KeyPoints::Id)
                    .col(uuid(KeyPoints::ArticleId))
                    .col(integer(KeyPoints::Position))
                    .col(text(KeyPoints::Text))
                    .foreign_key(&mut fk(
                        KeyPoints::Table,
                        KeyPoints::ArticleId,
                        Articles::Table,
                        Articles::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(Quotes::Table, Quotes::Id)
                    .col(uuid(Quotes::ArticleId))
                    .col(uuid(Quotes::SpeakerId))
                    .col(integer(Quotes::Position))
                    .col(text(Quotes::Text))
                    .col(text_null(Quotes::Context))
                    .foreign_key(&mut fk(
                        Quotes::Table,
                        Quotes::ArticleId,
                        Articles::Table,
                        Articles::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Quotes::Table,
                        Quotes::SpeakerId,
                        Speakers::Table,
                        Speakers::Id,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(RelatedLinks::Table, RelatedLinks::Id)
                    .col(uuid(RelatedLinks::ArticleId))
                    .col(integer(RelatedLinks::Position))
                    .col(text(RelatedLinks::Url))
                    .col(text_null(RelatedLinks::Title))
                    .col(string_len(RelatedLinks::Rel, 16))
                    .foreign_key(&mut fk(
                        RelatedLinks::Table,
                        RelatedLinks::ArticleId,
                        Articles::Table,
                        Articles::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(Copyrights::Table, Copyrights::Id)
                    .col(uuid_uniq(Copyrights::ArticleId))
                    .col(string(Copyrights::Holder))
                    .col(text(Copyrights::Notice))
                    .col(integer_null(Copyrights::Year))
                    .col(string_null(Copyrights::License))
                    .foreign_key(&mut fk(
                        Copyrights::Table,
                        Copyrights::ArticleId,
                        Articles::Table,
                        Articles::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        // Keyset pagination sorts by (key, id); filters look up by foreign key.
        let indexes = [
            index(
                "idx_publication_links_order",
                PublicationLinks::Table,
                &["publication_id", "position"],
                true,
            ),
            index(
                "idx_articles_status_published",
                Articles::Table,
                &["status", "published_at", "id"],
                false,
            ),
            index(
                "idx_articles_published",
                Articles::Table,
                &["published_at", "id"],
                false,
            ),
            index(
                "idx_articles_updated",
                Articles::Table,
                &["updated_at", "id"],
                false,
            ),
            index(
                "idx_articles_title",
                Articles::Table,
                &["title", "id"],
                false,
            ),
            index(
                "idx_articles_publication",
                Articles::Table,
                &["publication_id"],
                false,
            ),
            index(
                "idx_articles_author",
                Articles::Table,
                &["author_id"],
                false,
            ),
            index(
                "idx_article_tags_article",
                ArticleTags::Table,
                &["article_id", "tag_id"],
                true,
            ),
            index(
                "idx_article_tags_tag",
                ArticleTags::Table,
                &["tag_id", "article_id"],
                false,
            ),
            index(
                "idx_key_points_order",
                KeyPoints::Table,
                &["article_id", "position"],
                true,
            ),
            index(
                "idx_quotes_order",
                Quotes::Table,
                &["article_id", "position"],
                true,
            ),
            index(
                "idx_quotes_speaker",
                Quotes::Table,
                &["speaker_id", "article_id"],
                false,
            ),
            index(
                "idx_related_links_order",
                RelatedLinks::Table,
                &["article_id", "position"],
                true,
            ),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents, so foreign keys never dangle.
        let tables: [DynIden; 11] = [
            Copyrights::Table.into_iden(),
            RelatedLinks::Table.into_iden(),
            Quotes::Table.into_iden(),
            KeyPoints::Table.into_iden(),
            ArticleTags::Table.into_iden(),
            Articles::Table.into_iden(),
            Tags::Table.into_iden(),
            Speakers::Table.into_iden(),
            Authors::Table.into_iden(),
            PublicationLinks::Table.into_iden(),
            Publications::Table.into_iden(),
        ];
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
