//! Keeping the search index current: an article's search document (and its quotes') is
//! rebuilt from the database inside the transaction that changed the article, so a search
//! never sees content the reader cannot, or misses content a write just committed.
//!
//! Deleting an article or a quote deletes its document (ON DELETE CASCADE; on SQLite the
//! FTS5 index follows by trigger). A status change needs nothing: visibility is applied when
//! searching, from the article row.

use std::collections::HashMap;

use entity::{
    article, article_search_doc, article_tag, key_point, quote, quote_search_doc, speaker, tag,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
    sea_query::{Expr, JoinType, Query},
};
use uuid::Uuid;

use crate::{
    Result, body,
    bundle::import::{LOOKUP_CHUNK, insert_all},
};

use super::snippet::{MARK_END, MARK_START};

/// How much of a body is searched, in characters: a `tsvector` holds at most 1 MB, and the
/// first 100,000 characters (some 15,000 words) say what any news article is about.
pub const MAX_BODY_CHARS: usize = 100_000;

/// Articles whose documents are rebuilt per round of statements.
const ARTICLES_PER_ROUND: usize = 500;

/// Text as it goes into the index: without the characters snippets use as markers.
fn clean(text: &str) -> String {
    text.replace([MARK_START, MARK_END], "")
}

fn truncated(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[derive(FromQueryResult)]
struct ArticleText {
    id: Uuid,
    title: String,
    summary: Option<String>,
    body: String,
}

#[derive(FromQueryResult)]
struct QuoteText {
    id: Uuid,
    article_id: Uuid,
    text: String,
    context: Option<String>,
    speaker_name: String,
}

#[derive(FromQueryResult)]
struct ArticleLine {
    article_id: Uuid,
    text: String,
}

/// Rebuilds the search documents of the articles `ids` (and of their quotes) from what the
/// database holds now. Ids of articles that no longer exist are skipped.
pub async fn reindex_articles(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<()> {
    for chunk in ids.chunks(ARTICLES_PER_ROUND) {
        reindex_round(db, chunk).await?;
    }
    Ok(())
}

async fn reindex_round(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<()> {
    let articles = article::Entity::find()
        .select_only()
        .columns([
            article::Column::Id,
            article::Column::Title,
            article::Column::Summary,
            article::Column::Body,
        ])
        .filter(article::Column::Id.is_in(ids.iter().copied()))
        .into_model::<ArticleText>()
        .all(db)
        .await?;
    let key_points = key_point::Entity::find()
        .select_only()
        .columns([key_point::Column::ArticleId, key_point::Column::Text])
        .filter(key_point::Column::ArticleId.is_in(ids.iter().copied()))
        .order_by_asc(key_point::Column::ArticleId)
        .order_by_asc(key_point::Column::Position)
        .into_model::<ArticleLine>()
        .all(db)
        .await?;
    let tags = article_tag::Entity::find()
        .select_only()
        .column(article_tag::Column::ArticleId)
        .column_as(Expr::col((tag::Entity, tag::Column::Slug)), "text")
        .join(JoinType::InnerJoin, article_tag::Relation::Tag.def())
        .filter(article_tag::Column::ArticleId.is_in(ids.iter().copied()))
        .order_by_asc(article_tag::Column::ArticleId)
        .order_by_asc(article_tag::Column::Position)
        .into_model::<ArticleLine>()
        .all(db)
        .await?;
    let quotes = quote::Entity::find()
        .select_only()
        .columns([
            quote::Column::Id,
            quote::Column::ArticleId,
            quote::Column::Text,
            quote::Column::Context,
        ])
        .column_as(
            Expr::col((speaker::Entity, speaker::Column::Name)),
            "speaker_name",
        )
        .join(JoinType::InnerJoin, quote::Relation::Speaker.def())
        .filter(quote::Column::ArticleId.is_in(ids.iter().copied()))
        .order_by_asc(quote::Column::ArticleId)
        .order_by_asc(quote::Column::Position)
        .into_model::<QuoteText>()
        .all(db)
        .await?;

    let lines = |rows: Vec<ArticleLine>, separator: &str| {
        let mut joined: HashMap<Uuid, String> = HashMap::new();
        for row in rows {
            let text = joined.entry(row.article_id).or_default();
            if !text.is_empty() {
                text.push_str(separator);
            }
            text.push_str(&clean(&row.text));
        }
        joined
    };
    let mut key_points = lines(key_points, "\n");
    let mut tags = lines(tags, " ");
    let mut quote_lines: HashMap<Uuid, String> = HashMap::new();
    let mut quote_docs = Vec::with_capacity(quotes.len());
    for q in &quotes {
        let context = q.context.as_deref().map(clean).unwrap_or_default();
        let line = quote_lines.entry(q.article_id).or_default();
        if !line.is_empty() {
            line.push('\n');
        }
        // As a snippet shows it: "text — Speaker, context".
        let said = match q.context.as_deref() {
            Some(context) => format!("{} — {}, {context}", q.text, q.speaker_name),
            None => format!("{} — {}", q.text, q.speaker_name),
        };
        line.push_str(&clean(&said));
        quote_docs.push(quote_search_doc::ActiveModel {
            quote_id: Set(q.id),
            text: Set(clean(&q.text)),
            context: Set(context),
            speaker: Set(clean(&q.speaker_name)),
            ..Default::default()
        });
    }
    let article_docs: Vec<article_search_doc::ActiveModel> = articles
        .iter()
        .map(|a| article_search_doc::ActiveModel {
            article_id: Set(a.id),
            title: Set(clean(&a.title)),
            summary: Set(a.summary.as_deref().map(clean).unwrap_or_default()),
            key_points: Set(key_points.remove(&a.id).unwrap_or_default()),
            quotes: Set(quote_lines.remove(&a.id).unwrap_or_default()),
            tags: Set(tags.remove(&a.id).unwrap_or_default()),
            body: Set(clean(truncated(
                &body::to_plain_text(&a.body),
                MAX_BODY_CHARS,
            ))),
            ..Default::default()
        })
        .collect();

    article_search_doc::Entity::delete_many()
        .filter(article_search_doc::Column::ArticleId.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    quote_search_doc::Entity::delete_many()
        .filter(
            quote_search_doc::Column::QuoteId.in_subquery(
                Query::select()
                    .column(quote::Column::Id)
                    .from(quote::Entity)
                    .and_where(quote::Column::ArticleId.is_in(ids.iter().copied()))
                    .to_owned(),
            ),
        )
        .exec(db)
        .await?;
    insert_all(db, article_docs, 7).await?;
    insert_all(db, quote_docs, 4).await
}

/// The articles quoting one of `speakers`: after a speaker's name changed, their documents
/// need rebuilding (the name is in them).
pub async fn articles_quoting(db: &impl ConnectionTrait, speakers: &[Uuid]) -> Result<Vec<Uuid>> {
    let mut articles: Vec<Uuid> = Vec::new();
    for chunk in speakers.chunks(LOOKUP_CHUNK) {
        articles.extend(
            quote::Entity::find()
                .select_only()
                .column(quote::Column::ArticleId)
                .distinct()
                .filter(quote::Column::SpeakerId.is_in(chunk.iter().copied()))
                .into_tuple::<Uuid>()
                .all(db)
                .await?,
        );
    }
    Ok(articles)
}

/// Indexes every article that has no search document yet (articles written before search
/// existed), in one transaction. Returns how many it indexed.
pub async fn backfill(db: &DatabaseConnection) -> Result<usize> {
    let missing: Vec<Uuid> = article::Entity::find()
        .select_only()
        .column(article::Column::Id)
        .filter(
            article::Column::Id.not_in_subquery(
                Query::select()
                    .column(article_search_doc::Column::ArticleId)
                    .from(article_search_doc::Entity)
                    .to_owned(),
            ),
        )
        .into_tuple::<Uuid>()
        .all(db)
        .await?;
    if missing.is_empty() {
        return Ok(0);
    }
    let txn = crate::begin_write(db).await?;
    reindex_articles(&txn, &missing).await?;
    txn.commit().await?;
    Ok(missing.len())
}
