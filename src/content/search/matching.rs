//! A search as SQL: join the search index to a list, keep what matches, rank it.
//!
//! SQLite ranks with FTS5's BM25 (lower is better, so negated here); Postgres with
//! `ts_rank_cd` (cover density: matches that occur often and close together, in heavily
//! weighted fields, rank higher) over the weighted `tsvector`. Either way a higher rank is a
//! better match, computed the same on every call, so it can be a keyset cursor.

use entity::{article, article_search_doc, quote, quote_search_doc};
use sea_orm::{
    DbBackend, EntityTrait, QueryFilter, QuerySelect, QueryTrait, RelationTrait, Select,
    sea_query::{Alias, Expr, JoinType, SimpleExpr},
};

use super::SearchQuery;

/// Column weights for BM25 over `article_search` (title, summary, key points, quotes, tags,
/// body): a word in the title says more than one in the body.
const ARTICLE_WEIGHTS: &str = "10.0, 5.0, 4.0, 3.0, 3.0, 1.0";
/// Column weights over `quote_search` (text, context, speaker).
const QUOTE_WEIGHTS: &str = "4.0, 1.0, 4.0";

/// What a search adds to a list of `E`: the index joined, the match kept, and the rank.
fn matching<E: EntityTrait>(
    mut select: Select<E>,
    backend: DbBackend,
    query: &SearchQuery,
    fts: &str,
    docs: &str,
    weights: &str,
) -> (Select<E>, SimpleExpr) {
    // Placeholders are the backend's own: `$1` on Postgres, `?` on SQLite.
    match backend {
        DbBackend::Postgres => {
            let tsquery = "websearch_to_tsquery('english', $1)";
            let filter = Expr::cust_with_values(
                format!("{docs}.document @@ {tsquery}"),
                [query.websearch()],
            );
            let rank = Expr::cust_with_values(
                format!("ts_rank_cd({docs}.document, {tsquery})::float8"),
                [query.websearch()],
            );
            (select.filter(filter), rank)
        }
        _ => {
            QueryTrait::query(&mut select).join(
                JoinType::InnerJoin,
                Alias::new(fts),
                Expr::cust(format!("{fts}.rowid = {docs}.id")),
            );
            let filter = Expr::cust_with_values(format!("{fts} MATCH ?"), [query.fts5()]);
            let rank = Expr::cust(format!("-bm25({fts}, {weights})"));
            (select.filter(filter), rank)
        }
    }
}

/// Articles in `select` that match `query`, and their relevance.
pub fn articles(
    select: Select<article::Entity>,
    backend: DbBackend,
    query: &SearchQuery,
) -> (Select<article::Entity>, SimpleExpr) {
    let select = select.join(
        JoinType::InnerJoin,
        article_search_doc::Relation::Article.def().rev(),
    );
    matching(
        select,
        backend,
        query,
        "article_search",
        "article_search_docs",
        ARTICLE_WEIGHTS,
    )
}

/// Quotes in `select` that match `query`, and their relevance.
pub fn quotes(
    select: Select<quote::Entity>,
    backend: DbBackend,
    query: &SearchQuery,
) -> (Select<quote::Entity>, SimpleExpr) {
    let select = select.join(
        JoinType::InnerJoin,
        quote_search_doc::Relation::Quote.def().rev(),
    );
    matching(
        select,
        backend,
        query,
        "quote_search",
        "quote_search_docs",
        QUOTE_WEIGHTS,
    )
}
