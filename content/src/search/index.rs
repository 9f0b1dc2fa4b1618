//! The search index's documents: an article's (and its quotes') are rebuilt from the database
//! inside the transaction that changed the article, by the mechanism that keeps everything
//! derived from an article current ([`crate::derived`]), so a search never sees content the
//! reader cannot, or misses content a write just committed.
//!
//! A document row keeps the text as written (snippets are cut from it); its terms
//! ([`super::text`]) go into the index: on SQLite a row of the FTS5 table whose rowid is the
//! document's id, on Postgres the row's own `tsvector`, with each term's positions and its
//! field's weight.
//!
//! Deleting an article or a quote deletes its document (ON DELETE CASCADE; on SQLite the
//! FTS5 index follows by trigger). A status change needs nothing: visibility is applied when
//! searching, from the article row.

use std::collections::{HashMap, HashSet};

use entity::{article_search_doc, quote, quote_search_doc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    sea_query::{Alias, Expr, ExprTrait, Query, SimpleExpr},
};
use uuid::Uuid;

use crate::{
    Result,
    bundle::import::{LOOKUP_CHUNK, MAX_PARAMS},
    derived::Rows,
};

use super::{
    lexeme,
    snippet::{MARK_END, MARK_START},
    text,
};

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
        quote_docs.push(Doc {
            owner: q.id,
            fields: vec![clean(q.text), context, clean(q.speaker_name)],
        });
    }
    let article_docs: Vec<Doc> = rows
        .articles
        .iter()
        .filter(|a| of(&a.id))
        .map(|a| Doc {
            owner: a.id,
            fields: vec![
                clean(&a.title),
                a.summary.as_deref().map(clean).unwrap_or_default(),
                key_points.remove(&a.id).unwrap_or_default(),
                quote_lines.remove(&a.id).unwrap_or_default(),
                tags.remove(&a.id).unwrap_or_default(),
                clean(truncated(
                    plain_text.get(&a.id).map_or("", String::as_str),
                    MAX_BODY_CHARS,
                )),
            ],
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
    write(db, &ARTICLES, &article_docs).await?;
    write(db, &QUOTES, &quote_docs).await
}

/// One search document: whose it is, and its fields in the index's column order.
struct Doc {
    owner: Uuid,
    fields: Vec<String>,
}

/// Where an index's documents go, and how its fields weigh.
pub(crate) struct Index {
    /// The FTS5 table (SQLite).
    pub fts: &'static str,
    /// The document table.
    pub docs: &'static str,
    /// The document table's column holding the id of the article or quote indexed.
    pub owner: &'static str,
    /// The fields, in order, each with its Postgres weight (A is the heaviest).
    pub fields: &'static [(&'static str, char)],
    /// BM25's weight of each field on SQLite, in the same order.
    pub bm25: &'static str,
}

/// Articles: a word in the title says more than one in the body.
pub(crate) const ARTICLES: Index = Index {
    fts: "article_search",
    docs: "article_search_docs",
    owner: "article_id",
    fields: &[
        ("title", 'A'),
        ("summary", 'B'),
        ("key_points", 'B'),
        ("quotes", 'C'),
        ("tags", 'C'),
        ("body", 'D'),
    ],
    bm25: "10.0, 5.0, 4.0, 3.0, 3.0, 1.0",
};

/// Quotes: the words said and who said them, then the context.
pub(crate) const QUOTES: Index = Index {
    fts: "quote_search",
    docs: "quote_search_docs",
    owner: "quote_id",
    fields: &[("text", 'A'), ("context", 'B'), ("speaker", 'A')],
    bm25: "4.0, 1.0, 4.0",
};

/// Most positions Postgres keeps for one lexeme, and the highest position it records.
const PG_MAX_POSITIONS: usize = 255;
const PG_MAX_POSITION: usize = 16_383;

/// Postgres: the `tsvector` (its text form) of a document's fields: every term with its
/// positions and its field's weight. Each field starts a position past the end of the one
/// before, so a phrase never runs from one field into the next, as in SQLite's columns.
fn tsvector(index: &Index, fields: &[String]) -> String {
    let mut positions: HashMap<String, Vec<String>> = HashMap::new();
    let mut position: usize = 0;
    for ((_, weight), text) in index.fields.iter().zip(fields) {
        for term in text::terms(text).split(' ').filter(|t| !t.is_empty()) {
            position += 1;
            let at = positions.entry(term.to_owned()).or_default();
            if at.len() < PG_MAX_POSITIONS {
                let weight = if *weight == 'D' {
                    String::new()
                } else {
                    weight.to_string()
                };
                at.push(format!("{}{weight}", position.min(PG_MAX_POSITION)));
            }
        }
        position += 1;
    }
    let mut out = String::new();
    for (term, at) in positions {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&lexeme(&term));
        out.push(':');
        out.push_str(&at.join(","));
    }
    out
}

/// Writes documents into `index`: their text for snippets and, on Postgres, their `tsvector`;
/// on SQLite their terms go into the FTS5 table, keyed by the document's id.
async fn write(db: &impl ConnectionTrait, index: &Index, docs: &[Doc]) -> Result<()> {
    let backend = db.get_database_backend();
    let postgres = backend == DbBackend::Postgres;
    let mut columns: Vec<&str> = vec![index.owner];
    columns.extend(index.fields.iter().map(|(name, _)| *name));
    if postgres {
        columns.push("document");
    }
    for chunk in docs.chunks(MAX_PARAMS / columns.len()) {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(index.docs))
            .columns(columns.iter().map(|c| Alias::new(*c)));
        for doc in chunk {
            let mut values: Vec<SimpleExpr> = vec![Expr::val(doc.owner)];
            values.extend(doc.fields.iter().map(|f| Expr::val(f.as_str())));
            if postgres {
                values
                    .push(Expr::val(tsvector(index, &doc.fields)).cast_as(Alias::new("tsvector")));
            }
            insert.values_panic(values);
        }
        db.execute(&insert).await?;
    }
    if postgres || docs.is_empty() {
        return Ok(());
    }
    // SQLite: the documents' ids, then their terms into the full-text table.
    let mut ids: HashMap<Uuid, i64> = HashMap::new();
    for chunk in docs.chunks(LOOKUP_CHUNK) {
        let select = Query::select()
            .columns([Alias::new("id"), Alias::new(index.owner)])
            .from(Alias::new(index.docs))
            .and_where(Expr::col(Alias::new(index.owner)).is_in(chunk.iter().map(|d| d.owner)))
            .to_owned();
        for row in db.query_all(&select).await? {
            ids.insert(row.try_get("", index.owner)?, row.try_get("", "id")?);
        }
    }
    let width = index.fields.len() + 1;
    for chunk in docs.chunks(MAX_PARAMS / width) {
        let mut insert = Query::insert();
        insert.into_table(Alias::new(index.fts)).columns(
            std::iter::once(Alias::new("rowid"))
                .chain(index.fields.iter().map(|(name, _)| Alias::new(*name))),
        );
        for doc in chunk {
            let id = ids.get(&doc.owner).copied().ok_or_else(|| {
                anyhow::anyhow!("the search document of {} was not written", doc.owner)
            })?;
            let mut values: Vec<SimpleExpr> = vec![Expr::val(id)];
            values.extend(doc.fields.iter().map(|f| Expr::val(text::terms(f))));
            insert.values_panic(values);
        }
        db.execute(&insert).await?;
    }
    Ok(())
}
