//! The query root: what frontends and mobile clients read.

use async_graphql::{Context, ID, InputType, Lookahead, Object};

use super::{
    ResultExt,
    types::{
        Article, ArticleConnection, ArticleFilter, ArticleOrder, Author, BodyFormat, GlobalId,
        Kind, Node, Publication, Quote, QuoteConnection, QuoteFilter, Speaker, SpeakerConnection,
        Tag, TotalCount, connection, reader,
    },
};
use crate::content::{
    self,
    articles::{self, ArticleKey},
    catalog,
    model::{self, BodyFormats},
    pagination::PageArgs,
    quotes, speakers,
};

pub struct QueryRoot;

/// The forms of the body asked for by the `body` fields `articles` select: read with the
/// articles, in the same statement.
fn bodies<'a>(articles: impl IntoIterator<Item = Lookahead<'a>>) -> BodyFormats {
    articles
        .into_iter()
        .flat_map(|a| a.field("body").selection_fields())
        .map(|body| {
            let format = body
                .arguments()
                .ok()
                .and_then(|args| args.into_iter().find(|(name, _)| name == "format"))
                .and_then(|(_, value)| BodyFormat::parse(Some(value)).ok());
            format.map_or(model::BodyFormat::Markdown, Into::into)
        })
        .collect()
}

/// One article, with the body forms the selection asks for.
async fn find_article(
    ctx: &Context<'_>,
    key: &ArticleKey,
    bodies: BodyFormats,
) -> content::Result<Option<Article>> {
    let reader = reader(ctx);
    let found = articles::find(&reader.db, reader.visibility, key, bodies).await?;
    Ok(found.map(|read| Article::one(reader, read)))
}

/// The article `article(slug:, id:)` names: exactly one of the two, an id of an article.
pub fn article_key(slug: Option<String>, id: Option<ID>) -> content::Result<ArticleKey> {
    match (slug, id) {
        (Some(slug), None) => Ok(ArticleKey::Slug(slug)),
        (None, Some(id)) => {
            let id = GlobalId::decode("id", &id)?;
            if id.kind != Kind::Article {
                return Err(content::Error::invalid("id", "is not an Article id"));
            }
            Ok(ArticleKey::Id(id.id))
        }
        _ => Err(content::Error::invalid(
            "slug",
            "give exactly one of `slug` or `id`",
        )),
    }
}

/// What `articles(...)` asks for: a page, a filter and an order.
pub struct ListArgs {
    pub page: PageArgs,
    pub filter: articles::ArticleFilter,
    pub order: articles::ArticleOrder,
}

impl ListArgs {
    /// The arguments of `articles`, checked; with no order, best match first for a search,
    /// else newest first.
    pub fn new(
        page: PageArgs,
        filter: Option<ArticleFilter>,
        order_by: Option<ArticleOrder>,
    ) -> content::Result<Self> {
        let filter = filter.unwrap_or_default().into_content("filter")?;
        let order = match order_by {
            Some(order) => order.into(),
            None => articles::ArticleOrder::default_for(&filter),
        };
        Ok(Self {
            page,
            filter,
            order,
        })
    }
}

#[Object(name = "Query")]
impl QueryRoot {
    /// Fetches any object by its id (Relay global object identification).
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let id = GlobalId::decode("id", &id).gql()?;
        let reader = reader(ctx);
        let db = &reader.db;
        Ok(match id.kind {
            Kind::Article => {
                let wanted = bodies([ctx.look_ahead()]);
                find_article(ctx, &ArticleKey::Id(id.id), wanted)
                    .await
                    .gql()?
                    .map(Node::Article)
            }
            Kind::Speaker => speakers::by_ids(db, &[id.id])
                .await
                .gql()?
                .remove(&id.id)
                .map(|s| Node::Speaker(Speaker::one(reader, s))),
            Kind::Author => catalog::find_author(db, id.id)
                .await
                .gql()?
                .map(|a| Node::Author(Author(a))),
            Kind::Publication => catalog::publications_by_ids(db, &[id.id])
                .await
                .gql()?
                .remove(&id.id)
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
        let key = article_key(slug, id).gql()?;
        let wanted = bodies([ctx.look_ahead()]);
        find_article(ctx, &key, wanted).await.gql()
    }

    /// Articles you can see, newest first (best match first for a search) unless `orderBy`
    /// says otherwise. `first`/`last` are between 0 and 100 (default 20).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::graphql::complexity::page_cost(first, last, child_complexity)")]
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
        let page = PageArgs {
            first,
            after,
            last,
            before,
        };
        let ListArgs {
            page,
            filter,
            order,
        } = ListArgs::new(page, filter, order_by).gql()?;
        let look = ctx.look_ahead();
        let wanted = bodies([look.field("nodes"), look.field("edges").field("node")]);
        let reader = reader(ctx);
        let page = articles::list(
            &reader.db,
            reader.rankings.as_deref(),
            reader.visibility,
            &filter,
            order,
            &page,
            wanted,
        )
        .await
        .gql()?;
        let search = filter.search.clone();
        Ok(connection(
            page,
            TotalCount::Articles(reader.visibility, filter),
            |reads| Article::found(reader, reads, search),
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
    #[graphql(complexity = "crate::graphql::complexity::page_cost(first, None, child_complexity)")]
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
    #[graphql(complexity = "crate::graphql::complexity::page_cost(first, None, child_complexity)")]
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
        let page = quotes::list(
            &reader.db,
            reader.rankings.as_deref(),
            reader.visibility,
            &filter,
            &args,
        )
        .await
        .gql()?;
        let search = filter.search.clone();
        Ok(connection(
            page,
            TotalCount::Quotes(reader.visibility, filter),
            |found| Quote::found_by(reader, found, search),
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
            .map(|c| {
                let tag = model::Tag {
                    id: c.id,
                    slug: c.slug,
                };
                Tag::counted(tag, c.article_count)
            })
            .collect())
    }

    /// Every author, by slug.
    async fn authors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Author>> {
        Ok(catalog::authors(&reader(ctx).db)
            .await
            .gql()?
            .into_iter()
            .map(Author)
            .collect())
    }

    /// Every publication, by slug.
    async fn publications(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Publication>> {
        Ok(catalog::publications(&reader(ctx).db)
            .await
            .gql()?
            .into_iter()
            .map(Publication)
            .collect())
    }
}
