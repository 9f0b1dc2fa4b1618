//! Authors, publications and tags.

use std::sync::Arc;

use async_graphql::{Enum, ID, Object, SimpleObject};
use entity::{author, publication, tag};
use uuid::Uuid;

use super::{GlobalId, Kind};
use crate::graphql::{
    ResultExt,
    batch::{PublicationSet, Reader, TagSet},
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

/// The outlet an article appears in, and the set it was returned with.
#[derive(Clone)]
pub struct Publication {
    model: publication::Model,
    set: Arc<PublicationSet>,
}

impl Publication {
    pub fn new(model: publication::Model, set: Arc<PublicationSet>) -> Self {
        Self { model, set }
    }

    /// Publications returned together, sharing one set.
    pub fn all(reader: &Reader, models: Vec<publication::Model>) -> Vec<Self> {
        let set = PublicationSet::new(reader.clone(), models.iter().map(|p| p.id).collect());
        models
            .into_iter()
            .map(|m| Self::new(m, set.clone()))
            .collect()
    }
}

#[Object]
impl Publication {
    pub async fn id(&self) -> ID {
        GlobalId::new(Kind::Publication, self.model.id).encode()
    }
    async fn slug(&self) -> &str {
        &self.model.slug
    }
    async fn name(&self) -> &str {
        &self.model.name
    }
    async fn url(&self) -> Option<&str> {
        self.model.url.as_deref()
    }
    /// A sponsor line to show with the publication's content.
    async fn sponsor_message(&self) -> Option<&str> {
        self.model.sponsor_message.as_deref()
    }
    /// Footer links (privacy, terms, contact), in display order.
    async fn links(&self) -> async_graphql::Result<Vec<PublicationLink>> {
        let links = self.set.links(self.model.id).await.gql()?;
        Ok(links
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
#[derive(Clone)]
pub struct Tag {
    id: Uuid,
    slug: String,
    article_count: TagCount,
}

/// Known when the tag came from a count query; otherwise loaded for the tag's whole set.
#[derive(Clone)]
enum TagCount {
    Known(i64),
    InSet(Arc<TagSet>),
}

impl Tag {
    pub fn counted(id: Uuid, slug: String, article_count: i64) -> Self {
        Self {
            id,
            slug,
            article_count: TagCount::Known(article_count),
        }
    }

    pub fn in_set(m: tag::Model, set: Arc<TagSet>) -> Self {
        Self {
            id: m.id,
            slug: m.slug,
            article_count: TagCount::InSet(set),
        }
    }
}

#[Object]
impl Tag {
    async fn slug(&self) -> &str {
        &self.slug
    }
    /// Articles you can see that carry this tag.
    async fn article_count(&self) -> async_graphql::Result<i32> {
        let count = match &self.article_count {
            TagCount::Known(n) => *n,
            TagCount::InSet(set) => set.article_count(self.id).await.gql()?,
        };
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
    }
}
