//! Relay global object identification: opaque ids that name their type, and the `Node`
//! interface that `Query.node` resolves.

use async_graphql::{ID, Interface};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use super::{Article, Author, Publication, Speaker};
use crate::content::{Error, Result};

/// Any object that can be fetched again by its id with `Query.node`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque, globally unique identifier."))]
pub enum Node {
    Article(Article),
    Speaker(Speaker),
    Author(Author),
    Publication(Publication),
}

/// The kinds of object an id can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Article,
    Speaker,
    Author,
    Publication,
    Quote,
    KeyPoint,
    RelatedLink,
}

impl Kind {
    /// The GraphQL type of objects of this kind.
    pub fn type_name(self) -> &'static str {
        match self {
            Self::Article => "Article",
            Self::Speaker => "Speaker",
            Self::Author => "Author",
            Self::Publication => "Publication",
            Self::Quote => "Quote",
            Self::KeyPoint => "KeyPoint",
            Self::RelatedLink => "RelatedLink",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [
            Self::Article,
            Self::Speaker,
            Self::Author,
            Self::Publication,
            Self::Quote,
            Self::KeyPoint,
            Self::RelatedLink,
        ]
        .into_iter()
        .find(|k| k.type_name() == name)
    }
}

/// A decoded global id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalId {
    pub kind: Kind,
    pub id: Uuid,
}

impl GlobalId {
    pub fn new(kind: Kind, id: Uuid) -> Self {
        Self { kind, id }
    }

    pub fn encode(self) -> ID {
        ID(URL_SAFE_NO_PAD.encode(format!("{}:{}", self.kind.type_name(), self.id)))
    }

    /// Reads an id this API issued; anything else is `Invalid` for `argument`.
    pub fn decode(argument: &str, id: &str) -> Result<Self> {
        let invalid = || Error::invalid(argument, format!("{id:?} is not an id this API issued"));
        let bytes = URL_SAFE_NO_PAD.decode(id).map_err(|_| invalid())?;
        let text = std::str::from_utf8(&bytes).map_err(|_| invalid())?;
        let (kind, uuid) = text.split_once(':').ok_or_else(invalid)?;
        Ok(Self {
            kind: Kind::from_name(kind).ok_or_else(invalid)?,
            id: Uuid::parse_str(uuid).map_err(|_| invalid())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let id = GlobalId::new(Kind::Quote, Uuid::now_v7());
        assert_eq!(GlobalId::decode("id", &id.encode()).unwrap(), id);
        for bad in [
            "",
            "x",
            "!!!",
            &URL_SAFE_NO_PAD.encode("Nope:1"),
            &URL_SAFE_NO_PAD.encode("Article:nope"),
        ] {
            assert!(GlobalId::decode("id", bad).is_err(), "{bad}");
        }
    }
}
