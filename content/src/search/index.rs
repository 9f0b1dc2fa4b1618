//! The search index's documents: an article's (and its quotes') are rebuilt from the database
//! inside the transaction that changed the article, by the mechanism that keeps everything
//! derived from an article current ([`crate::derived`]), so a search never sees content the
//! reader cannot, or misses content a write just committed.
//!
//! Deleting an article or a quote deletes its document (ON DELETE CASCADE; on SQLite the
//! FTS5 index follows by trigger). A status change needs nothing: visibility is applied when
//! searching, from the article row.

use std::collections::{HashMap, HashSet};

use entity::{article_search_doc, quote, quote_search_doc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Query,
};
use uuid::Uuid;

use crate::{Result, bundle::import::insert_all, derived::Rows};

use super::snippet::{MARK_END, MARK_START};

/// How much of a body is searched, in characters: a `tsvector` holds at most 1 MB, and the
/// first 100,000 characters (some 15,000 words) say what any news article is about.
pub const MAX_BODY_CHARS: usize = 100_000;

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

/// A quote as its search document is made of.
struct QuoteText<'a> {
    id: Uuid,
    article_id: Uuid,
    text: &'a str,
    context: Option<&'a str>,
    speaker_name: &'a str,
}

/// Rewrites the search documents of the articles `ids` (and of their quotes) from `rows`, the
/// round of rows [`crate::derived`] read; `plain_text` holds their bodies as plain text.
pub(crate) async fn rewrite(
    db: &impl ConnectionTrait,
    rows: &Rows,
    ids: &[Uuid],
    plain_text: &HashMap<Uuid, String>,
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let wanted: HashSet<Uuid> = ids.iter().copied().collect();
    let of = |id: &Uuid| wanted.contains(id);
    let key_points = rows
        .lists
        .key_points
        .iter()
        .filter(|(id, _)| of(id))
        .flat_map(|(id, points)| points.iter().map(|k| (*id, k.text.as_str())));
    let tags = rows
        .lists
        .tags
        .iter()
        .filter(|(id, _)| of(id))
        .flat_map(|(id, tags)| tags.iter().map(|t| (*id, t.slug.as_str())));
    let quotes: Vec<QuoteText> = rows
        .lists
        .quotes
        .iter()
        .filter(|(id, _)| of(id))
        .flat_map(|(_, quotes)| quotes)
        .map(|q| QuoteText {
            id: q.id,
            article_id: q.article_id,
            text: &q.text,
            context: q.context.as_deref(),
            speaker_name: rows
                .referenced
                .speakers
                .get(&q.speaker_id)
                .map_or("", |s| s.name.as_str()),
        })
        .collect();

    let lines = |rows: &mut dyn Iterator<Item = (Uuid, &str)>, separator: &str| {
        let mut joined: HashMap<Uuid, String> = HashMap::new();
        for (article, line) in rows {
            let text = joined.entry(article).or_default();
            if !text.is_empty() {
                text.push_str(separator);
            }
            text.push_str(&clean(line));
        }
        joined
    };
    let mut key_points = lines(&mut { key_points }, "\n");
    let mut tags = lines(&mut { tags }, " ");
    let mut quote_lines: HashMap<Uuid, String> = HashMap::new();
    let mut quote_docs = Vec::with_capacity(quotes.len());
    for q in &quotes {
        let context = q.context.map(clean).unwrap_or_default();
        let line = quote_lines.entry(q.article_id).or_default();
        if !line.is_empty() {
            line.push('\n');
        }
        // As a snippet shows it: "text — Speaker, context".
        let said = match q.context {
            Some(context) => format!("{} — {}, {context}", q.text, q.speaker_name),
            None => format!("{} — {}", q.text, q.speaker_name),
        };
        line.push_str(&clean(&said));
        quote_docs.push(quote_search_doc::ActiveModel {
            quote_id: Set(q.id),
            text: Set(clean(q.text)),
            context: Set(context),
            speaker: Set(clean(q.speaker_name)),
            ..Default::default()
        });
    }
    let article_docs: Vec<article_search_doc::ActiveModel> = rows
        .articles
        .iter()
        .filter(|a| of(&a.id))
        .map(|a| article_search_doc::ActiveModel {
            article_id: Set(a.id),
            title: Set(clean(&a.title)),
            summary: Set(a.summary.as_deref().map(clean).unwrap_or_default()),
            key_points: Set(key_points.remove(&a.id).unwrap_or_default()),
            quotes: Set(quote_lines.remove(&a.id).unwrap_or_default()),
            tags: Set(tags.remove(&a.id).unwrap_or_default()),
            body: Set(clean(truncated(
                plain_text.get(&a.id).map_or("", String::as_str),
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
