//! Relay connections: `edges { cursor node }`, `nodes`, `pageInfo`, and a `totalCount` that is
//! counted only when a client asks for it.

use std::sync::Arc;

use async_graphql::{
    Context, Object, OutputType,
    connection::{Connection, Edge},
};
use sea_orm::DatabaseConnection;

use super::{Article, Quote, Speaker};
use crate::{
    content::{Visibility, articles, pagination::Page, quotes, speakers},
    graphql::{ResultExt, batch::SpeakerSet},
};
use uuid::Uuid;

pub type ArticleConnection = Connection<String, Article, TotalCount>;
pub type QuoteConnection = Connection<String, Quote, TotalCount>;
pub type SpeakerConnection = Connection<String, Speaker, TotalCount>;

/// What a connection's `totalCount` counts: the same list, without the page window.
pub enum TotalCount {
    Articles(Visibility, articles::ArticleFilter),
    Quotes(Visibility, quotes::QuoteFilter),
    Speakers,
    /// A speaker's quotes, counted for the whole set of speakers at once.
    SpeakerQuotes(Arc<SpeakerSet>, Uuid),
    /// The articles quoting a speaker, counted for the whole set of speakers at once.
    SpeakerArticles(Arc<SpeakerSet>, Uuid),
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
            Self::SpeakerQuotes(set, speaker) => set.quote_count(*speaker).await,
            Self::SpeakerArticles(set, speaker) => set.article_count(*speaker).await,
        }
        .gql()?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}

/// Wraps a page of models as a connection of their GraphQL type; `wrap` turns the page's
/// models into nodes together, so they can share a batch set.
pub fn connection<M, N>(
    page: Page<M>,
    total: TotalCount,
    wrap: impl FnOnce(Vec<M>) -> Vec<N>,
) -> Connection<String, N, TotalCount>
where
    N: OutputType,
{
    let (cursors, models): (Vec<String>, Vec<M>) =
        page.edges.into_iter().map(|e| (e.cursor, e.node)).unzip();
    let mut connection =
        Connection::with_additional_fields(page.has_previous_page, page.has_next_page, total);
    connection.edges.extend(
        cursors
            .into_iter()
            .zip(wrap(models))
            .map(|(cursor, node)| Edge::new(cursor, node)),
    );
    connection
}
