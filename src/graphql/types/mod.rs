//! GraphQL output and input types, mapped from the content layer's read types and onto its
//! write types. The schema is the contract frontends code against; tables may change beneath
//! it, and this layer never sees one.

mod article;
mod catalog;
mod connection;
mod edits;
mod inputs;
mod node;
mod parts;
mod quote;
mod scalars;
mod speaker;

pub use article::{Article, ArticleStatus, BodyFormat};
pub use catalog::{Author, AuthorKind, Publication, PublicationLink, Tag};
pub use connection::{
    ArticleConnection, Connection, Edge, PageInfo, QuoteConnection, SpeakerConnection, TotalCount,
    connection,
};
pub use edits::{
    ArticleInput, ArticlePatch, AuthorInput, CopyrightInput, PublicationInput,
    PublicationLinkInput, QuoteInput, RelatedLinkInput, SpeakerInput,
};
pub use inputs::{ArticleFilter, ArticleOrder, ArticleOrderField, OrderDirection, QuoteFilter};
pub use node::{GlobalId, Kind, Node};
pub use parts::{Copyright, KeyPoint, LinkRel, RelatedLink};
pub use quote::Quote;
pub use scalars::DateTime;
pub use speaker::Speaker;

use async_graphql::Context;

use super::batch::Reader;

/// Who is reading, and the database (see [`crate::graphql::engine`]).
pub(crate) fn reader<'a>(ctx: &Context<'a>) -> &'a Reader {
    ctx.data_unchecked::<Reader>()
}
