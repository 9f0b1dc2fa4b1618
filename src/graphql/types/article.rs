//! The article: a news story with its key points, quotes, links and copyright.

use async_graphql::{Context, Enum, ID, Object};
use entity::article;

use super::{Author, Copyright, DateTime, GlobalId, KeyPoint, Kind, Publication, Quote, RelatedLink, Tag, loader};
use crate::{
    content::{self, body},
    graphql::{
        ResultExt, graphql_error,
        loaders::{AuthorById, CopyrightOf, KeyPointsOf, PublicationById, QuotesOf, RelatedLinksOf, TagsOf},
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

#[derive(Clone, Debug)]
pub struct Article(pub article::Model);

impl From<article::Model> for Article {
    fn from(m: article::Model) -> Self {
        Self(m)
    }
}

fn missing(what: &str) -> async_graphql::Error {
    graphql_error(&content::Error::Internal(anyhow::anyhow!("{what} is missing")))
}

#[Object]
impl Article {
    pub async fn id(&self) -> ID {
        GlobalId::new(Kind::Article, self.0.id).encode()
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    /// The body, as Markdown (default), sanitized HTML, or plain text.
    async fn body(
        &self,
        #[graphql(default_with = "Some(BodyFormat::Markdown)")] format: Option<BodyFormat>,
    ) -> String {
        match format.unwrap_or(BodyFormat::Markdown) {
            BodyFormat::Markdown => self.0.body.clone(),
            BodyFormat::Html => body::to_html(&self.0.body),
            BodyFormat::PlainText => body::to_plain_text(&self.0.body),
        }
    }
    async fn status(&self) -> ArticleStatus {
        self.0.status.into()
    }
    /// When the article was (or will be) published; null for drafts never published.
    async fn published_at(&self) -> Option<DateTime> {
        self.0.published_at.map(DateTime)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
    async fn section(&self) -> Option<&str> {
        self.0.section.as_deref()
    }
    async fn canonical_url(&self) -> Option<&str> {
        self.0.canonical_url.as_deref()
    }
    /// Words in the body as a reader sees it.
    async fn word_count(&self) -> i32 {
        self.0.word_count
    }
    /// Minutes to read the body at 200 words a minute, rounded up.
    async fn reading_time_minutes(&self) -> i32 {
        body::reading_time_minutes(self.0.word_count)
    }
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Author>> {
        let Some(id) = self.0.author_id else { return Ok(None) };
        Ok(loader(ctx).load_one(AuthorById(id)).await.gql()?.map(Author::from))
    }
    async fn publication(&self, ctx: &Context<'_>) -> async_graphql::Result<Publication> {
        let found = loader(ctx).load_one(PublicationById(self.0.publication_id)).await.gql()?;
        found.map(Publication).ok_or_else(|| missing("the article's publication"))
    }
    /// Tags, in the article's order.
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Tag>> {
        let tags = loader(ctx).load_one(TagsOf(self.0.id)).await.gql()?;
        Ok(tags.unwrap_or_default().into_iter().map(Tag::from).collect())
    }
    /// The ordered bullet list at the top of the story.
    async fn key_points(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<KeyPoint>> {
        let points = loader(ctx).load_one(KeyPointsOf(self.0.id)).await.gql()?;
        Ok(points.unwrap_or_default().into_iter().map(KeyPoint::from).collect())
    }
    /// Quotes, in the order they appear in the story.
    async fn quotes(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Quote>> {
        let quotes = loader(ctx).load_one(QuotesOf(self.0.id)).await.gql()?;
        Ok(quotes.unwrap_or_default().into_iter().map(Quote).collect())
    }
    async fn related_links(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RelatedLink>> {
        let links = loader(ctx).load_one(RelatedLinksOf(self.0.id)).await.gql()?;
        Ok(links.unwrap_or_default().into_iter().map(RelatedLink::from).collect())
    }
    async fn copyright(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Copyright>> {
        Ok(loader(ctx).load_one(CopyrightOf(self.0.id)).await.gql()?.map(Copyright::from))
    }
}
