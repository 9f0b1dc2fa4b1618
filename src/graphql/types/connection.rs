//! Relay connections: `edges { cursor node }`, `nodes`, `pageInfo`, and a `totalCount` that is
//! counted only when a client asks for it.

use async_graphql::{
    Context, Object, OutputType,
    connection::{Connection, Edge},
};
use sea_orm::DatabaseConnection;

use super::{Article, Quote, Speaker};
use crate::{
    content::{Visibility, articles, pagination::Page, quotes, speakers},
    graphql::ResultExt,
};

pub type ArticleConnection = Connection<String, Article, TotalCount>;
pub type QuoteConnection = Connection<String, Quote, TotalCount>;
pub type SpeakerConnection = Connection<String, Speaker, TotalCount>;

/// What a connection's `totalCount` counts: the same list, without the page window.
pub enum TotalCount {
    Articles(Visibility, articles::ArticleFilter),
    Quotes(Visibility, quotes::QuoteFilter),
    Speakers,
}

#[Object]
impl TotalCount {
    /// How many items the whole list has, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let n = match self {
            Self::Articles(visibility, filter) => articles::count(db, *visibility, filter).await,
            Self::Quotes(visibility, filter) => quotes::count(db, *visibility, filter).await,
            Self::Speakers => speakers::count(db).await,
        }
        .gql()?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}

/// Wraps a page of models as a connection of their GraphQL type.
pub fn connection<M, N>(page: Page<M>, total: TotalCount) -> Connection<String, N, TotalCount>
where
    N: From<M> + OutputType,
{
    let mut connection = Connection::with_additional_fields(page.has_previous_page, page.has_next_page, total);
    connection
        .edges
        .extend(page.edges.into_iter().map(|e| Edge::new(e.cursor, N::from(e.node))));
    connection
}
