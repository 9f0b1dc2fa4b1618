//! A quote: what a speaker said, in an article.

use std::sync::Arc;

use async_graphql::{ID, Object};
use entity::{quote, speaker};

use super::{Article, GlobalId, Kind, Speaker};
use crate::{
    content,
    graphql::{
        ResultExt,
        batch::{QuoteSet, Reader},
        graphql_error,
    },
};

/// A quote, and the set it was returned with (speakers and articles load for the whole set).
#[derive(Clone)]
pub struct Quote {
    model: quote::Model,
    set: Arc<QuoteSet>,
}

impl Quote {
    pub fn new(model: quote::Model, set: Arc<QuoteSet>) -> Self {
        Self { model, set }
    }

    /// Quotes returned together, sharing one set.
    pub fn all(reader: &Reader, models: Vec<quote::Model>) -> Vec<Self> {
        let set = QuoteSet::new(reader.clone(), &models.iter().collect::<Vec<_>>());
        Self::in_set(models, set)
    }

    /// Quotes of `speaker`, returned together: their speaker costs nothing to load.
    pub fn said_by(
        reader: &Reader,
        models: Vec<quote::Model>,
        speaker: &speaker::Model,
    ) -> Vec<Self> {
        let set = QuoteSet::said_by(reader.clone(), &models.iter().collect::<Vec<_>>(), speaker);
        Self::in_set(models, set)
    }

    fn in_set(models: Vec<quote::Model>, set: Arc<QuoteSet>) -> Vec<Self> {
        models
            .into_iter()
            .map(|m| Self::new(m, set.clone()))
            .collect()
    }
}

#[Object]
impl Quote {
    async fn id(&self) -> ID {
        GlobalId::new(Kind::Quote, self.model.id).encode()
    }
    /// 1-based position among the article's quotes.
    async fn position(&self) -> i32 {
        self.model.position
    }
    async fn text(&self) -> &str {
        &self.model.text
    }
    /// When, where or how it was said.
    async fn context(&self) -> Option<&str> {
        self.model.context.as_deref()
    }
    async fn speaker(&self) -> async_graphql::Result<Speaker> {
        let found = self.set.speaker(self.model.speaker_id).await.gql()?;
        found.map(|(s, set)| Speaker::new(s, set)).ok_or_else(|| {
            graphql_error(content::Error::Internal(anyhow::anyhow!(
                "a quote's speaker is missing"
            )))
        })
    }
    /// The article the quote appears in.
    async fn article(&self) -> async_graphql::Result<Article> {
        let found = self.set.article(self.model.article_id).await.gql()?;
        found
            .map(|(model, set)| Article::new(model, set))
            .ok_or_else(|| graphql_error(content::Error::NotFound("the quote's article".into())))
    }
}
