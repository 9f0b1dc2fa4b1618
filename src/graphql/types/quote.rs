//! A quote: what a speaker said, in an article.

use async_graphql::{Context, ID, Object};
use entity::quote;

use super::{Article, GlobalId, Kind, Speaker, loader};
use crate::{
    content,
    graphql::{
        ResultExt, graphql_error,
        loaders::{ArticleById, SpeakerById},
    },
};

#[derive(Clone, Debug)]
pub struct Quote(pub quote::Model);

impl From<quote::Model> for Quote {
    fn from(m: quote::Model) -> Self {
        Self(m)
    }
}

#[Object]
impl Quote {
    async fn id(&self) -> ID {
        GlobalId::new(Kind::Quote, self.0.id).encode()
    }
    /// 1-based position among the article's quotes.
    async fn position(&self) -> i32 {
        self.0.position
    }
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// When, where or how it was said.
    async fn context(&self) -> Option<&str> {
        self.0.context.as_deref()
    }
    async fn speaker(&self, ctx: &Context<'_>) -> async_graphql::Result<Speaker> {
        let found = loader(ctx).load_one(SpeakerById(self.0.speaker_id)).await.gql()?;
        found
            .map(Speaker)
            .ok_or_else(|| graphql_error(&content::Error::Internal(anyhow::anyhow!("a quote's speaker is missing"))))
    }
    /// The article the quote appears in.
    async fn article(&self, ctx: &Context<'_>) -> async_graphql::Result<Article> {
        let found = loader(ctx).load_one(ArticleById(self.0.article_id)).await.gql()?;
        found
            .map(Article)
            .ok_or_else(|| graphql_error(&content::Error::NotFound("the quote's article".into())))
    }
}
