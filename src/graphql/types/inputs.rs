//! Filter and order arguments, mapped to the content layer's own types.

use super::{ArticleStatus, DateTime};
use crate::content::{self, articles, quotes, search::SearchQuery};
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
    /// Words to find anywhere in the article: title, summary, body, key points, quotes and
    /// their speakers' names, tags. Every word must match, in any form ("maintainers" finds
    /// "maintainer"), whatever its case and accents ("zurich" finds "Zürich"); "text in
    /// double quotes" is a phrase, and so are words written together ("COVID-19", "H.264");
    /// common words such as "the" are ignored outside phrases. At most 500 characters.
    /// Results come best match first unless `orderBy` says otherwise.
    pub search: Option<String>,
    /// Search as the reader types: the last word of `search` also matches as the start of a
    /// word ("kroah-har" finds "Kroah-Hartman"). A last word of one character is matched
    /// whole.
    #[graphql(default)]
    pub prefix: bool,
}

impl ArticleFilter {
    /// The content layer's filter; fails on a search with nothing to search for.
    pub fn into_content(self, field: &str) -> content::Result<articles::ArticleFilter> {
        Ok(articles::ArticleFilter {
            status: self.status.map(Into::into),
            tag: self.tag,
            speaker: self.speaker,
            author: self.author,
            publication: self.publication,
            published_after: self.published_after.map(|t| t.0),
            published_before: self.published_before.map(|t| t.0),
            search: self
                .search
                .map(|text| SearchQuery::parse(&format!("{field}.search"), &text, self.prefix))
                .transpose()?,
        })
    }
}

#[derive(Enum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ArticleOrderField {
    #[default]
    PublishedAt,
    UpdatedAt,
    Title,
    /// Best match first: only with `filter.search`, and the default order then.
    Relevance,
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
                ArticleOrderField::Relevance => articles::OrderField::Relevance,
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
    /// Words to find in the quote's text, its context or its speaker's name, as in
    /// `ArticleFilter.search`. Results come best match first.
    pub search: Option<String>,
    /// Search as the reader types, as `ArticleFilter.prefix`.
    #[graphql(default)]
    pub prefix: bool,
}

impl QuoteFilter {
    /// The content layer's filter; fails on a search with nothing to search for.
    pub fn into_content(self, field: &str) -> content::Result<quotes::QuoteFilter> {
        Ok(quotes::QuoteFilter {
            speaker: self.speaker,
            article: self.article,
            search: self
                .search
                .map(|text| SearchQuery::parse(&format!("{field}.search"), &text, self.prefix))
                .transpose()?,
        })
    }
}
