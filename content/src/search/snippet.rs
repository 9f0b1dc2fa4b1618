//! Snippets: the passages of an article or a quote that matched a search, its words marked.
//!
//! The passages are found here, with the tokenizer that made the index ([`super::text`]), so
//! both backends give the same snippet. Each is escaped as HTML and its matching words are
//! put in `<mark>` tags, so a snippet is safe to render as HTML.

use std::collections::HashMap;

use sea_orm::{
    ConnectionTrait,
    sea_query::{Alias, Expr, ExprTrait, Query},
};
use uuid::Uuid;

use super::{
    SearchQuery,
    index::{ARTICLES, Index, QUOTES},
    text::words,
};
use crate::{Result, bundle::import::LOOKUP_CHUNK};

/// Markers of a match inside a passage, before it is HTML; the index never holds them (they
/// are removed from indexed text).
pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// Words in one passage of a snippet.
const SNIPPET_WORDS: usize = 24;
/// Words shown before the first match of a passage.
const LEAD_WORDS: usize = 4;
/// Most passages in a snippet.
const PASSAGES: usize = 2;

/// The snippets of the articles `ids` for `query`, by article id. An article the query does
/// not match has none.
pub async fn articles(
    db: &impl ConnectionTrait,
    query: &SearchQuery,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>> {
    snippets(db, query, &ARTICLES, ids).await
}

/// The snippets of the quotes `ids` for `query`, by quote id.
pub async fn quotes(
    db: &impl ConnectionTrait,
    query: &SearchQuery,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>> {
    snippets(db, query, &QUOTES, ids).await
}

/// Reads the documents of `ids` from `index` and makes their snippets from the text a
/// reader sees: an article's fields but its tags, one after the other; a quote as an article
/// shows it, "text — Speaker, context".
async fn snippets(
    db: &impl ConnectionTrait,
    query: &SearchQuery,
    index: &Index,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>> {
    let shown: Vec<&str> = index
        .fields
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| *name != "tags")
        .collect();
    let mut snippets = HashMap::new();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let select = Query::select()
            .column(Alias::new(index.owner))
            .columns(shown.iter().map(|c| Alias::new(*c)))
            .from(Alias::new(index.docs))
            .and_where(Expr::col(Alias::new(index.owner)).is_in(chunk.iter().copied()))
            .to_owned();
        for row in db.query_all(&select).await? {
            let owner: Uuid = row.try_get("", index.owner)?;
            let fields = shown
                .iter()
                .map(|column| row.try_get::<String>("", column))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let text = match (index.fts, fields.as_slice()) {
                (fts, [text, context, speaker]) if fts == QUOTES.fts && !context.is_empty() => {
                    format!("{text} — {speaker}, {context}")
                }
                (fts, [text, _, speaker]) if fts == QUOTES.fts => format!("{text} — {speaker}"),
                _ => fields
                    .iter()
                    .filter(|f| !f.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n"),
            };
            if let Some(snippet) = snippet(query, &text) {
                snippets.insert(owner, snippet);
            }
        }
    }
    Ok(snippets)
}

/// The snippet of `text` for `query`: up to two passages of [`SNIPPET_WORDS`] words with the
/// most matches, in the order they come, as HTML. None when nothing in `text` matches.
pub fn snippet(query: &SearchQuery, text: &str) -> Option<String> {
    let all: Vec<_> = words(text).collect();
    let hits: Vec<bool> = all.iter().map(|w| query.wants_word(&w.folded())).collect();
    if !hits.contains(&true) {
        return None;
    }
    // Each passage starts a few words before a match; the best has the most matches, the
    // earliest first among equals.
    let score = |start: usize| {
        hits[start..(start + SNIPPET_WORDS).min(hits.len())]
            .iter()
            .filter(|h| **h)
            .count()
    };
    let mut passages: Vec<usize> = Vec::new();
    for _ in 0..PASSAGES {
        let best = (0..hits.len())
            .filter(|&i| hits[i])
            // A few words before the match, and never fewer words than a passage holds.
            .map(|i| {
                i.saturating_sub(LEAD_WORDS)
                    .min(hits.len().saturating_sub(SNIPPET_WORDS))
            })
            .filter(|&s| {
                passages
                    .iter()
                    .all(|&p| s + SNIPPET_WORDS <= p || p + SNIPPET_WORDS <= s)
            })
            .max_by_key(|&s| (score(s), std::cmp::Reverse(s)));
        match best {
            Some(start) => passages.push(start),
            None => break,
        }
    }
    passages.sort_unstable();
    let mut marked = String::new();
    for (n, &start) in passages.iter().enumerate() {
        let end = (start + SNIPPET_WORDS).min(all.len()) - 1;
        if n > 0 {
            marked.push_str(" … ");
        } else if start > 0 {
            marked.push_str("… ");
        }
        let mut at = all[start].start;
        for i in start..=end {
            let word = &all[i];
            marked.push_str(&text[at..word.start]);
            if hits[i] {
                marked.push(MARK_START);
                marked.push_str(word.text);
                marked.push(MARK_END);
            } else {
                marked.push_str(word.text);
            }
            at = word.end;
        }
        if n + 1 == passages.len() && end + 1 < all.len() {
            marked.push_str(" …");
        }
    }
    Some(to_html(&marked))
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
