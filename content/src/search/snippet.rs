//! Snippets: the passage of an article that matched a search, its matching words marked.
//!
//! The database picks the passage and marks the words with two private-use characters, which
//! the index never holds (they are removed from indexed text); here the passage is escaped
//! as HTML and the markers become `<mark>` tags, so a snippet is safe to render as HTML.

use std::collections::HashMap;

use entity::article_search_doc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, QueryTrait,
    sea_query::{Alias, Expr},
};
use uuid::Uuid;

use super::{
    SearchQuery,
    matching::{ARTICLE_INDEX, TSQUERY, matches},
};
use crate::Result;

pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// Words around the match in a snippet.
const SNIPPET_WORDS: u32 = 24;

#[derive(FromQueryResult)]
struct Row {
    article_id: Uuid,
    snippet: Option<String>,
}

/// The snippet of each of the articles `ids` for `query`, by article id. An article the
/// query does not match has none.
pub async fn articles(
    db: &impl ConnectionTrait,
    query: &SearchQuery,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>> {
    let mut select = article_search_doc::Entity::find()
        .select_only()
        .column(article_search_doc::Column::ArticleId)
        .filter(article_search_doc::Column::ArticleId.is_in(ids.iter().copied()));
    let marks = [MARK_START.to_string(), MARK_END.to_string()];
    let backend = db.get_database_backend();
    let (fts, docs, _) = ARTICLE_INDEX;
    select = select.filter(matches(backend, query, fts, docs));
    select = match backend {
        DbBackend::Postgres => {
            let options = format!(
                "StartSel=\"{MARK_START}\", StopSel=\"{MARK_END}\", MaxFragments=2, \
                 MaxWords={SNIPPET_WORDS}, MinWords={}, FragmentDelimiter=\" … \"",
                SNIPPET_WORDS / 2
            );
            select.column_as(
                Expr::cust_with_values(
                    format!(
                        "ts_headline('english', concat_ws(E'\\n', title, summary, key_points, \
                         quotes, body), {TSQUERY}, $2)"
                    ),
                    [query.websearch(), options],
                ),
                "snippet",
            )
        }
        _ => {
            // The page's documents drive: the full-text query is then checked for each of
            // them by rowid, instead of listing every match to keep the page's.
            QueryTrait::query(&mut select).cross_join(Alias::new(fts));
            select.column_as(
                Expr::cust_with_values(
                    format!("snippet({fts}, -1, ?, ?, ' … ', {SNIPPET_WORDS})"),
                    marks,
                ),
                "snippet",
            )
        }
    };
    let rows = select.into_model::<Row>().all(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Some((r.article_id, to_html(&r.snippet?))))
        .collect())
}

/// A marked passage as an HTML fragment: escaped, whitespace collapsed, matches in `<mark>`.
pub fn to_html(marked: &str) -> String {
    let mut html = String::with_capacity(marked.len() + 32);
    let mut space = false;
    for c in marked.trim().chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space {
            html.push(' ');
            space = false;
        }
        match c {
            MARK_START => html.push_str("<mark>"),
            MARK_END => html.push_str("</mark>"),
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c => html.push(c),
        }
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_escaped_and_marked() {
        assert_eq!(
            to_html("  a <b>&\n\n \u{E000}Rust\u{E001}'s \"way\"  "),
            "a &lt;b&gt;&amp; <mark>Rust</mark>&#39;s &quot;way&quot;"
        );
    }
}
