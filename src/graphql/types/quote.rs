//! A quote: what a speaker said, in an article.

use std::sync::Arc;

use async_graphql::{ID, Object};
use uuid::Uuid;

use super::{Article, GlobalId, Kind, Speaker};
use crate::{
    content::{
        self,
        model::{self, FoundQuote},
    },
    graphql::{
        ResultExt,
        batch::{QuoteSet, Reader},
        graphql_error,
    },
};

/// A quote, the article it is in, and the set it was returned with (speakers' lists and
/// articles load for the whole set).
#[derive(Clone)]
pub struct Quote {
    quote: model::Quote,
    article_id: Uuid,
    set: Arc<QuoteSet>,
}

impl Quote {
    pub fn new(quote: model::Quote, article_id: Uuid, set: Arc<QuoteSet>) -> Self {
        Self {
            quote,
            article_id,
            set,
        }
    }

    /// Quotes found together, sharing one set.
    pub fn found(reader: &Reader, found: Vec<FoundQuote>) -> Vec<Self> {
        Self::found_by(reader, found, None)
    }

    /// Quotes a search found (or none did), sharing one set.
    pub fn found_by(
        reader: &Reader,
        found: Vec<FoundQuote>,
        search: Option<content::search::SearchQuery>,
    ) -> Vec<Self> {
        let set = QuoteSet::found(reader.clone(), &found, search);
        Self::in_set(found, set)
    }

    pub fn in_set(found: Vec<FoundQuote>, set: Arc<QuoteSet>) -> Vec<Self> {
        found
            .into_iter()
            .map(|f| Self::new(f.quote, f.article_id, set.clone()))
            .collect()
    }
}

#[Object(serial)]
impl Quote {
    async fn id(&self) -> ID {
        GlobalId::new(Kind::Quote, self.quote.id).encode()
    }
    /// 1-based position among the article's quotes.
    async fn position(&self) -> i32 {
        self.quote.position
    }
    async fn text(&self) -> &str {
        &self.quote.text
    }
    /// When, where or how it was said.
    async fn context(&self) -> Option<&str> {
        self.quote.context.as_deref()
    }
    async fn speaker(&self) -> Speaker {
        Speaker::new(self.quote.speaker.clone(), self.set.speakers())
    }
    /// The article the quote appears in.
    async fn article(&self) -> async_graphql::Result<Article> {
        let found = self.set.article(self.article_id).await.gql()?;
        found
            .map(|(read, set)| Article::new(read, set))
            .ok_or_else(|| graphql_error(content::Error::NotFound("the quote's article".into())))
    }
    /// For a quote found by `quotes(filter: { search })`: the passage that matched, as an
    /// HTML fragment (text escaped, matching words in `<mark>`), from the quote's text, its
    /// context and its speaker's name. Null when the quote was not found by a search.
    async fn search_snippet(&self) -> async_graphql::Result<Option<String>> {
        self.set.snippet(self.quote.id).await.gql()
    }
}
