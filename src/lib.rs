//! content-api: a headless content API for news articles.
//!
//! Layers, each calling only the one below: [`http`] (actix-web) → [`graphql`] (async-graphql)
//! → [`content`] (the domain, over SeaORM) → `entity` (tables).

pub mod cli;
pub mod config;
/// The domain layer, a crate of its own so that the compiler keeps the layers apart.
pub use content;
pub mod db;
pub mod events;
pub mod graphql;
pub mod http;
pub mod ready;
pub mod telemetry;
pub mod webhooks;
