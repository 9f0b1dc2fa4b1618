//! The query root: what frontends and mobile clients read.

use async_graphql::{Context, ID, Object};
use sea_orm::DatabaseConnection;

use super::{
    ResultExt,
    loaders::{ArticleById, AuthorById, PublicationById, SpeakerById},
    types::{
        Article, ArticleConnection, ArticleFilter, ArticleOrder, Author, GlobalId, Kind, Node,
        Publication, QuoteConnection, QuoteFilter, Speaker, SpeakerConnection, Tag, TotalCount,
        connection, loader,
    },
};
use crate::content::{self, Visibility, articles, catalog, pagination::PageArgs, quotes, speakers};

pub struct QueryRoot;

fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

fn visibility(ctx: &Context<'_>) -> Visibility {
    *ctx.data_unchecked::<Visibility>()
}

#[Object]
impl QueryRoot {
    /// Fetches any object by its id (Relay global object identification).
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let id = GlobalId::decode("id", &id).gql()?;
        let loader = loader(ctx);
        Ok(match id.kind {
            Kind::Article => loader.load_one(ArticleById(id.id)).await.gql()?.map(|a| Node::Article(Article(a))),
            Kind::Speaker => loader.load_one(SpeakerById(id.id)).await.gql()?.map(|s| Node::Speaker(Speaker(s))),
            Kind::Author => loader.load_one(AuthorById(id.id)).await.gql()?.map(|a| Node::Author(a.into())),
            Kind::Publication => loader
                .load_one(PublicationById(id.id))
                .await
                .gql()?
                .map(|p| Node::Publication(Publication(p))),
            Kind::Quote | Kind::KeyPoint | Kind::RelatedLink => None,
        })
    }

    /// One article by slug or by id (give exactly one); null when absent or not visible to you.
    async fn article(
        &self,
        ctx: &Context<'_>,
        slug: Option<String>,
        id: Option<ID>,
    ) -> async_graphql::Result<Option<Article>> {
        let found = match (slug, id) {
            (Some(slug), None) => articles::find_by_slug(db(ctx), visibility(ctx), &slug).await.gql()?,
            (None, Some(id)) => {
                let id = GlobalId::decode("id", &id).gql()?;
                if id.kind != Kind::Article {
                    return Err(content::Error::invalid("id", "is not an Article id")).gql();
                }
                loader(ctx).load_one(ArticleById(id.id)).await.gql()?
            }
            _ => return Err(content::Error::invalid("slug", "give exactly one of `slug` or `id`")).gql(),
        };
        Ok(found.map(Article))
    }

    /// Articles you can see, newest first unless `orderBy` says otherwise. `first`/`last`
    /// are between 0 and 100 (default 20).
    #[allow(clippy::too_many_arguments)]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ArticleFilter>,
        order_by: Option<ArticleOrder>,
    ) -> async_graphql::Result<ArticleConnection> {
        let args = PageArgs { first, after, last, before };
        let filter: articles::ArticleFilter = filter.unwrap_or_default().into();
        let order = order_by.unwrap_or_default().into();
        let page = articles::list(db(ctx), visibility(ctx), &filter, order, &args).await.gql()?;
        Ok(connection(page, TotalCount::Articles(visibility(ctx), filter)))
    }

    async fn speaker(&self, ctx: &Context<'_>, slug: String) -> async_graphql::Result<Option<Speaker>> {
        Ok(speakers::find_by_slug(db(ctx), &slug).await.gql()?.map(Speaker))
    }

    /// Everyone quoted, by slug.
    async fn speakers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<SpeakerConnection> {
        let args = PageArgs { first, after, ..PageArgs::default() };
        let page = speakers::list(db(ctx), &args).await.gql()?;
        Ok(connection(page, TotalCount::Speakers))
    }

    /// Quotes in articles you can see, newest article first, then in article order.
    async fn quotes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<QuoteFilter>,
    ) -> async_graphql::Result<QuoteConnection> {
        let args = PageArgs { first, after, ..PageArgs::default() };
        let filter: quotes::QuoteFilter = filter.unwrap_or_default().into();
        let page = quotes::list(db(ctx), visibility(ctx), &filter, &args).await.gql()?;
        Ok(connection(page, TotalCount::Quotes(visibility(ctx), filter)))
    }

    /// Tags on articles you can see, by slug, with how many such articles carry each.
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Tag>> {
        let counts = catalog::tag_counts(db(ctx), visibility(ctx), None).await.gql()?;
        Ok(counts
            .into_iter()
            .map(|c| Tag::counted(c.id, c.slug, c.article_count))
            .collect())
    }

    /// Every author, by slug.
    async fn authors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Author>> {
        Ok(catalog::authors(db(ctx)).await.gql()?.into_iter().map(Author::from).collect())
    }

    /// Every publication, by slug.
    async fn publications(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Publication>> {
        Ok(catalog::publications(db(ctx)).await.gql()?.into_iter().map(Publication).collect())
    }
}
