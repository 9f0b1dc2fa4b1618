//! Rules every piece of content obeys, whichever door it comes in by (import or API).
//! Each failure names the field at fault.

use chrono::Datelike;

use super::{Error, Result};

pub const MAX_SLUG: usize = 200;
pub const MAX_NAME: usize = 300;
pub const MAX_TITLE: usize = 500;
pub const MAX_URL: usize = 2048;
pub const MAX_SHORT_TEXT: usize = 5_000;
pub const MAX_QUOTE: usize = 10_000;
pub const MAX_BODY: usize = 1_000_000;
pub const MAX_LIST: usize = 200;

/// Lowercase `a-z0-9` words joined by single hyphens, at most 200 characters.
pub fn slug(field: &str, value: &str) -> Result<()> {
    let well_formed = !value.is_empty()
        && value.len() <= MAX_SLUG
        && value.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if well_formed {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!(
                "{value:?} is not a slug: use lowercase a-z and 0-9 words joined by single hyphens, at most {MAX_SLUG} characters"
            ),
        ))
    }
}

/// Non-blank text of at most `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    optional_text(field, Some(value), max)
}

/// Text of at most `max` characters, if given.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<()> {
    match value {
        Some(v) if v.chars().count() > max => Err(Error::invalid(
            field,
            format!("must be at most {max} characters"),
        )),
        _ => Ok(()),
    }
}

/// An absolute http(s) URL.
pub fn url(field: &str, value: &str) -> Result<()> {
    if value.len() > MAX_URL {
        return Err(Error::invalid(
            field,
            format!("must be at most {MAX_URL} characters"),
        ));
    }
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(()),
        Ok(_) => Err(Error::invalid(
            field,
            format!("{value:?} must be an http or https URL"),
        )),
        Err(e) => Err(Error::invalid(
            field,
            format!("{value:?} is not an absolute URL: {e}"),
        )),
    }
}

/// A copyright year: from the first copyright laws to next year.
pub fn year(field: &str, value: i32) -> Result<()> {
    let next_year = chrono::Utc::now().year() + 1;
    if (1700..=next_year).contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("{value} is not a year between 1700 and {next_year}"),
        ))
    }
}

/// A list of at most [`MAX_LIST`] entries.
pub fn list_len(field: &str, len: usize) -> Result<()> {
    if len > MAX_LIST {
        Err(Error::invalid(
            field,
            format!("must have at most {MAX_LIST} entries, has {len}"),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for ok in ["a", "rust", "linux-kernel", "llama3-2-3b-q4-k-m"] {
            assert!(slug("slug", ok).is_ok(), "{ok}");
        }
        let too_long = "a".repeat(201);
        for bad in [
            "",
            "A",
            "a--b",
            "-a",
            "a-",
            "a_b",
            "a b",
            "é",
            too_long.as_str(),
        ] {
            assert!(slug("slug", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert!(url("url", "https://example.com/a?b#c").is_ok());
        for bad in [
            "example.com",
            "/relative",
            "javascript:alert(1)",
            "ftp://example.com",
            "mailto:a@b.c",
        ] {
            assert!(url("url", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn texts_and_years() {
        assert!(text("title", "  ", 10).is_err());
        assert!(text("title", "abc", 2).is_err());
        assert!(text("title", "ab", 2).is_ok());
        assert!(year("year", 2025).is_ok());
        assert!(year("year", 99).is_err());
        assert!(year("year", 3000).is_err());
    }
}
