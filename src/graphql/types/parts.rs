//! The parts of an article: key points, related links, copyright.

use async_graphql::{Enum, ID, Object};

use super::{GlobalId, Kind};
use crate::content::{self, model};

#[derive(Clone, Debug)]
pub struct KeyPoint(pub model::KeyPoint);

/// One entry of the ordered bullet list at the top of a story.
#[Object(serial)]
impl KeyPoint {
    async fn id(&self) -> ID {
        GlobalId::new(Kind::KeyPoint, self.0.id).encode()
    }
    /// 1-based.
    async fn position(&self) -> i32 {
        self.0.position
    }
    async fn text(&self) -> &str {
        &self.0.text
    }
}

/// How a link relates to the article.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "content::LinkRel")]
pub enum LinkRel {
    /// The article's own canonical location.
    Canonical,
    /// A source the article draws on.
    Source,
    /// Further reading.
    Related,
}

#[derive(Clone, Debug)]
pub struct RelatedLink(pub model::RelatedLink);

#[Object(serial)]
impl RelatedLink {
    async fn id(&self) -> ID {
        GlobalId::new(Kind::RelatedLink, self.0.id).encode()
    }
    /// 1-based.
    async fn position(&self) -> i32 {
        self.0.position
    }
    async fn url(&self) -> &str {
        &self.0.url
    }
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
    async fn rel(&self) -> LinkRel {
        self.0.rel.into()
    }
}

#[derive(Clone, Debug)]
pub struct Copyright(pub model::Copyright);

/// Who holds the rights to an article, and on what terms.
#[Object(serial)]
impl Copyright {
    async fn holder(&self) -> &str {
        &self.0.holder
    }
    async fn notice(&self) -> &str {
        &self.0.notice
    }
    async fn year(&self) -> Option<i32> {
        self.0.year
    }
    async fn license(&self) -> Option<&str> {
        self.0.license.as_deref()
    }
}
