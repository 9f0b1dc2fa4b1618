//! The parts of an article: key points, related links, copyright.

use async_graphql::{Enum, ID, SimpleObject};
use entity::{copyright, key_point, related_link};

use super::{GlobalId, Kind};

/// One entry of the ordered bullet list at the top of a story.
#[derive(SimpleObject, Clone, Debug)]
pub struct KeyPoint {
    pub id: ID,
    /// 1-based.
    pub position: i32,
    pub text: String,
}

impl From<key_point::Model> for KeyPoint {
    fn from(m: key_point::Model) -> Self {
        Self {
            id: GlobalId::new(Kind::KeyPoint, m.id).encode(),
            position: m.position,
            text: m.text,
        }
    }
}

/// How a link relates to the article.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkRel {
    /// The article's own canonical location.
    Canonical,
    /// A source the article draws on.
    Source,
    /// Further reading.
    Related,
}

impl From<related_link::LinkRel> for LinkRel {
    fn from(r: related_link::LinkRel) -> Self {
        match r {
            related_link::LinkRel::Canonical => Self::Canonical,
            related_link::LinkRel::Source => Self::Source,
            related_link::LinkRel::Related => Self::Related,
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct RelatedLink {
    pub id: ID,
    /// 1-based.
    pub position: i32,
    pub url: String,
    pub title: Option<String>,
    pub rel: LinkRel,
}

impl From<related_link::Model> for RelatedLink {
    fn from(m: related_link::Model) -> Self {
        Self {
            id: GlobalId::new(Kind::RelatedLink, m.id).encode(),
            position: m.position,
            url: m.url,
            title: m.title,
            rel: m.rel.into(),
        }
    }
}

/// Who holds the rights to an article, and on what terms.
#[derive(SimpleObject, Clone, Debug)]
pub struct Copyright {
    pub holder: String,
    pub notice: String,
    pub year: Option<i32>,
    pub license: Option<String>,
}

impl From<copyright::Model> for Copyright {
    fn from(m: copyright::Model) -> Self {
        Self {
            holder: m.holder,
            notice: m.notice,
            year: m.year,
            license: m.license,
        }
    }
}
