//! Full-text search over articles and quotes: what a reader types, made into a query each
//! backend runs safely (SQLite FTS5, Postgres `tsvector`), ranked by relevance.
//!
//! Any text is a valid search: words are letters and digits, everything else separates them,
//! so operators, quotes, parentheses, `*`, `:` or SQL in the text are never syntax. A search
//! matches documents that contain every word (in any form: "maintainers" finds
//! "maintainer"); text in double quotes is a phrase. Common English words ("the", "what",
//! "about") are left out, as Postgres's English dictionary does, so both backends agree.

pub mod index;
pub mod matching;
pub mod snippet;

use super::{Error, Result};

/// Longest search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 500;
/// Most words and phrases in one search.
pub const MAX_TERMS: usize = 32;

/// One part of a search: a word, or words that must appear together in order.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    Word(String),
    Phrase(Vec<String>),
}

/// A parsed search: every term must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<Term>,
}

/// Lowercase runs of letters and digits.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

impl SearchQuery {
    /// Parses what a reader typed; `field` names the argument in errors.
    pub fn parse(field: &str, text: &str) -> Result<Self> {
        let length = text.chars().count();
        if length > MAX_SEARCH_CHARS {
            return Err(Error::invalid(
                field,
                format!("is {length} characters long; at most {MAX_SEARCH_CHARS} are searched"),
            ));
        }
        let mut terms: Vec<Term> = Vec::new();
        let segments: Vec<&str> = text.split('"').collect();
        // Segments at odd positions were between quotes; an unbalanced last quote opens no
        // phrase.
        let balanced = segments.len() % 2 == 1;
        for (i, segment) in segments.iter().enumerate() {
            let quoted = i % 2 == 1 && (balanced || i + 1 < segments.len());
            let mut found: Vec<String> = words(segment).collect();
            if quoted && found.len() > 1 {
                if found.iter().any(|w| !is_stopword(w)) {
                    terms.push(Term::Phrase(found));
                }
                continue;
            }
            found.retain(|w| !is_stopword(w));
            terms.extend(found.into_iter().map(Term::Word));
        }
        let mut seen = Vec::new();
        terms.retain(|t| {
            let new = !seen.contains(t);
            seen.push(t.clone());
            new
        });
        if terms.is_empty() {
            return Err(Error::invalid(
                field,
                "has no words to search for (common words such as \"the\" are not searched)",
            ));
        }
        if terms.len() > MAX_TERMS {
            return Err(Error::invalid(
                field,
                format!(
                    "has {} words and phrases; at most {MAX_TERMS} are searched",
                    terms.len()
                ),
            ));
        }
        Ok(Self { terms })
    }

    /// The FTS5 query: each term a quoted string, all of them required. Terms hold only
    /// letters and digits, so nothing in them is FTS5 syntax.
    pub fn fts5(&self) -> String {
        self.terms
            .iter()
            .map(|t| match t {
                Term::Word(w) => format!("\"{w}\""),
                Term::Phrase(ws) => format!("\"{}\"", ws.join(" ")),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Text for Postgres's `websearch_to_tsquery`, which never fails on any input: words and
    /// quoted phrases, all required. "or" and a leading "-" would be operators there; neither
    /// can occur ("or" is a stopword, "-" separates words).
    pub fn websearch(&self) -> String {
        self.fts5()
    }
}

/// Postgres's English stopwords (snowball's list), sorted.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "did",
    "do",
    "does",
    "doing",
    "don",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "s",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "t",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn fts(text: &str) -> String {
        SearchQuery::parse("search", text).unwrap().fts5()
    }

    fn refused(text: &str) -> String {
        match SearchQuery::parse("search", text) {
            Err(Error::Invalid { field, message }) => format!("{field}: {message}"),
            other => panic!("{text:?} gave {other:?}"),
        }
    }

    #[test]
    fn stopwords_are_sorted_for_binary_search() {
        let mut sorted = STOPWORDS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, STOPWORDS);
    }

    #[test]
    fn words_and_phrases() {
        assert_eq!(
            fts("What did Hellwig say about the DMA API?"),
            r#""hellwig" "say" "dma" "api""#
        );
        assert_eq!(
            fts(r#"rust "in the kernel" Rust"#),
            r#""rust" "in the kernel""#
        );
        assert_eq!(fts("Kroah-Hartman"), r#""kroah" "hartman""#);
        assert_eq!(fts("Übermaß café"), r#""übermaß" "café""#);
    }

    #[test]
    fn syntax_is_only_separation() {
        assert_eq!(
            fts(r#"title:rust* AND (kernel OR "linux) NEAR/2 -c'; DROP TABLE articles;--"#),
            r#""title" "rust" "kernel" "linux" "near" "2" "c" "drop" "table" "articles""#
        );
        assert_eq!(fts(r#"""rust"#), r#""rust""#);
        assert_eq!(fts(r#"" kernel ""#), r#""kernel""#);
    }

    #[test]
    fn nothing_to_search_and_too_much_are_refused() {
        assert_eq!(
            refused(""),
            "search: has no words to search for (common words such as \"the\" are not searched)"
        );
        assert!(refused("  *** ()").contains("no words"));
        assert!(refused("the of and").contains("no words"));
        assert_eq!(
            refused(&"a".repeat(501)),
            "search: is 501 characters long; at most 500 are searched"
        );
        let many: Vec<String> = (0..33).map(|i| format!("w{i}")).collect();
        assert_eq!(
            refused(&many.join(" ")),
            "search: has 33 words and phrases; at most 32 are searched"
        );
    }
}
