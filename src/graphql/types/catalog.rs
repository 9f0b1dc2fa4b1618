//! Authors, publications and tags.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use entity::{author, publication, tag};
use uuid::Uuid;

use super::{GlobalId, Kind, loader};
use crate::graphql::{
    ResultExt,
    loaders::{ArticleCountOfTag, LinksOfPublication},
};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthorKind {
    Person,
    Organization,
    /// A machine wrote the content, and says so.
    AiModel,
}

/// Who wrote an article: a person, an organization or an AI model.
#[derive(Clone, Debug)]
pub struct Author(pub author::Model);

impl From<author::Model> for Author {
    fn from(m: author::Model) -> Self {
        Self(m)
    }
}

#[Object]
impl Author {
    pub async fn id(&self) -> ID {
        GlobalId::new(Kind::Author, self.0.id).encode()
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> AuthorKind {
        match self.0.kind {
            author::AuthorKind::Person => AuthorKind::Person,
            author::AuthorKind::Organization => AuthorKind::Organization,
            author::AuthorKind::AiModel => AuthorKind::AiModel,
        }
    }
}

/// The outlet an article appears in.
#[derive(Clone, Debug)]
pub struct Publication(pub publication::Model);

#[Object]
impl Publication {
    pub async fn id(&self) -> ID {
        GlobalId::new(Kind::Publication, self.0.id).encode()
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }
    /// A sponsor line to show with the publication's content.
    async fn sponsor_message(&self) -> Option<&str> {
        self.0.sponsor_message.as_deref()
    }
    /// Footer links (privacy, terms, contact), in display order.
    async fn links(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PublicationLink>> {
        let links = loader(ctx).load_one(LinksOfPublication(self.0.id)).await.gql()?;
        Ok(links
            .unwrap_or_default()
            .into_iter()
            .map(|l| PublicationLink {
                label: l.label,
                url: l.url,
            })
            .collect())
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct PublicationLink {
    pub label: String,
    pub url: String,
}

/// A tag, and how many articles you can see carry it.
#[derive(Clone, Debug)]
pub struct Tag {
    id: Uuid,
    slug: String,
    /// Known when the tag came from a count query; otherwise loaded on demand.
    article_count: Option<i64>,
}

impl Tag {
    pub fn counted(id: Uuid, slug: String, article_count: i64) -> Self {
        Self {
            id,
            slug,
            article_count: Some(article_count),
        }
    }
}

impl From<tag::Model> for Tag {
    fn from(m: tag::Model) -> Self {
        Self {
            id: m.id,
            slug: m.slug,
            article_count: None,
        }
    }
}

#[Object]
impl Tag {
    async fn slug(&self) -> &str {
        &self.slug
    }
    /// Articles you can see that carry this tag.
    async fn article_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let count = match self.article_count {
            Some(n) => n,
            None => loader(ctx).load_one(ArticleCountOfTag(self.id)).await.gql()?.unwrap_or(0),
        };
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
    }
}
