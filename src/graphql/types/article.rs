//! The article: a news story with its key points, quotes, links and copyright, resolved from
//! its document.

use std::sync::Arc;

use async_graphql::{Enum, ID, Object};

use super::{
    Author, Copyright, DateTime, GlobalId, KeyPoint, Kind, Publication, Quote, RelatedLink, Tag,
};
use crate::{
    content::{
        self,
        model::{self, ArticleRead},
    },
    graphql::{
        ResultExt,
        batch::{ArticleSet, Reader},
        graphql_error,
    },
};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "content::ArticleStatus")]
pub enum ArticleStatus {
    Draft,
    Published,
    Archived,
}

/// How to serve an article's body.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "content::model::BodyFormat")]
pub enum BodyFormat {
    /// The Markdown source, as written.
    Markdown,
    /// HTML rendered from the Markdown, sanitized: safe to insert into a page.
    Html,
    /// The words alone, paragraphs separated by blank lines.
    PlainText,
}

/// An article, and the set it was returned with (what its document does not hold loads for
/// the whole set).
#[derive(Clone)]
pub struct Article {
    read: Arc<ArticleRead>,
    set: Arc<ArticleSet>,
}

impl Article {
    pub fn new(read: Arc<ArticleRead>, set: Arc<ArticleSet>) -> Self {
        Self { read, set }
    }

    /// Articles returned together, sharing one set.
    pub fn all(reader: &Reader, reads: Vec<ArticleRead>) -> Vec<Self> {
        Self::in_set(ArticleSet::new(reader.clone(), reads))
    }

    /// Articles a search found: each can give a snippet of what matched.
    pub fn found(
        reader: &Reader,
        reads: Vec<ArticleRead>,
        search: Option<content::search::SearchQuery>,
    ) -> Vec<Self> {
        Self::in_set(ArticleSet::found(reader.clone(), reads, search))
    }

    pub fn one(reader: &Reader, read: ArticleRead) -> Self {
        let mut all = Self::all(reader, vec![read]);
        all.remove(0)
    }

    fn in_set(set: Arc<ArticleSet>) -> Vec<Self> {
        set.articles()
            .iter()
            .map(|a| Self::new(a.clone(), set.clone()))
            .collect()
    }

    fn doc(&self) -> &model::Article {
        &self.read.article
    }
}

#[Object(serial)]
impl Article {
    pub async fn id(&self) -> ID {
        GlobalId::new(Kind::Article, self.doc().id).encode()
    }
    async fn slug(&self) -> &str {
        &self.doc().slug
    }
    async fn title(&self) -> &str {
        &self.doc().title
    }
    async fn summary(&self) -> Option<&str> {
        self.doc().summary.as_deref()
    }
    /// The body, as Markdown (default), sanitized HTML, or plain text.
    async fn body(
        &self,
        #[graphql(default_with = "Some(BodyFormat::Markdown)")] format: Option<BodyFormat>,
    ) -> async_graphql::Result<String> {
        let format = format.unwrap_or(BodyFormat::Markdown).into();
        if let Some(body) = self.read.body.get(format) {
            return Ok(body.to_owned());
        }
        self.set
            .body(self.doc().id, format)
            .await
            .gql()?
            .ok_or_else(|| missing("the article's body"))
    }
    async fn status(&self) -> ArticleStatus {
        self.doc().status.into()
    }
    /// When the article was (or will be) published; null for drafts never published.
    async fn published_at(&self) -> Option<DateTime> {
        self.doc().published_at.map(DateTime)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.doc().created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.doc().updated_at)
    }
    async fn section(&self) -> Option<&str> {
        self.doc().section.as_deref()
    }
    async fn canonical_url(&self) -> Option<&str> {
        self.doc().canonical_url.as_deref()
    }
    /// Words in the body as a reader sees it.
    async fn word_count(&self) -> i32 {
        self.doc().word_count
    }
    /// Minutes to read the body at 200 words a minute, rounded up.
    async fn reading_time_minutes(&self) -> i32 {
        content::body::reading_time_minutes(self.doc().word_count)
    }
    async fn author(&self) -> Option<Author> {
        self.doc().author.clone().map(Author)
    }
    async fn publication(&self) -> Publication {
        Publication(self.doc().publication.clone())
    }
    /// Tags, in the article's order.
    async fn tags(&self) -> Vec<Tag> {
        let set = self.set.tags();
        self.doc()
            .tags
            .iter()
            .map(|t| Tag::in_set(t.clone(), set.clone()))
            .collect()
    }
    /// The ordered bullet list at the top of the story.
    async fn key_points(&self) -> Vec<KeyPoint> {
        self.doc()
            .key_points
            .iter()
            .cloned()
            .map(KeyPoint)
            .collect()
    }
    /// Quotes, in the order they appear in the story.
    async fn quotes(&self) -> Vec<Quote> {
        let set = self.set.quotes();
        self.doc()
            .quotes
            .iter()
            .map(|q| Quote::new(q.clone(), self.doc().id, set.clone()))
            .collect()
    }
    async fn related_links(&self) -> Vec<RelatedLink> {
        self.doc()
            .related_links
            .iter()
            .cloned()
            .map(RelatedLink)
            .collect()
    }
    async fn copyright(&self) -> Option<Copyright> {
        self.doc().copyright.clone().map(Copyright)
    }
    /// For an article found by `articles(filter: { search })`: the passage that matched, as
    /// an HTML fragment (text escaped, matching words in `<mark>`, passages joined by " … ").
    /// Null when the article was not found by a search.
    async fn search_snippet(&self) -> async_graphql::Result<Option<String>> {
        self.set.snippet(self.doc().id).await.gql()
    }
}

fn missing(what: &str) -> async_graphql::Error {
    graphql_error(content::Error::Internal(anyhow::anyhow!(
        "{what} is missing"
    )))
}
