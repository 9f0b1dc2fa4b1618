//! Input types of the mutations, mapped to the content layer's bundle types.

use async_graphql::{InputObject, MaybeUndefined};

use super::{AuthorKind, LinkRel};
use crate::content::{ArticleStatus, Error, bundle, editing::ArticlePatch as ContentPatch};

/// A new article. References (publication, author, speakers) are slugs; tags are created on
/// first use.
#[derive(InputObject, Clone, Debug)]
pub struct ArticleInput {
    pub slug: String,
    pub title: String,
    pub summary: Option<String>,
    /// Markdown.
    pub body: String,
    pub section: Option<String>,
    pub canonical_url: Option<String>,
    /// Publication slug.
    pub publication: String,
    /// Author slug.
    pub author: Option<String>,
    /// Tag slugs, in order.
    pub tags: Option<Vec<String>>,
    pub key_points: Option<Vec<String>>,
    pub quotes: Option<Vec<QuoteInput>>,
    pub related_links: Option<Vec<RelatedLinkInput>>,
    pub copyright: Option<CopyrightInput>,
}

/// Changes to an article: an absent field is left as it is, `null` clears an optional field
/// (and is refused for `slug`, `title`, `body` and `publication`), and a given list replaces
/// the whole list (`null` empties it).
#[derive(InputObject, Clone, Debug, Default)]
pub struct ArticlePatch {
    pub slug: MaybeUndefined<String>,
    pub title: MaybeUndefined<String>,
    pub summary: MaybeUndefined<String>,
    pub body: MaybeUndefined<String>,
    pub section: MaybeUndefined<String>,
    pub canonical_url: MaybeUndefined<String>,
    pub publication: MaybeUndefined<String>,
    pub author: MaybeUndefined<String>,
    pub tags: MaybeUndefined<Vec<String>>,
    pub key_points: MaybeUndefined<Vec<String>>,
    pub quotes: MaybeUndefined<Vec<QuoteInput>>,
    pub related_links: MaybeUndefined<Vec<RelatedLinkInput>>,
    pub copyright: MaybeUndefined<CopyrightInput>,
}

#[derive(InputObject, Clone, Debug)]
pub struct QuoteInput {
    pub text: String,
    /// Speaker slug.
    pub speaker: String,
    pub context: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct RelatedLinkInput {
    pub url: String,
    pub title: Option<String>,
    #[graphql(default_with = "LinkRel::Related")]
    pub rel: LinkRel,
}

#[derive(InputObject, Clone, Debug)]
pub struct CopyrightInput {
    pub holder: String,
    pub notice: String,
    pub year: Option<i32>,
    pub license: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct SpeakerInput {
    pub slug: String,
    pub name: String,
    pub role: Option<String>,
    pub organization: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct AuthorInput {
    pub slug: String,
    pub name: String,
    pub kind: AuthorKind,
}

#[derive(InputObject, Clone, Debug)]
pub struct PublicationInput {
    pub slug: String,
    pub name: String,
    pub url: Option<String>,
    pub sponsor_message: Option<String>,
    /// Footer links, in display order; absent means none.
    pub links: Option<Vec<PublicationLinkInput>>,
}

#[derive(InputObject, Clone, Debug)]
pub struct PublicationLinkInput {
    pub label: String,
    pub url: String,
}

impl From<QuoteInput> for bundle::Quote {
    fn from(q: QuoteInput) -> Self {
        Self {
            text: q.text,
            speaker: q.speaker,
            context: q.context,
        }
    }
}

impl From<RelatedLinkInput> for bundle::RelatedLink {
    fn from(l: RelatedLinkInput) -> Self {
        Self {
            url: l.url,
            title: l.title,
            rel: l.rel.into(),
        }
    }
}

impl From<CopyrightInput> for bundle::Copyright {
    fn from(c: CopyrightInput) -> Self {
        Self {
            holder: c.holder,
            notice: c.notice,
            year: c.year,
            license: c.license,
        }
    }
}

fn all<T: Into<U>, U>(list: Vec<T>) -> Vec<U> {
    list.into_iter().map(Into::into).collect()
}

/// `undefined` → unchanged, `null` → cleared, a value → set.
fn optional<T, U>(value: MaybeUndefined<T>, map: impl FnOnce(T) -> U) -> Option<Option<U>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(map(v))),
    }
}

/// A list: `undefined` → unchanged, `null` → emptied, a value → replaced.
fn list<T: Into<U>, U>(value: MaybeUndefined<Vec<T>>) -> Option<Vec<U>> {
    optional(value, all).map(Option::unwrap_or_default)
}

impl From<ArticleInput> for bundle::Article {
    /// A new article is a draft; publishing is a mutation of its own.
    fn from(a: ArticleInput) -> Self {
        Self {
            slug: a.slug,
            title: a.title,
            summary: a.summary,
            body: a.body,
            status: ArticleStatus::Draft,
            published_at: None,
            publication: a.publication,
            author: a.author,
            section: a.section,
            canonical_url: a.canonical_url,
            tags: a.tags.unwrap_or_default(),
            key_points: a.key_points.unwrap_or_default(),
            quotes: all(a.quotes.unwrap_or_default()),
            related_links: all(a.related_links.unwrap_or_default()),
            copyright: a.copyright.map(Into::into),
            created_at: None,
            updated_at: None,
        }
    }
}

/// A field that may be left out but not cleared.
fn required<T>(field: &str, value: MaybeUndefined<T>) -> Result<Option<T>, Error> {
    match value {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Err(Error::invalid(format!("input.{field}"), "cannot be null")),
        MaybeUndefined::Value(v) => Ok(Some(v)),
    }
}

impl TryFrom<ArticlePatch> for ContentPatch {
    type Error = Error;

    fn try_from(p: ArticlePatch) -> Result<Self, Error> {
        Ok(Self {
            slug: required("slug", p.slug)?,
            title: required("title", p.title)?,
            summary: optional(p.summary, |s| s),
            body: required("body", p.body)?,
            section: optional(p.section, |s| s),
            canonical_url: optional(p.canonical_url, |s| s),
            publication: required("publication", p.publication)?,
            author: optional(p.author, |s| s),
            tags: list(p.tags),
            key_points: list(p.key_points),
            quotes: list(p.quotes),
            related_links: list(p.related_links),
            copyright: optional(p.copyright, Into::into),
        })
    }
}

impl From<SpeakerInput> for bundle::Speaker {
    fn from(s: SpeakerInput) -> Self {
        Self {
            slug: s.slug,
            name: s.name,
            role: s.role,
            organization: s.organization,
        }
    }
}

impl From<AuthorInput> for bundle::Author {
    fn from(a: AuthorInput) -> Self {
        Self {
            slug: a.slug,
            name: a.name,
            kind: a.kind.into(),
        }
    }
}

impl From<PublicationInput> for bundle::Publication {
    fn from(p: PublicationInput) -> Self {
        Self {
            slug: p.slug,
            name: p.name,
            url: p.url,
            sponsor_message: p.sponsor_message,
            links: p
                .links
                .unwrap_or_default()
                .into_iter()
                .map(|l| bundle::PublicationLink {
                    label: l.label,
                    url: l.url,
                })
                .collect(),
        }
    }
}
