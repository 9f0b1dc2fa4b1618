//! The query root: what frontends and mobile clients read.

use async_graphql::{Context, ID, Object};

use super::{
    ResultExt,
    batch::{PublicationSet, Reader},
    types::{
        Article, ArticleConnection, ArticleFilter, ArticleOrder, Author, GlobalId, Kind, Node,
        Publication, Quote, QuoteConnection, QuoteFilter, Speaker, SpeakerConnection, Tag,
        TotalCount, connection, reader,
    },
};
use crate::content::{
    self,
    articles::{self, ArticleKey},
    catalog,
    pagination::PageArgs,
    quotes, speakers,
};

pub struct QueryRoot;

/// The article with `id`, if the reader may see it.
/// One article, with its copyright (the detail query reads everything on it).
async fn find_article(reader: &Reader, key: ArticleKey<'_>) -> content::Result<Option<Article>> {
    let found = articles::find_with_copyright(&reader.db, reader.visibility, key).await?;
    Ok(found.map(|(a, copyright)| Article::one_with_copyright(reader, a, copyright)))
}

#[Object(name = "Query")]
impl QueryRoot {
    /// Fetches any object by its id (Relay global object identification).
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let id = GlobalId::decode("id", &id).gql()?;
        let reader = reader(ctx);
        let db = &reader.db;
        Ok(match id.kind {
            Kind::Article => find_article(reader, ArticleKey::Id(id.id))
                .await
                .gql()?
                .map(Node::Article),
            Kind::Speaker => speakers::by_ids(db, &[id.id])
                .await
                .gql()?
                .remove(&id.id)
                .map(|s| Node::Speaker(Speaker::one(reader, s))),
            Kind::Author => catalog::find_author(db, id.id)
                .await
                .gql()?
                .map(|a| Node::Author(a.into())),
            Kind::Publication => catalog::publications_by_ids(db, &[id.id])
                .await
                .gql()?
                .remove(&id.id)
                .map(|p| {
                    Node::Publication(Publication::new(
                        p,
                        PublicationSet::new(reader.clone(), vec![id.id]),
                    ))
                }),
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
        let reader = reader(ctx);
        match (slug, id) {
            (Some(slug), None) => find_article(reader, ArticleKey::Slug(&slug)).await.gql(),
            (None, Some(id)) => {
                let id = GlobalId::decode("id", &id).gql()?;
                if id.kind != Kind::Article {
                    return Err(content::Error::invalid("id", "is not an Article id")).gql();
                }
                find_article(reader, ArticleKey::Id(id.id)).await.gql()
            }
            _ => Err(content::Error::invalid(
                "slug",
                "give exactly one of `slug` or `id`",
            ))
            .gql(),
        }
    }

    /// Articles you can see, newest first (best match first for a search) unless `orderBy`
    /// says otherwise. `first`/`last` are between 0 and 100 (default 20).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, last, child_complexity)")]
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
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let filter = filter.unwrap_or_default().into_content("filter").gql()?;
        let order = match order_by {
            Some(order) => order.into(),
            None => articles::ArticleOrder::default_for(&filter),
        };
        let reader = reader(ctx);
        let page = articles::list(&reader.db, reader.visibility, &filter, order, &args)
            .await
            .gql()?;
        let search = filter.search.clone();
        Ok(connection(
            page,
            TotalCount::Articles(reader.visibility, filter),
            |a| Article::found(reader, a, search),
        ))
    }

    async fn speaker(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<Speaker>> {
        let reader = reader(ctx);
        Ok(speakers::find_by_slug(&reader.db, &slug)
            .await
            .gql()?
            .map(|s| Speaker::one(reader, s)))
    }

    /// Everyone quoted, by slug.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, None, child_complexity)")]
    async fn speakers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<SpeakerConnection> {
        let args = PageArgs {
            first,
            after,
            ..PageArgs::default()
        };
        let reader = reader(ctx);
        let page = speakers::list(&reader.db, &args).await.gql()?;
        Ok(connection(page, TotalCount::Speakers, |s| {
            Speaker::all(reader, s)
        }))
    }

    /// Quotes in articles you can see, newest article first, then in article order; for a
    /// search, best match first.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, None, child_complexity)")]
    async fn quotes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<QuoteFilter>,
    ) -> async_graphql::Result<QuoteConnection> {
        let args = PageArgs {
            first,
            after,
            ..PageArgs::default()
        };
        let filter = filter.unwrap_or_default().into_content("filter").gql()?;
        let reader = reader(ctx);
        let page = quotes::list(&reader.db, reader.visibility, &filter, &args)
            .await
            .gql()?;
        Ok(connection(
            page,
            TotalCount::Quotes(reader.visibility, filter),
            |q| Quote::all(reader, q),
        ))
    }

    /// Tags on articles you can see, by slug, with how many such articles carry each.
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Tag>> {
        let reader = reader(ctx);
        let counts = catalog::tag_counts(&reader.db, reader.visibility)
            .await
            .gql()?;
        Ok(counts
            .into_iter()
            .map(|c| Tag::counted(c.id, c.slug, c.article_count))
            .collect())
    }

    /// Every author, by slug.
    async fn authors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Author>> {
        Ok(catalog::authors(&reader(ctx).db)
            .await
            .gql()?
            .into_iter()
            .map(Author::from)
            .collect())
    }

    /// Every publication, by slug.
    async fn publications(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Publication>> {
        let reader = reader(ctx);
        Ok(Publication::all(
            reader,
            catalog::publications(&reader.db).await.gql()?,
        ))
    }
}
