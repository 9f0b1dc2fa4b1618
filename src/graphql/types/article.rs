//! The article: a news story with its key points, quotes, links and copyright.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object};
use entity::article;

use super::{
    Author, Copyright, DateTime, GlobalId, KeyPoint, Kind, Publication, Quote, RelatedLink, Tag,
};
use crate::{
    content::{self, body, search::SearchQuery},
    graphql::{
        ResultExt,
        batch::{ArticleSet, Reader},
        graphql_error,
    },
};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArticleStatus {
    Draft,
    Published,
    Archived,
}

impl From<article::ArticleStatus> for ArticleStatus {
    fn from(s: article::ArticleStatus) -> Self {
        match s {
            article::ArticleStatus::Draft => Self::Draft,
            article::ArticleStatus::Published => Self::Published,
            article::ArticleStatus::Archived => Self::Archived,
        }
    }
}

impl From<ArticleStatus> for article::ArticleStatus {
    fn from(s: ArticleStatus) -> Self {
        match s {
            ArticleStatus::Draft => Self::Draft,
            ArticleStatus::Published => Self::Published,
            ArticleStatus::Archived => Self::Archived,
        }
    }
}

/// How to serve an article's body.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFormat {
    /// The Markdown source, as written.
    Markdown,
    /// HTML rendered from the Markdown, sanitized: safe to insert into a page.
    Html,
    /// The words alone, paragraphs separated by blank lines.
    PlainText,
}

/// An article, and the set it was returned with (its relations load for the whole set).
#[derive(Clone)]
pub struct Article {
    model: article::Model,
    set: Arc<ArticleSet>,
}

impl Article {
    pub fn new(model: article::Model, set: Arc<ArticleSet>) -> Self {
        Self { model, set }
    }

    /// Articles returned together, sharing one set.
    pub fn all(reader: &Reader, models: Vec<article::Model>) -> Vec<Self> {
        let set = ArticleSet::new(reader.clone(), models);
        set.articles()
            .iter()
            .map(|m| Self::new(m.clone(), set.clone()))
            .collect()
    }

    /// Articles a search found: each can give a snippet of what matched.
    pub fn found(
        reader: &Reader,
        models: Vec<article::Model>,
        search: Option<SearchQuery>,
    ) -> Vec<Self> {
        let set = ArticleSet::found(reader.clone(), models, search);
        set.articles()
            .iter()
            .map(|m| Self::new(m.clone(), set.clone()))
            .collect()
    }

    pub fn one(reader: &Reader, model: article::Model) -> Self {
        Self::new(model.clone(), ArticleSet::new(reader.clone(), vec![model]))
    }

    /// One article read with its copyright.
    pub fn one_with_copyright(
        reader: &Reader,
        model: article::Model,
        copyright: Option<entity::copyright::Model>,
    ) -> Self {
        let set = ArticleSet::one_with_copyright(reader.clone(), model.clone(), copyright);
        Self::new(model, set)
    }
}

fn missing(what: &str) -> async_graphql::Error {
    graphql_error(content::Error::Internal(anyhow::anyhow!(
        "{what} is missing"
    )))
}

#[Object]
impl Article {
    pub async fn id(&self) -> ID {
        GlobalId::new(Kind::Article, self.model.id).encode()
    }
    async fn slug(&self) -> &str {
        &self.model.slug
    }
    async fn title(&self) -> &str {
        &self.model.title
    }
    async fn summary(&self) -> Option<&str> {
        self.model.summary.as_deref()
    }
    /// The body, as Markdown (default), sanitized HTML, or plain text.
    async fn body(
        &self,
        #[graphql(default_with = "Some(BodyFormat::Markdown)")] format: Option<BodyFormat>,
    ) -> String {
        match format.unwrap_or(BodyFormat::Markdown) {
            BodyFormat::Markdown => self.model.body.clone(),
            BodyFormat::Html => body::to_html(&self.model.body),
            BodyFormat::PlainText => body::to_plain_text(&self.model.body),
        }
    }
    async fn status(&self) -> ArticleStatus {
        self.model.status.into()
    }
    /// When the article was (or will be) published; null for drafts never published.
    async fn published_at(&self) -> Option<DateTime> {
        self.model.published_at.map(DateTime)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.model.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.model.updated_at)
    }
    async fn section(&self) -> Option<&str> {
        self.model.section.as_deref()
    }
    async fn canonical_url(&self) -> Option<&str> {
        self.model.canonical_url.as_deref()
    }
    /// Words in the body as a reader sees it.
    async fn word_count(&self) -> i32 {
        self.model.word_count
    }
    /// Minutes to read the body at 200 words a minute, rounded up.
    async fn reading_time_minutes(&self) -> i32 {
        body::reading_time_minutes(self.model.word_count)
    }
    async fn author(&self) -> async_graphql::Result<Option<Author>> {
        let Some(id) = self.model.author_id else {
            return Ok(None);
        };
        Ok(self.set.author(id).await.gql()?.map(Author::from))
    }
    async fn publication(&self) -> async_graphql::Result<Publication> {
        let found = self
            .set
            .publication(self.model.publication_id)
            .await
            .gql()?;
        found
            .map(|(model, set)| Publication::new(model, set))
            .ok_or_else(|| missing("the article's publication"))
    }
    /// Tags, in the article's order.
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Tag>> {
        // Counts asked for come with the tags, in the same statement.
        let counted = ctx.look_ahead().field("articleCount").exists();
        let (tags, set) = self.set.tags(self.model.id, counted).await.gql()?;
        Ok(tags
            .into_iter()
            .map(|t| Tag::in_set(t, set.clone()))
            .collect())
    }
    /// The ordered bullet list at the top of the story.
    async fn key_points(&self) -> async_graphql::Result<Vec<KeyPoint>> {
        let points = self.set.key_points(self.model.id).await.gql()?;
        Ok(points.into_iter().map(KeyPoint::from).collect())
    }
    /// Quotes, in the order they appear in the story.
    async fn quotes(&self) -> async_graphql::Result<Vec<Quote>> {
        let (quotes, set) = self.set.quotes(self.model.id).await.gql()?;
        Ok(quotes
            .into_iter()
            .map(|q| Quote::new(q, set.clone()))
            .collect())
    }
    async fn related_links(&self) -> async_graphql::Result<Vec<RelatedLink>> {
        let links = self.set.related_links(self.model.id).await.gql()?;
        Ok(links.into_iter().map(RelatedLink::from).collect())
    }
    async fn copyright(&self) -> async_graphql::Result<Option<Copyright>> {
        Ok(self
            .set
            .copyright(self.model.id)
            .await
            .gql()?
            .map(Copyright::from))
    }
    /// For an article found by `articles(filter: { search })`: the passage that matched, as
    /// an HTML fragment (text escaped, matching words in `<mark>`, passages joined by " … ").
    /// Null when the article was not found by a search.
    async fn search_snippet(&self) -> async_graphql::Result<Option<String>> {
        self.set.snippet(self.model.id).await.gql()
    }
}
