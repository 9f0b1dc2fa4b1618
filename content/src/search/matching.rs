//! A search as SQL: join the search index to a list, keep what matches, rank it.
//!
//! SQLite ranks with FTS5's BM25 (lower is better, so negated here); Postgres with
//! `ts_rank_cd` (cover density: matches that occur often and close together, in heavily
//! weighted fields, rank higher) over the weighted `tsvector`. Either way a higher rank is a
//! better match, computed the same on every call, so it can be a keyset cursor.

use entity::{article, quote};
use sea_orm::{
    DbBackend, EntityTrait, QueryFilter, QueryTrait, Select,
    sea_query::{Alias, Expr, JoinType, SimpleExpr},
};

use super::SearchQuery;

/// Column weights for BM25 over `article_search` (title, summary, key points, quotes, tags,
/// body): a word in the title says more than one in the body.
const ARTICLE_WEIGHTS: &str = "10.0, 5.0, 4.0, 3.0, 3.0, 1.0";
/// Column weights over `quote_search` (text, context, speaker).
const QUOTE_WEIGHTS: &str = "4.0, 1.0, 4.0";

/// The full-text table, document table and owner column of the articles' index.
pub(super) const ARTICLE_INDEX: (&str, &str, &str) =
    ("article_search", "article_search_docs", "article_id");
/// The same for the quotes' index.
const QUOTE_INDEX: (&str, &str, &str) = ("quote_search", "quote_search_docs", "quote_id");

/// The condition that a row of `docs` matches `query`. On SQLite, the FTS5 table `fts` must be
/// in the FROM clause too (the condition ties its rows to the documents).
/// Placeholders are the backend's own: `$1` on Postgres, `?` on SQLite.
pub(super) fn matches(
    backend: DbBackend,
    query: &SearchQuery,
    fts: &str,
    docs: &str,
) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => {
            Expr::cust_with_values(format!("{docs}.document @@ {TSQUERY}"), [query.websearch()])
        }
        _ => Expr::cust_with_values(
            format!("{docs}.id = {fts}.rowid AND {fts} MATCH ?"),
            [query.fts5()],
        ),
    }
}

/// The Postgres query of a search's text, bound as `$1`.
pub(super) const TSQUERY: &str = "websearch_to_tsquery('english', $1)";

/// What a search adds to a list of `E`: the index joined, the match kept, and the rank.
/// `owner` is the documents' column holding the id of the `E` they index. Call it before
/// adding other joins: on SQLite it rewrites the FROM clause.
fn matching<E: EntityTrait>(
    mut select: Select<E>,
    backend: DbBackend,
    query: &SearchQuery,
    (fts, docs, owner): (&str, &str, &str),
    weights: &str,
) -> (Select<E>, SimpleExpr) {
    let table = E::default().table_name().to_owned();
    let owned = Expr::cust(format!("{docs}.{owner} = {table}.id"));
    let filter = matches(backend, query, fts, docs);
    match backend {
        DbBackend::Postgres => {
            let rank = Expr::cust_with_values(
                format!("ts_rank_cd({docs}.document, {TSQUERY})::float8"),
                [query.websearch()],
            );
            QueryTrait::query(&mut select).join(JoinType::InnerJoin, Alias::new(docs), owned);
            (select.filter(filter), rank)
        }
        _ => {
            // The full-text index must drive the join: SQLite would otherwise walk the
            // listed table by its own indexes and run the full-text query once per row
            // (seconds instead of milliseconds at 100,000 articles). A CROSS JOIN fixes the
            // order: index, then documents, then the listed rows by primary key.
            QueryTrait::query(&mut select)
                .from_clear()
                .from(Alias::new(fts))
                .cross_join(Alias::new(docs))
                .cross_join(Alias::new(&table));
            let rank = Expr::cust(format!("-bm25({fts}, {weights})"));
            (select.filter(owned).filter(filter), rank)
        }
    }
}

/// Articles in `select` that match `query`, and their relevance.
pub fn articles(
    select: Select<article::Entity>,
    backend: DbBackend,
    query: &SearchQuery,
) -> (Select<article::Entity>, SimpleExpr) {
    matching(select, backend, query, ARTICLE_INDEX, ARTICLE_WEIGHTS)
}

/// Quotes in `select` that match `query`, and their relevance.
pub fn quotes(
    select: Select<quote::Entity>,
    backend: DbBackend,
    query: &SearchQuery,
) -> (Select<quote::Entity>, SimpleExpr) {
    matching(select, backend, query, QUOTE_INDEX, QUOTE_WEIGHTS)
}
