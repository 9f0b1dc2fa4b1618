//! SeaORM entities for content-api: one file per table, no GraphQL, no HTTP.

pub mod api_token;
pub mod article;
pub mod article_document;
pub mod article_search_doc;
pub mod article_tag;
pub mod author;
pub mod copyright;
pub mod event;
pub mod key_point;
pub mod publication;
pub mod publication_link;
pub mod quote;
pub mod quote_search_doc;
pub mod related_link;
pub mod speaker;
pub mod tag;
pub mod webhook;
pub mod webhook_delivery;
