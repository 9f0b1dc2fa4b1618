//! A speaker: someone quoted, with everything they said.

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
    graphql::ResultExt,
};

#[derive(Clone, Debug)]
pub struct Speaker(pub speaker::Model);

impl From<speaker::Model> for Speaker {
    fn from(m: speaker::Model) -> Self {
        Self(m)
    }
}

#[Object]
impl Speaker {
    pub async fn id(&self) -> ID {
        GlobalId::new(Kind::Speaker, self.0.id).encode()
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn role(&self) -> Option<&str> {
        self.0.role.as_deref()
    }
    async fn organization(&self) -> Option<&str> {
        self.0.organization.as_deref()
    }
    /// Everything this speaker said in articles you can see, newest article first.
    async fn quotes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<QuoteConnection> {
        let reader = reader(ctx);
        let filter = QuoteFilter {
            speaker: Some(self.0.slug.clone()),
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
            |q| Quote::all(reader, q),
        ))
    }
    /// The articles you can see that quote this speaker, newest first.
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ArticleConnection> {
        let reader = reader(ctx);
        let filter = ArticleFilter {
            speaker: Some(self.0.slug.clone()),
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
