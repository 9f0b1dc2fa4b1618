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
pub mod ranked;
pub mod snippet;
pub mod text;

use super::{Error, Result};
use text::{stem, unstemmed, words};

/// Longest search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 500;
/// Most words and phrases in one search.
pub const MAX_TERMS: usize = 32;
/// Shortest last word matched as the start of words in a search as you type; a shorter one
/// is matched as a whole word.
pub const MIN_PREFIX_CHARS: usize = 2;

/// What one word of a search matches: a term, or any term starting with one of the forms of
/// a word still being typed.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Term(String),
    /// The word as typed (folded) and its stem, when they differ: "maintaine" finds
    /// "maintainers", whose term is "maintain".
    Prefix(Vec<String>),
}

/// One part of a search: a word, or words that must appear together in order.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    Word(Piece),
    Phrase(Vec<Piece>),
}

/// A parsed search: every term must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<Term>,
}

fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

/// The pieces a word of a search is made into.
fn piece(folded: &str, prefix: bool) -> Piece {
    let term = stem(folded);
    if !prefix {
        return Piece::Term(term);
    }
    let typed = unstemmed(folded);
    let mut forms = vec![typed];
    if !forms.contains(&term) {
        forms.push(term);
    }
    Piece::Prefix(forms)
}

impl SearchQuery {
    /// Parses what a reader typed; `field` names the argument in errors. With `prefix`, the
    /// last word also matches as the start of a word (a search as the reader types).
    pub fn parse(field: &str, text: &str, prefix: bool) -> Result<Self> {
        let length = text.chars().count();
        if length > MAX_SEARCH_CHARS {
            return Err(Error::invalid(
                field,
                format!("is {length} characters long; at most {MAX_SEARCH_CHARS} are searched"),
            ));
        }
        // Groups of folded words: a quoted phrase, or words written together ("COVID-19").
        let mut groups: Vec<Vec<String>> = Vec::new();
        let segments: Vec<&str> = text.split('"').collect();
        // Segments at odd positions were between quotes; an unbalanced last quote opens no
        // phrase.
        let balanced = segments.len() % 2 == 1;
        for (i, segment) in segments.iter().enumerate() {
            let quoted = i % 2 == 1 && (balanced || i + 1 < segments.len());
            let first = groups.len();
            for word in words(segment) {
                let folded = word.folded();
                if folded.is_empty() {
                    continue;
                }
                let joins = groups.len() > first && (quoted || word.attached);
                match groups.last_mut() {
                    Some(group) if joins => group.push(folded),
                    _ => groups.push(vec![folded]),
                }
            }
        }
        let last = groups.len().saturating_sub(1);
        let mut terms: Vec<Term> = Vec::new();
        for (i, group) in groups.iter().enumerate() {
            let typing = |j: usize| {
                prefix
                    && i == last
                    && j + 1 == group.len()
                    && group[j].chars().count() >= MIN_PREFIX_CHARS
            };
            match group.as_slice() {
                [word] if !typing(0) && is_stopword(word) => {}
                [word] => terms.push(Term::Word(piece(word, typing(0)))),
                words => terms.push(Term::Phrase(
                    words
                        .iter()
                        .enumerate()
                        .map(|(j, w)| piece(w, typing(j)))
                        .collect(),
                )),
            }
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

    /// The FTS5 query: each word or phrase a quoted string (a prefix followed by `*`), all of
    /// them required. Terms hold only letters, digits and marks, so nothing in them is FTS5
    /// syntax.
    pub fn fts5(&self) -> String {
        let alternatives = |words: &[String], last: &Piece| -> String {
            let phrase = |end: &str, star: &str| {
                let mut all = words.to_vec();
                all.push(end.to_owned());
                format!("\"{}\"{star}", all.join(" "))
            };
            match last {
                Piece::Term(t) => phrase(t, ""),
                Piece::Prefix(forms) => {
                    let each: Vec<String> = forms.iter().map(|f| phrase(f, "*")).collect();
                    match each.as_slice() {
                        [one] => one.clone(),
                        _ => format!("({})", each.join(" OR ")),
                    }
                }
            }
        };
        self.terms
            .iter()
            .map(|t| match t {
                Term::Word(p) => alternatives(&[], p),
                Term::Phrase(pieces) => {
                    let (last, before) = pieces.split_last().expect("a phrase has words");
                    alternatives(&terms_of(before), last)
                }
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// The Postgres `tsquery` (its text form, cast by the statement): words `&`-ed, a phrase's
    /// words joined by `<->`, a prefix marked `:*`.
    pub fn tsquery(&self) -> String {
        let piece = |p: &Piece| match p {
            Piece::Term(t) => lexeme(t),
            Piece::Prefix(forms) => {
                let each: Vec<String> = forms.iter().map(|f| format!("{}:*", lexeme(f))).collect();
                match each.as_slice() {
                    [one] => one.clone(),
                    _ => format!("({})", each.join(" | ")),
                }
            }
        };
        self.terms
            .iter()
            .map(|t| match t {
                Term::Word(p) => piece(p),
                Term::Phrase(pieces) => {
                    let each: Vec<String> = pieces.iter().map(piece).collect();
                    format!("({})", each.join(" <-> "))
                }
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }

    /// Whether a word of a text, given in its folded form, is one this search looks for (the
    /// words a snippet marks). Most words are told apart without stemming them: a stem keeps
    /// all but at most the last character of the start of its word.
    pub fn wants_word(&self, folded: &str) -> bool {
        let plain = unstemmed(folded);
        let maybe = self.pieces().any(|s| {
            let cut = s.char_indices().last().map_or(0, |(i, _)| i);
            plain.starts_with(&s[..cut])
        });
        maybe && self.wants(&stem(folded), folded)
    }

    /// Every term and prefix of the search.
    fn pieces(&self) -> impl Iterator<Item = &str> {
        self.terms
            .iter()
            .flat_map(|t| match t {
                Term::Word(p) => std::slice::from_ref(p),
                Term::Phrase(pieces) => pieces.as_slice(),
            })
            .flat_map(|p| match p {
                Piece::Term(t) => std::slice::from_ref(t),
                Piece::Prefix(forms) => forms.as_slice(),
            })
            .map(String::as_str)
    }

    /// Whether a word of a text, given as its term and its folded form, is one this search
    /// looks for.
    fn wants(&self, term: &str, folded: &str) -> bool {
        let hit = |p: &Piece| match p {
            Piece::Term(t) => t == term,
            Piece::Prefix(forms) => forms
                .iter()
                .any(|f| term.starts_with(f.as_str()) || unstemmed(folded).starts_with(f.as_str())),
        };
        self.terms.iter().any(|t| match t {
            Term::Word(p) => hit(p),
            Term::Phrase(pieces) => pieces.iter().any(hit),
        })
    }
}

/// The terms of pieces that are all terms (a phrase's words before its last).
fn terms_of(pieces: &[Piece]) -> Vec<String> {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Term(t) => t.clone(),
            // Only a phrase's last word can be a prefix.
            Piece::Prefix(forms) => forms[0].clone(),
        })
        .collect()
}

/// A term as a `tsquery` or `tsvector` lexeme: quoted, with quotes and backslashes escaped.
pub(crate) fn lexeme(term: &str) -> String {
    format!("'{}'", term.replace('\\', "\\\\").replace('\'', "''"))
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
        SearchQuery::parse("search", text, false).unwrap().fts5()
    }

    fn refused(text: &str) -> String {
        match SearchQuery::parse("search", text, false) {
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

    fn typed(text: &str) -> (String, String) {
        let q = SearchQuery::parse("search", text, true).unwrap();
        (q.fts5(), q.tsquery())
    }

    #[test]
    fn words_and_phrases() {
        assert_eq!(
            fts("What did Hellwig say about the DMA API?"),
            r#""hellwig" AND "say" AND "dma" AND "api""#
        );
        assert_eq!(
            fts(r#"rust "in the kernel" Rust"#),
            r#""rust" AND "in the kernel""#
        );
        // Words written together are a phrase.
        assert_eq!(fts("Kroah-Hartman"), r#""kroah hartman""#);
        assert_eq!(fts("COVID-19 H.264"), r#""covid 19" AND "h 264""#);
        assert_eq!(
            fts("Übermaß café maintainers"),
            r#""ubermass" AND "cafe" AND "maintain""#
        );
        let q = SearchQuery::parse("search", r#"kernel "in the kernel" GPT-4"#, false).unwrap();
        assert_eq!(
            q.tsquery(),
            "'kernel' & ('in' <-> 'the' <-> 'kernel') & ('gpt' <-> '4')"
        );
    }

    #[test]
    fn the_last_word_is_a_prefix_as_the_reader_types() {
        assert_eq!(
            typed("kroah-har"),
            (
                r#""kroah har"*"#.to_owned(),
                "('kroah' <-> 'har':*)".to_owned()
            )
        );
        // A prefix past a word's stem still finds it: "maintainers" is indexed as "maintain".
        assert_eq!(
            typed("rust maintaine"),
            (
                r#""rust" AND ("maintaine"* OR "maintain"*)"#.to_owned(),
                "'rust' & ('maintaine':* | 'maintain':*)".to_owned()
            )
        );
        // A stopword being typed may be the start of another word.
        assert_eq!(typed("kernel th").0, r#""kernel" AND "th"*"#);
        // One character is a whole word (here a stopword, so not searched).
        assert_eq!(typed("kernel a").0, r#""kernel""#);
        assert_eq!(typed("kernel x").0, r#""kernel" AND "x""#);
        // Only the last word.
        assert_eq!(typed("ker linux").0, r#""ker" AND "linux"*"#);
    }

    #[test]
    fn syntax_is_only_separation() {
        assert_eq!(
            fts(r#"title:rust* AND (kernel OR "linux) NEAR/2 -c'; DROP TABLE articles;--"#),
            r#""titl rust" AND "kernel" AND "linux" AND "near 2" AND "c" AND "drop" AND "tabl" AND "articl""#
        );
        assert_eq!(fts(r#"""rust"#), r#""rust""#);
        assert_eq!(fts(r#"" kernel ""#), r#""kernel""#);
        let q = SearchQuery::parse("search", r"it's 'a' \ & | ! <-> :*", false).unwrap();
        assert_eq!(q.tsquery(), "'it'");
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
