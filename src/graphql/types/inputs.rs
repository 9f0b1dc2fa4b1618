//! Filter and order arguments, mapped to the content layer's own types.

use super::{ArticleStatus, DateTime};
use crate::content::{articles, quotes};
use async_graphql::{Enum, InputObject};

/// Narrows a list of articles; every field given must match.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ArticleFilter {
    pub status: Option<ArticleStatus>,
    /// Tag slug.
    pub tag: Option<String>,
    /// Slug of a speaker quoted in the article.
    pub speaker: Option<String>,
    /// Author slug.
    pub author: Option<String>,
    /// Publication slug.
    pub publication: Option<String>,
    /// Published at or after this time.
    pub published_after: Option<DateTime>,
    /// Published before this time.
    pub published_before: Option<DateTime>,
}

impl From<ArticleFilter> for articles::ArticleFilter {
    fn from(f: ArticleFilter) -> Self {
        Self {
            status: f.status.map(Into::into),
            tag: f.tag,
            speaker: f.speaker,
            author: f.author,
            publication: f.publication,
            published_after: f.published_after.map(|t| t.0),
            published_before: f.published_before.map(|t| t.0),
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ArticleOrderField {
    #[default]
    PublishedAt,
    UpdatedAt,
    Title,
}

#[derive(Enum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrderDirection {
    Asc,
    #[default]
    Desc,
}

/// The order of a list of articles; ties are broken by id, so pages never overlap.
#[derive(InputObject, Clone, Copy, Debug, Default)]
pub struct ArticleOrder {
    #[graphql(default)]
    pub field: ArticleOrderField,
    #[graphql(default)]
    pub direction: OrderDirection,
}

impl From<ArticleOrder> for articles::ArticleOrder {
    fn from(o: ArticleOrder) -> Self {
        Self {
            field: match o.field {
                ArticleOrderField::PublishedAt => articles::OrderField::PublishedAt,
                ArticleOrderField::UpdatedAt => articles::OrderField::UpdatedAt,
                ArticleOrderField::Title => articles::OrderField::Title,
            },
            direction: match o.direction {
                OrderDirection::Asc => articles::Direction::Asc,
                OrderDirection::Desc => articles::Direction::Desc,
            },
        }
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub struct QuoteFilter {
    /// Speaker slug.
    pub speaker: Option<String>,
    /// Article slug.
    pub article: Option<String>,
}

impl From<QuoteFilter> for quotes::QuoteFilter {
    fn from(f: QuoteFilter) -> Self {
        Self {
            speaker: f.speaker,
            article: f.article,
        }
    }
}
