//! The bundle: content-api's import (and export) format, a JSON document holding publications,
//! authors, speakers and articles that refer to each other by slug. `fixtures/demo.json` is one.

mod export;
pub(crate) mod import;

pub(crate) use export::article_forms;
pub use export::{export, export_snapshot};
pub use import::{Counts, ImportReport, import};
pub(crate) use import::{content_hash, import_in, insert_all};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ArticleStatus, AuthorKind, Error, LinkRel, Result, validate};

/// The only format version so far.
pub const VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bundle {
    pub version: u32,
    #[serde(default)]
    pub publications: Vec<Publication>,
    #[serde(default)]
    pub authors: Vec<Author>,
    #[serde(default)]
    pub speakers: Vec<Speaker>,
    #[serde(default)]
    pub articles: Vec<Article>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Publication {
    pub slug: String,
    pub name: String,
    pub url: Option<String>,
    pub sponsor_message: Option<String>,
    #[serde(default)]
    pub links: Vec<PublicationLink>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublicationLink {
    pub label: String,
    pub url: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Author {
    pub slug: String,
    pub name: String,
    pub kind: AuthorKind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Speaker {
    pub slug: String,
    pub name: String,
    pub role: Option<String>,
    pub organization: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Article {
    pub slug: String,
    pub title: String,
    pub summary: Option<String>,
    /// Markdown.
    pub body: String,
    pub status: ArticleStatus,
    pub published_at: Option<DateTime<Utc>>,
    /// Publication slug.
    pub publication: String,
    /// Author slug.
    pub author: Option<String>,
    pub section: Option<String>,
    pub canonical_url: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub key_points: Vec<String>,
    #[serde(default)]
    pub quotes: Vec<Quote>,
    #[serde(default)]
    pub related_links: Vec<RelatedLink>,
    pub copyright: Option<Copyright>,
    /// When the article was first written; the time of its import when missing. Fixtures set
    /// it (and `updated_at`) so that answers do not change from one run to the next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// When the article last changed; `created_at` when missing and that is set, else the time
    /// of the import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Quote {
    pub text: String,
    /// Speaker slug.
    pub speaker: String,
    pub context: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RelatedLink {
    pub url: String,
    pub title: Option<String>,
    #[serde(default)]
    pub rel: LinkRel,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Copyright {
    pub holder: String,
    pub notice: String,
    pub year: Option<i32>,
    pub license: Option<String>,
}

/// Parses a bundle; a malformed document is `Invalid`, naming the path and line of the fault.
pub fn parse(json: &str) -> Result<Bundle> {
    let de = &mut serde_json::Deserializer::from_str(json);
    let bundle: Bundle = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path == "." {
            "bundle".to_owned()
        } else {
            path
        };
        Error::invalid(field, format!("{inner}"))
    })?;
    Ok(bundle)
}

impl Bundle {
    /// Checks every rule that needs no database; `Invalid` names the article (or other entry)
    /// and the field at fault.
    pub fn validate(&self) -> Result<()> {
        if self.version != VERSION {
            return Err(Error::invalid(
                "version",
                format!("unsupported version {}, expected {VERSION}", self.version),
            ));
        }
        unique(
            "publications",
            self.publications.iter().map(|p| p.slug.as_str()),
        )?;
        unique("authors", self.authors.iter().map(|a| a.slug.as_str()))?;
        unique("speakers", self.speakers.iter().map(|s| s.slug.as_str()))?;
        unique("articles", self.articles.iter().map(|a| a.slug.as_str()))?;
        for (i, p) in self.publications.iter().enumerate() {
            p.validate()
                .map_err(|e| locate(e, &format!("publications[{i}] ({:?})", p.slug)))?;
        }
        for (i, a) in self.authors.iter().enumerate() {
            a.validate()
                .map_err(|e| locate(e, &format!("authors[{i}] ({:?})", a.slug)))?;
        }
        for (i, s) in self.speakers.iter().enumerate() {
            s.validate()
                .map_err(|e| locate(e, &format!("speakers[{i}] ({:?})", s.slug)))?;
        }
        for (i, a) in self.articles.iter().enumerate() {
            a.validate()
                .map_err(|e| locate(e, &format!("articles[{i}] ({:?})", a.slug)))?;
        }
        Ok(())
    }
}

/// Prefixes the field of an `Invalid` error with where it is, e.g. `articles[3] ("slug").title`.
pub(crate) fn locate(err: Error, place: &str) -> Error {
    match err {
        Error::Invalid { field, message } => Error::Invalid {
            field: format!("{place}.{field}"),
            message,
        },
        other => other,
    }
}

fn unique<'a>(list: &str, slugs: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for (i, slug) in slugs.enumerate() {
        if !seen.insert(slug) {
            return Err(Error::invalid(
                format!("{list}[{i}].slug"),
                format!("{slug:?} appears more than once"),
            ));
        }
    }
    Ok(())
}

impl Publication {
    pub(crate) fn validate(&self) -> Result<()> {
        validate::slug("slug", &self.slug)?;
        validate::text("name", &self.name, validate::MAX_NAME)?;
        if let Some(url) = &self.url {
            validate::url("url", url)?;
        }
        validate::optional_text(
            "sponsorMessage",
            self.sponsor_message.as_deref(),
            validate::MAX_SHORT_TEXT,
        )?;
        validate::list_len("links", self.links.len())?;
        for (i, link) in self.links.iter().enumerate() {
            validate::text(
                &format!("links[{i}].label"),
                &link.label,
                validate::MAX_NAME,
            )?;
            validate::url(&format!("links[{i}].url"), &link.url)?;
        }
        Ok(())
    }
}

impl Author {
    pub(crate) fn validate(&self) -> Result<()> {
        validate::slug("slug", &self.slug)?;
        validate::text("name", &self.name, validate::MAX_NAME)
    }
}

impl Speaker {
    pub(crate) fn validate(&self) -> Result<()> {
        validate::slug("slug", &self.slug)?;
        validate::text("name", &self.name, validate::MAX_NAME)?;
        validate::optional_text("role", self.role.as_deref(), validate::MAX_NAME)?;
        validate::optional_text(
            "organization",
            self.organization.as_deref(),
            validate::MAX_NAME,
        )
    }
}

impl Article {
    pub(crate) fn validate(&self) -> Result<()> {
        validate::slug("slug", &self.slug)?;
        validate::text("title", &self.title, validate::MAX_TITLE)?;
        validate::optional_text("summary", self.summary.as_deref(), validate::MAX_SHORT_TEXT)?;
        validate::optional_text("body", Some(&self.body), validate::MAX_BODY)?;
        if self.status == ArticleStatus::Published && self.published_at.is_none() {
            return Err(Error::invalid(
                "publishedAt",
                "is required when status is PUBLISHED",
            ));
        }
        if let (Some(created), Some(updated)) = (self.created_at, self.updated_at)
            && updated < created
        {
            return Err(Error::invalid("updatedAt", "is before createdAt"));
        }
        validate::slug("publication", &self.publication)?;
        if let Some(author) = &self.author {
            validate::slug("author", author)?;
        }
        validate::optional_text("section", self.section.as_deref(), validate::MAX_NAME)?;
        if let Some(url) = &self.canonical_url {
            validate::url("canonicalUrl", url)?;
        }
        validate::list_len("tags", self.tags.len())?;
        let mut tags = std::collections::HashSet::new();
        for (i, tag) in self.tags.iter().enumerate() {
            validate::slug(&format!("tags[{i}]"), tag)?;
            if !tags.insert(tag) {
                return Err(Error::invalid(
                    format!("tags[{i}]"),
                    format!("{tag:?} appears more than once"),
                ));
            }
        }
        validate::list_len("keyPoints", self.key_points.len())?;
        for (i, point) in self.key_points.iter().enumerate() {
            validate::text(&format!("keyPoints[{i}]"), point, validate::MAX_SHORT_TEXT)?;
        }
        validate::list_len("quotes", self.quotes.len())?;
        for (i, quote) in self.quotes.iter().enumerate() {
            validate::text(
                &format!("quotes[{i}].text"),
                &quote.text,
                validate::MAX_QUOTE,
            )?;
            validate::slug(&format!("quotes[{i}].speaker"), &quote.speaker)?;
            validate::optional_text(
                &format!("quotes[{i}].context"),
                quote.context.as_deref(),
                validate::MAX_SHORT_TEXT,
            )?;
        }
        validate::list_len("relatedLinks", self.related_links.len())?;
        for (i, link) in self.related_links.iter().enumerate() {
            validate::url(&format!("relatedLinks[{i}].url"), &link.url)?;
            validate::optional_text(
                &format!("relatedLinks[{i}].title"),
                link.title.as_deref(),
                validate::MAX_TITLE,
            )?;
        }
        if let Some(c) = &self.copyright {
            validate::text("copyright.holder", &c.holder, validate::MAX_NAME)?;
            validate::text("copyright.notice", &c.notice, validate::MAX_SHORT_TEXT)?;
            if let Some(year) = c.year {
                validate::year("copyright.year", year)?;
            }
            validate::optional_text(
                "copyright.license",
                c.license.as_deref(),
                validate::MAX_NAME,
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: &str = include_str!("../../../fixtures/demo.json");

    #[test]
    fn demo_bundle_is_valid() {
        let bundle = parse(DEMO).unwrap();
        bundle.validate().unwrap();
        assert_eq!(bundle.articles.len(), 1);
        assert_eq!(bundle.articles[0].quotes.len(), 4);
    }

    #[test]
    fn parse_errors_name_the_path() {
        let err =
            parse(r#"{"version":1,"articles":[{"slug":"a","title":"t","bodyy":""}]}"#).unwrap_err();
        let Error::Invalid { field, message } = err else {
            panic!("{err:?}")
        };
        assert_eq!(field, "articles[0].bodyy");
        assert!(message.contains("bodyy"), "{message}");
    }

    #[test]
    fn validation_names_article_and_field() {
        let mut bundle = parse(DEMO).unwrap();
        bundle.articles[0].related_links[1].url = "not a url".into();
        let Error::Invalid { field, .. } = bundle.validate().unwrap_err() else {
            panic!()
        };
        assert_eq!(
            field,
            "articles[0] (\"the-great-linux-debate-rusts-place-in-the-kernel\").relatedLinks[1].url"
        );
    }
}
