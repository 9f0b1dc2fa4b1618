//! Relay connections: `edges { cursor node }`, `nodes`, `pageInfo`, and a `totalCount` that is
//! counted only when a client asks for it. Fields resolve one after another, so an answer
//! lists them in the order the query selected them whichever finishes first.

use std::sync::Arc;

use async_graphql::{Context, Object, OutputType};
use uuid::Uuid;

use super::{Article, Quote, Speaker, reader};
use crate::{
    content::{Visibility, articles, pagination::Page, quotes, speakers},
    graphql::{ResultExt, batch::SpeakerSet},
};

pub type ArticleConnection = Connection<Article>;
pub type QuoteConnection = Connection<Quote>;
pub type SpeakerConnection = Connection<Speaker>;

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

/// A page of a list.
pub struct Connection<N> {
    page_info: PageInfo,
    edges: Vec<Edge<N>>,
    total: TotalCount,
}

#[Object(
    serial,
    concrete(name = "ArticleConnection", params(Article)),
    concrete(name = "QuoteConnection", params(Quote)),
    concrete(name = "SpeakerConnection", params(Speaker))
)]
impl<N: OutputType> Connection<N>
where
    Edge<N>: OutputType,
{
    /// Information to aid in pagination.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
    /// A list of edges.
    async fn edges(&self) -> &[Edge<N>] {
        &self.edges
    }
    /// A list of nodes.
    async fn nodes(&self) -> Vec<&N> {
        self.edges.iter().map(|e| &e.node).collect()
    }
    /// How many items the whole list has, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let db = &reader(ctx).db;
        let n = match &self.total {
            TotalCount::Articles(visibility, filter) => {
                articles::count(db, *visibility, filter).await
            }
            TotalCount::Quotes(visibility, filter) => quotes::count(db, *visibility, filter).await,
            TotalCount::Speakers => speakers::count(db).await,
            TotalCount::SpeakerQuotes(set, speaker) => set.quote_count(*speaker).await,
            TotalCount::SpeakerArticles(set, speaker) => set.article_count(*speaker).await,
        }
        .gql()?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}

/// One item of a page, and where it is in the list.
pub struct Edge<N> {
    cursor: String,
    node: N,
}

/// An edge in a connection.
#[Object(
    serial,
    concrete(name = "ArticleEdge", params(Article)),
    concrete(name = "QuoteEdge", params(Quote)),
    concrete(name = "SpeakerEdge", params(Speaker))
)]
impl<N: OutputType> Edge<N> {
    /// The item at the end of the edge
    async fn node(&self) -> &N {
        &self.node
    }
    /// A cursor for use in pagination
    async fn cursor(&self) -> &str {
        &self.cursor
    }
}

pub struct PageInfo {
    has_previous_page: bool,
    has_next_page: bool,
    start_cursor: Option<String>,
    end_cursor: Option<String>,
}

/// Information about pagination in a connection
#[Object(serial)]
impl PageInfo {
    /// When paginating backwards, are there more items?
    async fn has_previous_page(&self) -> bool {
        self.has_previous_page
    }
    /// When paginating forwards, are there more items?
    async fn has_next_page(&self) -> bool {
        self.has_next_page
    }
    /// When paginating backwards, the cursor to continue.
    async fn start_cursor(&self) -> Option<&str> {
        self.start_cursor.as_deref()
    }
    /// When paginating forwards, the cursor to continue.
    async fn end_cursor(&self) -> Option<&str> {
        self.end_cursor.as_deref()
    }
}

/// Wraps a page of content items as a connection of their GraphQL type; `wrap` turns the
/// page's items into nodes together, so they can share a batch set.
pub fn connection<M, N>(
    page: Page<M>,
    total: TotalCount,
    wrap: impl FnOnce(Vec<M>) -> Vec<N>,
) -> Connection<N> {
    let (cursors, items): (Vec<String>, Vec<M>) =
        page.edges.into_iter().map(|e| (e.cursor, e.node)).unzip();
    let page_info = PageInfo {
        has_previous_page: page.has_previous_page,
        has_next_page: page.has_next_page,
        start_cursor: cursors.first().cloned(),
        end_cursor: cursors.last().cloned(),
    };
    Connection {
        page_info,
        edges: cursors
            .into_iter()
            .zip(wrap(items))
            .map(|(cursor, node)| Edge { cursor, node })
            .collect(),
        total,
    }
}
