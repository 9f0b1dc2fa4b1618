//! A speaker: someone quoted, with everything they said.

use std::sync::Arc;

use async_graphql::{Context, ID, Object};

use super::{
    Article, ArticleConnection, GlobalId, Kind, Quote, QuoteConnection, TotalCount, connection,
    reader,
};
use crate::{
    content::{
        articles::{self, ArticleFilter},
        model::{self, BodyFormats},
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
    speaker: model::Speaker,
    set: Arc<SpeakerSet>,
}

impl Speaker {
    pub fn new(speaker: model::Speaker, set: Arc<SpeakerSet>) -> Self {
        Self { speaker, set }
    }

    /// Speakers returned together, sharing one set.
    pub fn all(reader: &Reader, speakers: Vec<model::Speaker>) -> Vec<Self> {
        let set = SpeakerSet::of(reader.clone(), &speakers);
        speakers
            .into_iter()
            .map(|s| Self::new(s, set.clone()))
            .collect()
    }

    pub fn one(reader: &Reader, speaker: model::Speaker) -> Self {
        let set = SpeakerSet::of(reader.clone(), std::slice::from_ref(&speaker));
        Self::new(speaker, set)
    }
}

#[Object(serial)]
impl Speaker {
    pub async fn id(&self) -> ID {
        GlobalId::new(Kind::Speaker, self.speaker.id).encode()
    }
    async fn slug(&self) -> &str {
        &self.speaker.slug
    }
    async fn name(&self) -> &str {
        &self.speaker.name
    }
    async fn role(&self) -> Option<&str> {
        self.speaker.role.as_deref()
    }
    async fn organization(&self) -> Option<&str> {
        self.speaker.organization.as_deref()
    }
    /// Everything this speaker said in articles you can see, newest article first.
    #[graphql(complexity = "crate::graphql::complexity::page_cost(first, None, child_complexity)")]
    async fn quotes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<QuoteConnection> {
        let reader = reader(ctx);
        let id = self.speaker.id;
        if after.is_none()
            && let Some((page, set)) = self.set.first_quotes(id, first).await.gql()?
        {
            let total = TotalCount::SpeakerQuotes(self.set.clone(), id);
            return Ok(connection(page, total, |found| Quote::in_set(found, set)));
        }
        let filter = QuoteFilter {
            speaker: Some(self.speaker.slug.clone()),
            ..QuoteFilter::default()
        };
        let args = PageArgs {
            first,
            after,
            ..PageArgs::default()
        };
        let page = quotes::list(
            &reader.db,
            reader.rankings.as_deref(),
            reader.visibility,
            &filter,
            &args,
        )
        .await
        .gql()?;
        Ok(connection(
            page,
            TotalCount::Quotes(reader.visibility, filter),
            |found| Quote::found(reader, found),
        ))
    }
    /// The articles you can see that quote this speaker, newest first.
    #[graphql(complexity = "crate::graphql::complexity::page_cost(first, None, child_complexity)")]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ArticleConnection> {
        let reader = reader(ctx);
        let id = self.speaker.id;
        if after.is_none()
            && let Some((page, set)) = self.set.first_articles(id, first).await.gql()?
        {
            let total = TotalCount::SpeakerArticles(self.set.clone(), id);
            return Ok(connection(page, total, |reads| {
                reads
                    .into_iter()
                    .map(|read| Article::new(read, set.clone()))
                    .collect()
            }));
        }
        let filter = ArticleFilter {
            speaker: Some(self.speaker.slug.clone()),
            ..ArticleFilter::default()
        };
        let args = PageArgs {
            first,
            after,
            ..PageArgs::default()
        };
        let page = articles::list(
            &reader.db,
            reader.rankings.as_deref(),
            reader.visibility,
            &filter,
            Default::default(),
            &args,
            BodyFormats::NONE,
        )
        .await
        .gql()?;
        Ok(connection(
            page,
            TotalCount::Articles(reader.visibility, filter),
            |reads| Article::all(reader, reads),
        ))
    }
}
