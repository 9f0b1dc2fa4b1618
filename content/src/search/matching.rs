//! A search as a condition on a list: the index joined, only what matches kept. Lists in
//! another order than relevance, and counts, go this way; a list by relevance is ranked inside
//! the index first ([`super::ranked`]).
//!
//! SQLite matches with its FTS5 table, whose rows are the documents' ids; Postgres with the
//! documents' `tsvector` and its GIN index. Both hold the terms [`super::text`] made.

use entity::{article, quote};
use sea_orm::{
    DbBackend, EntityTrait, QueryFilter, QueryTrait, Select,
    sea_query::{Alias, Expr, JoinType, SimpleExpr},
};

use super::{
    SearchQuery,
    index::{ARTICLES, Index, QUOTES},
};

/// The condition that a row of the index's documents matches `query`. On SQLite, the FTS5
/// table must be in the FROM clause too (the condition ties its rows to the documents).
/// Placeholders are the backend's own: `$1` on Postgres, `?` on SQLite.
pub(super) fn matches(backend: DbBackend, query: &SearchQuery, index: &Index) -> SimpleExpr {
    let Index { fts, docs, .. } = index;
    match backend {
        DbBackend::Postgres => Expr::cust_with_values(
            format!("{docs}.document @@ CAST($1 AS tsquery)"),
            [query.tsquery()],
        ),
        _ => Expr::cust_with_values(
            format!("{docs}.id = {fts}.rowid AND {fts} MATCH ?"),
            [query.fts5()],
        ),
    }
}

/// What a search adds to a list of `E`: the index joined and the match kept. Call it before
/// adding other joins: on SQLite it rewrites the FROM clause.
fn matching<E: EntityTrait>(
    mut select: Select<E>,
    backend: DbBackend,
    query: &SearchQuery,
    index: &Index,
) -> Select<E> {
    let table = E::default().table_name().to_owned();
    let Index {
        fts, docs, owner, ..
    } = index;
    let owned = Expr::cust(format!("{docs}.{owner} = {table}.id"));
    let filter = matches(backend, query, index);
    match backend {
        DbBackend::Postgres => {
            QueryTrait::query(&mut select).join(JoinType::InnerJoin, Alias::new(*docs), owned);
            select.filter(filter)
        }
        _ => {
            // The full-text index must drive the join: SQLite would otherwise walk the
            // listed table by its own indexes and run the full-text query once per row
            // (seconds instead of milliseconds at 100,000 articles). A CROSS JOIN fixes the
            // order: index, then documents, then the listed rows by primary key.
            QueryTrait::query(&mut select)
                .from_clear()
                .from(Alias::new(*fts))
                .cross_join(Alias::new(*docs))
                .cross_join(Alias::new(&table));
            select.filter(owned).filter(filter)
        }
    }
}

/// Articles in `select` that match `query`.
pub fn articles(
    select: Select<article::Entity>,
    backend: DbBackend,
    query: &SearchQuery,
) -> Select<article::Entity> {
    matching(select, backend, query, &ARTICLES)
}

/// Quotes in `select` that match `query`.
pub fn quotes(
    select: Select<quote::Entity>,
    backend: DbBackend,
    query: &SearchQuery,
) -> Select<quote::Entity> {
    matching(select, backend, query, &QUOTES)
}
