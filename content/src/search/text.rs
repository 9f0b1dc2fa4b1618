//! Text as search sees it: one tokenizer for what is indexed, what is searched for and what a
//! snippet marks, so SQLite and Postgres find the same documents. The databases only store and
//! look up the terms made here; neither tokenizes text of its own.
//!
//! A *word* is a run of letters and digits, with the marks that belong to them; an apostrophe
//! between two letters stays inside its word ("O'Brien", "don't"). Anything else separates
//! words: "COVID-19" is two words, "H.264" too. A Han, Hiragana or Katakana character is a
//! word of its own, since those scripts do not separate words with spaces.
//!
//! A word's *term*, what the index holds, is the word lowercased, with the diacritics of Latin,
//! Greek and Cyrillic letters removed ("Zürich" is "zurich", "Dvořák" is "dvorak"; "ß" is "ss",
//! "ł" is "l"), compatibility forms folded ("ﬁ" is "fi", full-width letters are letters), and,
//! for a word of letters, reduced to its stem by Snowball's English algorithm, the one
//! Postgres's English dictionary uses ("maintainers" is "maintain", "Torvalds's" is
//! "torvald"). Apostrophes are then dropped ("O'Brien" is "obrien").

use std::{collections::HashMap, sync::LazyLock};

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// Longest term, in characters; a longer word is cut (in the index and in searches alike).
const MAX_TERM_CHARS: usize = 64;

static ENGLISH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// One word of a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word<'a> {
    /// The word as written.
    pub text: &'a str,
    /// Where it starts and ends in the text, in bytes.
    pub start: usize,
    pub end: usize,
    /// Whether it follows the word before it with no space between them ("19" in
    /// "COVID-19"): in a search, such words are a phrase.
    pub attached: bool,
}

impl Word<'_> {
    /// The word lowercased and without diacritics, not stemmed.
    pub fn folded(&self) -> String {
        fold(self.text)
    }

    /// What the index holds for this word.
    pub fn term(&self) -> String {
        stem(&self.folded())
    }
}

/// The words of `text`, in order.
pub fn words(text: &str) -> Words<'_> {
    Words {
        text,
        pos: 0,
        first: true,
    }
}

/// The terms of `text`, in order, separated by single spaces: what an index column holds.
pub fn terms(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // A text repeats its words: each is stemmed once (stemming was a quarter of an import).
    let mut known: HashMap<&str, String> = HashMap::new();
    for word in words(text) {
        let term = known.entry(word.text).or_insert_with(|| word.term());
        if term.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(term);
    }
    out
}

pub struct Words<'a> {
    text: &'a str,
    pos: usize,
    first: bool,
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}')
}

/// Han, Hiragana and Katakana: scripts written without spaces, searched character by
/// character.
fn is_ideograph(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF
        | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0xFF66..=0xFF9F
        | 0x20000..=0x3FFFF)
}

impl<'a> Iterator for Words<'a> {
    type Item = Word<'a>;

    fn next(&mut self) -> Option<Word<'a>> {
        let rest = &self.text[self.pos..];
        let mut spaced = self.first;
        let (offset, first) = rest.char_indices().find(|&(_, c)| {
            if c.is_whitespace() {
                spaced = true;
            }
            c.is_alphanumeric()
        })?;
        let start = self.pos + offset;
        let mut end = start + first.len_utf8();
        if !is_ideograph(first) {
            let mut chars = self.text[end..].chars().peekable();
            while let Some(c) = chars.next() {
                let inside = (c.is_alphanumeric() && !is_ideograph(c))
                    || is_combining_mark(c)
                    || (is_apostrophe(c)
                        && chars
                            .peek()
                            .is_some_and(|&n| n.is_alphanumeric() && !is_ideograph(n)));
                if !inside {
                    break;
                }
                end += c.len_utf8();
            }
        }
        self.pos = end;
        self.first = false;
        Some(Word {
            text: &self.text[start..end],
            start,
            end,
            attached: !spaced,
        })
    }
}

/// Letters with no decomposition that still carry a diacritic or stand for two letters.
fn fold_letter(c: char, out: &mut String) {
    match c {
        'ß' => out.push_str("ss"),
        'æ' => out.push_str("ae"),
        'œ' => out.push_str("oe"),
        'þ' => out.push_str("th"),
        'ø' => out.push('o'),
        'đ' | 'ð' => out.push('d'),
        'ł' => out.push('l'),
        'ı' => out.push('i'),
        'ħ' => out.push('h'),
        'ŧ' => out.push('t'),
        'ŀ' => out.push('l'),
        'ς' => out.push('σ'),
        '\u{2019}' | '\u{02BC}' => out.push('\''),
        c => out.push(c),
    }
}

/// A word lowercased, without diacritics on Latin, Greek and Cyrillic letters, in its
/// compatibility form; only letters, digits, the marks of other scripts and apostrophes stay.
pub fn fold(word: &str) -> String {
    if word.is_ascii() {
        // Most words: nothing to decompose.
        return word
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '\'')
            .map(|c| c.to_ascii_lowercase())
            .collect();
    }
    let mut out = String::with_capacity(word.len());
    // Whether the last letter kept is Latin, Greek or Cyrillic, whose marks are diacritics.
    let mut european = false;
    for c in word.nfkd() {
        if is_combining_mark(c) {
            if !european {
                out.push(c);
            }
            continue;
        }
        if !(c.is_alphanumeric() || is_apostrophe(c)) {
            continue;
        }
        european = (c as u32) < 0x0530;
        for lower in c.to_lowercase() {
            fold_letter(lower, &mut out);
        }
    }
    out
}

/// A folded word's term: stemmed when it is made of letters, then as [`unstemmed`].
pub fn stem(folded: &str) -> String {
    if folded.chars().all(|c| c.is_alphabetic() || c == '\'') {
        unstemmed(&ENGLISH.stem(folded))
    } else {
        unstemmed(folded)
    }
}

/// A folded word as a term without stemming: without apostrophes, at most
/// [`MAX_TERM_CHARS`] long.
pub fn unstemmed(folded: &str) -> String {
    let mut term: String = folded.chars().filter(|&c| c != '\'').collect();
    if let Some((cut, _)) = term.char_indices().nth(MAX_TERM_CHARS) {
        term.truncate(cut);
    }
    term
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<(&str, bool)> {
        words(text).map(|w| (w.text, w.attached)).collect()
    }

    #[test]
    fn words_and_what_separates_them() {
        assert_eq!(
            split("COVID-19, H.264 and O'Brien's don't"),
            [
                ("COVID", false),
                ("19", true),
                ("H", false),
                ("264", true),
                ("and", false),
                ("O'Brien's", false),
                ("don't", false)
            ]
        );
        assert_eq!(
            split("'quoted' rock'n'roll -"),
            [("quoted", false), ("rock'n'roll", false)]
        );
        assert_eq!(
            split("東京で rust"),
            [("東", false), ("京", true), ("で", true), ("rust", false)]
        );
        let text = "Zürich — Café";
        let w: Vec<_> = words(text).map(|w| &text[w.start..w.end]).collect();
        assert_eq!(w, ["Zürich", "Café"]);
    }

    #[test]
    fn terms_fold_case_diacritics_and_forms() {
        assert_eq!(
            terms("Café Zürich Dvořák Łódź Straße"),
            "cafe zurich dvorak lodz strass"
        );
        assert_eq!(
            terms("ﬁnal ＡＢＣ Ελλάδα ΑΘΗΝΑΣ Москва"),
            "final abc ελλαδα αθηνασ москва"
        );
        assert_eq!(terms("हिन्दी"), "हिन्दी");
        assert_eq!(
            terms("Maintainers maintaining Torvalds's"),
            "maintain maintain torvald"
        );
        assert_eq!(terms("O'Brien GPT-4 tag-1"), "obrien gpt 4 tag 1");
    }

    #[test]
    fn long_words_are_cut() {
        let long = "x".repeat(100);
        assert_eq!(terms(&long).chars().count(), MAX_TERM_CHARS);
    }
}
