//! A speaker: someone quoted, with everything they said.

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::speaker;

use super::{
    Article, ArticleConnection, GlobalId, Kind, Quote, QuoteConnection, TotalCount, connection,
    reader,
};
use crate::{
    content::{
        articles::{self, ArticleFilter},
        pagination::PageArgs,
        quotes::{self, QuoteFilter},
    },
    graphql::{
        ResultExt,
        batch::{Reader, SpeakerSet},
    },
};

/// A speaker, and the set it was returned with (first pages of quotes and articles, and
/// their counts, load for the whole set).
#[derive(Clone)]
pub struct Speaker {
    model: speaker::Model,
    set: Arc<SpeakerSet>,
}

impl Speaker {
    pub fn new(model: speaker::Model, set: Arc<SpeakerSet>) -> Self {
        Self { model, set }
    }

    /// Speakers returned together, sharing one set.
    pub fn all(reader: &Reader, models: Vec<speaker::Model>) -> Vec<Self> {
        let set = SpeakerSet::of(reader.clone(), &models);
        models
            .into_iter()
            .map(|m| Self::new(m, set.clone()))
            .collect()
    }

    pub fn one(reader: &Reader, model: speaker::Model) -> Self {
        let set = SpeakerSet::of(reader.clone(), std::slice::from_ref(&model));
        Self::new(model, set)
    }
}

#[Object]
impl Speaker {
    pub async fn id(&self) -> ID {
        GlobalId::new(Kind::Speaker, self.model.id).encode()
    }
    async fn slug(&self) -> &str {
        &self.model.slug
    }
    async fn name(&self) -> &str {
        &self.model.name
    }
    async fn role(&self) -> Option<&str> {
        self.model.role.as_deref()
    }
    async fn organization(&self) -> Option<&str> {
        self.model.organization.as_deref()
    }
    /// Everything this speaker said in articles you can see, newest article first.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, None, child_complexity)")]
    async fn quotes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<QuoteConnection> {
        let reader = reader(ctx);
        if after.is_none()
            && let Some((page, set)) = self.set.first_quotes(self.model.id, first).await.gql()?
        {
            return Ok(connection(
                page,
                TotalCount::SpeakerQuotes(self.set.clone(), self.model.id),
                |quotes| {
                    quotes
                        .into_iter()
                        .map(|q| Quote::new(q, set.clone()))
                        .collect()
                },
            ));
        }
        let filter = QuoteFilter {
            speaker: Some(self.model.slug.clone()),
            ..QuoteFilter::default()
        };
        let args = PageArgs {
            first,
            after,
            ..PageArgs::default()
        };
        let page = quotes::list(&reader.db, reader.visibility, &filter, &args)
            .await
            .gql()?;
        Ok(connection(
            page,
            TotalCount::Quotes(reader.visibility, filter),
            |q| Quote::said_by(reader, q, &self.model),
        ))
    }
    /// The articles you can see that quote this speaker, newest first.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, None, child_complexity)")]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ArticleConnection> {
        let reader = reader(ctx);
        if after.is_none()
            && let Some((page, set)) = self.set.first_articles(self.model.id, first).await.gql()?
        {
            return Ok(connection(
                page,
                TotalCount::SpeakerArticles(self.set.clone(), self.model.id),
                |articles| {
                    articles
                        .into_iter()
                        .map(|a| Article::new(a, set.clone()))
                        .collect()
                },
            ));
        }
        let filter = ArticleFilter {
            speaker: Some(self.model.slug.clone()),
            ..ArticleFilter::default()
        };
        let args = PageArgs {
            first,
            after,
            ..PageArgs::default()
        };
        let page = articles::list(
            &reader.db,
            reader.visibility,
            &filter,
            Default::default(),
            &args,
        )
        .await
        .gql()?;
        Ok(connection(
            page,
            TotalCount::Articles(reader.visibility, filter),
            |a| Article::all(reader, a),
        ))
    }
}
