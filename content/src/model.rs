//! What readers are served: an article as one document with its parts, and the catalogue
//! entries (authors, publications, speakers, tags) as readers see them. These are the content
//! layer's read types; the API maps them, and never sees a table row.
//!
//! An [`Article`] is stored as it is serialized here, one JSON document per article beside the
//! normalized tables (see [`crate::derived`]), so a page of articles is one statement and
//! nothing is assembled per request. Field names are camelCase and enum values are the
//! interchange names (`PUBLISHED`, `AI_MODEL`), as in the import format.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{ArticleStatus, AuthorKind, LinkRel};

/// An article as readers see it, but for its body: current as of the article's last write.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Article {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub summary: Option<String>,
    pub status: ArticleStatus,
    /// When the article was (or will be) published; none for drafts never published.
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub section: Option<String>,
    pub canonical_url: Option<String>,
    /// Words in the body as a reader sees it.
    pub word_count: i32,
    pub author: Option<Author>,
    pub publication: Publication,
    /// In the article's order.
    pub tags: Vec<Tag>,
    /// In the article's order.
    pub key_points: Vec<KeyPoint>,
    /// In the order they appear in the story.
    pub quotes: Vec<Quote>,
    pub related_links: Vec<RelatedLink>,
    pub copyright: Option<Copyright>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Author {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub kind: AuthorKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Publication {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub url: Option<String>,
    pub sponsor_message: Option<String>,
    /// Footer links, in display order.
    pub links: Vec<PublicationLink>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicationLink {
    pub label: String,
    pub url: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    pub id: Uuid,
    pub slug: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyPoint {
    pub id: Uuid,
    /// 1-based.
    pub position: i32,
    pub text: String,
}

/// A quote in an article, with its speaker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    pub id: Uuid,
    /// 1-based position among the article's quotes.
    pub position: i32,
    pub text: String,
    pub context: Option<String>,
    pub speaker: Speaker,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Speaker {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub role: Option<String>,
    pub organization: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelatedLink {
    pub id: Uuid,
    /// 1-based.
    pub position: i32,
    pub url: String,
    pub title: Option<String>,
    pub rel: LinkRel,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Copyright {
    pub holder: String,
    pub notice: String,
    pub year: Option<i32>,
    pub license: Option<String>,
}

/// A quote found across articles (`quotes(filter:)`, a speaker's quotes): the quote with its
/// speaker, and which article it is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundQuote {
    pub article_id: Uuid,
    pub quote: Quote,
}

/// How an article's body is served.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BodyFormat {
    /// The Markdown source, as written.
    #[default]
    Markdown,
    /// HTML rendered from the Markdown, sanitized: safe to insert into a page.
    Html,
    /// The words alone, paragraphs separated by blank lines.
    PlainText,
}

impl BodyFormat {
    pub const ALL: [Self; 3] = [Self::Markdown, Self::Html, Self::PlainText];

    fn bit(self) -> u8 {
        match self {
            Self::Markdown => 1,
            Self::Html => 2,
            Self::PlainText => 4,
        }
    }
}

/// Which forms of the body a read brings; the body is read only when a reader asks for it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BodyFormats(u8);

impl BodyFormats {
    pub const NONE: Self = Self(0);

    pub fn with(self, format: BodyFormat) -> Self {
        Self(self.0 | format.bit())
    }

    pub fn contains(self, format: BodyFormat) -> bool {
        self.0 & format.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl FromIterator<BodyFormat> for BodyFormats {
    fn from_iter<I: IntoIterator<Item = BodyFormat>>(formats: I) -> Self {
        formats.into_iter().fold(Self::NONE, Self::with)
    }
}

/// An article's body in the forms a read asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Body {
    pub markdown: Option<String>,
    pub html: Option<String>,
    pub plain_text: Option<String>,
}

impl Body {
    /// The body in `format`, if the read brought it.
    pub fn get(&self, format: BodyFormat) -> Option<&str> {
        match format {
            BodyFormat::Markdown => self.markdown.as_deref(),
            BodyFormat::Html => self.html.as_deref(),
            BodyFormat::PlainText => self.plain_text.as_deref(),
        }
    }
}

/// An article read for a reader: its document, and its body in the forms asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct ArticleRead {
    pub article: Article,
    pub body: Body,
}

impl Article {
    pub fn has_tag(&self, slug: &str) -> bool {
        self.tags.iter().any(|t| t.slug == slug)
    }

    pub fn quotes_speaker(&self, slug: &str) -> bool {
        self.quotes.iter().any(|q| q.speaker.slug == slug)
    }

    pub fn in_publication(&self, slug: &str) -> bool {
        self.publication.slug == slug
    }
}
