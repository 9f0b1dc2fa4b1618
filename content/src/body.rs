//! An article body: Markdown source, rendered as sanitized HTML or plain text.

use pulldown_cmark::{Event, Options, Parser, TagEnd, html};

/// Words per minute used for `readingTimeMinutes`: a common figure for adult readers of news.
const WORDS_PER_MINUTE: i32 = 200;

fn parser(markdown: &str) -> Parser<'_> {
    Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES,
    )
}

/// Markdown to HTML with anything unsafe removed (scripts, event handlers, `javascript:` URLs).
pub fn to_html(markdown: &str) -> String {
    let mut unsafe_html = String::with_capacity(markdown.len() * 5 / 4);
    html::push_html(&mut unsafe_html, parser(markdown));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .clean(&unsafe_html)
        .to_string()
}

/// The plain text of Markdown, piece by piece: the words a reader sees, and the whitespace
/// that separates blocks.
fn plain_pieces(markdown: &str, mut piece: impl FnMut(&str)) {
    for event in parser(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => piece(&t),
            Event::SoftBreak => piece(" "),
            Event::HardBreak => piece("\n"),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::BlockQuote(_) | TagEnd::CodeBlock,
            ) => piece("\n\n"),
            Event::End(TagEnd::Item | TagEnd::TableRow) => piece("\n"),
            Event::End(TagEnd::TableCell) => piece("\t"),
            _ => {}
        }
    }
}

/// Markdown to plain text: the words a reader sees, paragraphs separated by blank lines.
pub fn to_plain_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    plain_pieces(markdown, |piece| text.push_str(piece));
    text.truncate(text.trim_end().len());
    text
}

/// Words in the body as a reader sees it: the whitespace-separated words of
/// [`to_plain_text`], counted without building it.
pub fn word_count(markdown: &str) -> i32 {
    let (mut words, mut in_word) = (0usize, false);
    plain_pieces(markdown, |piece| {
        for c in piece.chars() {
            let starts = !c.is_whitespace() && !in_word;
            words += usize::from(starts);
            in_word = !c.is_whitespace();
        }
    });
    i32::try_from(words).unwrap_or(i32::MAX)
}

/// Minutes to read `words` words, rounded up; zero only for an empty body.
pub fn reading_time_minutes(words: i32) -> i32 {
    (words + WORDS_PER_MINUTE - 1) / WORDS_PER_MINUTE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_drops_scripts_and_javascript_links() {
        let html = to_html(
            "Hi <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
    }

    #[test]
    fn plain_text_keeps_words_and_paragraphs() {
        assert_eq!(
            to_plain_text("# Title\n\nSome *bold* `code`.\n\n- a\n- b"),
            "Title\n\nSome bold code.\n\na\nb"
        );
    }

    #[test]
    fn word_count_counts_the_words_of_the_plain_text() {
        for markdown in [
            "",
            "one",
            "  lead and trail  ",
            "# Title\n\nSome *bold* `code`.\n\n- a\n- b",
            "a|b\n-|-\nc|d",
            "line one\nline two  \nhard break",
            "> quoted\n> text\n\n```\ncode block\n```",
            "tab\tseparated\u{00a0}nbsp\u{2003}em",
            "[link](https://example.com) ![image](x.png)",
        ] {
            let expected = to_plain_text(markdown).split_whitespace().count();
            assert_eq!(word_count(markdown) as usize, expected, "{markdown:?}");
        }
    }

    #[test]
    fn counts_words_and_minutes() {
        assert_eq!(word_count("one two\n\n**three**"), 3);
        assert_eq!(reading_time_minutes(0), 0);
        assert_eq!(reading_time_minutes(1), 1);
        assert_eq!(reading_time_minutes(200), 1);
        assert_eq!(reading_time_minutes(201), 2);
    }
}
