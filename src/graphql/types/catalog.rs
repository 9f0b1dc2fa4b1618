//! Authors, publications and tags.

use std::sync::Arc;

use async_graphql::{Enum, ID, Object};

use super::{GlobalId, Kind};
use crate::{
    content::{self, model},
    graphql::{ResultExt, batch::TagSet},
};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "content::AuthorKind")]
pub enum AuthorKind {
    Person,
    Organization,
    /// A machine wrote the content, and says so.
    AiModel,
}

/// Who wrote an article: a person, an organization or an AI model.
#[derive(Clone, Debug)]
pub struct Author(pub model::Author);

#[Object(serial)]
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
        self.0.kind.into()
    }
}

/// The outlet an article appears in.
#[derive(Clone, Debug)]
pub struct Publication(pub model::Publication);

#[Object(serial)]
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
    async fn links(&self) -> Vec<PublicationLink> {
        self.0.links.iter().cloned().map(PublicationLink).collect()
    }
}

#[derive(Clone, Debug)]
pub struct PublicationLink(pub model::PublicationLink);

#[Object(serial)]
impl PublicationLink {
    async fn label(&self) -> &str {
        &self.0.label
    }
    async fn url(&self) -> &str {
        &self.0.url
    }
}

/// A tag, and how many articles you can see carry it.
#[derive(Clone)]
pub struct Tag {
    tag: model::Tag,
    article_count: TagCount,
}

/// Known when the tag came from a count query; otherwise loaded for the tag's whole set.
#[derive(Clone)]
enum TagCount {
    Known(i64),
    InSet(Arc<TagSet>),
}

impl Tag {
    pub fn counted(tag: model::Tag, article_count: i64) -> Self {
        Self {
            tag,
            article_count: TagCount::Known(article_count),
        }
    }

    pub fn in_set(tag: model::Tag, set: Arc<TagSet>) -> Self {
        Self {
            tag,
            article_count: TagCount::InSet(set),
        }
    }
}

#[Object(serial)]
impl Tag {
    async fn slug(&self) -> &str {
        &self.tag.slug
    }
    /// Articles you can see that carry this tag.
    async fn article_count(&self) -> async_graphql::Result<i32> {
        let count = match &self.article_count {
            TagCount::Known(n) => *n,
            TagCount::InSet(set) => set.article_count(self.tag.id).await.gql()?,
        };
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
    }
}
