//! The mutation root: what editors' tools and import pipelines write. Every mutation needs a
//! `write` token and runs in one transaction.

use async_graphql::{Context, ID, Object};
use uuid::Uuid;

use super::{
    ResultExt,
    types::{
        Article, ArticleInput, ArticlePatch, Author, AuthorInput, DateTime, GlobalId, Kind,
        Publication, PublicationInput, Speaker, SpeakerInput, reader,
    },
};
use crate::{
    content::{self, Access, editing, ids::Ids},
    graphql::batch::Reader,
};

pub struct MutationRoot;

/// The reader, once its token is known to allow writing.
fn writer<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Reader> {
    ctx.data_unchecked::<Access>().require_write().gql()?;
    Ok(reader(ctx))
}

/// How new rows get their ids.
fn ids(ctx: &Context<'_>) -> Ids {
    *ctx.data_unchecked::<Ids>()
}

fn article_id(id: &ID) -> async_graphql::Result<Uuid> {
    let id = GlobalId::decode("id", id).gql()?;
    if id.kind != Kind::Article {
        return Err(content::Error::invalid("id", "is not an Article id")).gql();
    }
    Ok(id.id)
}

#[Object(name = "Mutation")]
impl MutationRoot {
    /// Creates an article as a DRAFT, with its key points, quotes, links and copyright.
    async fn create_article(
        &self,
        ctx: &Context<'_>,
        input: ArticleInput,
    ) -> async_graphql::Result<Article> {
        let w = writer(ctx)?;
        let created = editing::create_article(&w.db, input.into(), ids(ctx))
            .await
            .gql()?;
        Ok(Article::one(w, created))
    }

    /// Changes an article: absent fields stay as they are; a given list replaces the whole list.
    async fn update_article(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ArticlePatch,
    ) -> async_graphql::Result<Article> {
        let w = writer(ctx)?;
        let patch = editing::ArticlePatch::try_from(input).gql()?;
        let updated = editing::update_article(&w.db, article_id(&id)?, patch, ids(ctx))
            .await
            .gql()?;
        Ok(Article::one(w, updated))
    }

    /// Publishes now, or at `at`: a time in the future schedules the article, hidden from
    /// anonymous readers until then.
    async fn publish_article(
        &self,
        ctx: &Context<'_>,
        id: ID,
        at: Option<DateTime>,
    ) -> async_graphql::Result<Article> {
        let w = writer(ctx)?;
        let published = editing::publish_article(&w.db, article_id(&id)?, at.map(|t| t.0))
            .await
            .gql()?;
        Ok(Article::one(w, published))
    }

    /// Back to DRAFT (the publish time is kept).
    async fn unpublish_article(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Article> {
        let w = writer(ctx)?;
        let draft = editing::unpublish_article(&w.db, article_id(&id)?)
            .await
            .gql()?;
        Ok(Article::one(w, draft))
    }

    async fn archive_article(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Article> {
        let w = writer(ctx)?;
        let archived = editing::archive_article(&w.db, article_id(&id)?)
            .await
            .gql()?;
        Ok(Article::one(w, archived))
    }

    /// Deletes an article and everything that is its own; returns its id.
    async fn delete_article(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let w = writer(ctx)?;
        editing::delete_article(&w.db, article_id(&id)?)
            .await
            .gql()?;
        Ok(id)
    }

    /// Creates or updates a speaker by slug.
    async fn upsert_speaker(
        &self,
        ctx: &Context<'_>,
        input: SpeakerInput,
    ) -> async_graphql::Result<Speaker> {
        let w = writer(ctx)?;
        let speaker = editing::upsert_speaker(&w.db, input.into(), ids(ctx))
            .await
            .gql()?;
        Ok(Speaker::one(w, speaker))
    }

    /// Creates or updates an author by slug.
    async fn upsert_author(
        &self,
        ctx: &Context<'_>,
        input: AuthorInput,
    ) -> async_graphql::Result<Author> {
        let w = writer(ctx)?;
        Ok(Author(
            editing::upsert_author(&w.db, input.into(), ids(ctx))
                .await
                .gql()?,
        ))
    }

    /// Creates or updates a publication by slug; given links replace its footer links.
    async fn upsert_publication(
        &self,
        ctx: &Context<'_>,
        input: PublicationInput,
    ) -> async_graphql::Result<Publication> {
        let w = writer(ctx)?;
        let p = editing::upsert_publication(&w.db, input.into(), ids(ctx))
            .await
            .gql()?;
        Ok(Publication(p))
    }
}
