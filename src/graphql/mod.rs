//! The GraphQL schema: query root, output types, batch loading and error codes.
//! [`build_schema`] is the one place the schema is made: the server, the tests and the
//! `schema` command all call it, so `schema.graphql` cannot drift unnoticed.

pub mod batch;
mod errors;
mod mutation;
mod query;
pub mod types;

use async_graphql::{EmptySubscription, Schema};
use sea_orm::DatabaseConnection;

use crate::{config::ServeSettings, content::Access};

pub use errors::{ErrorCodes, ResultExt, graphql_error};
pub use mutation::MutationRoot;
pub use query::QueryRoot;

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

pub fn build_schema(db: DatabaseConnection, _settings: &ServeSettings) -> AppSchema {
    Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .data(db)
        .extension(ErrorCodes)
        .finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    build_schema(DatabaseConnection::default(), &ServeSettings::default()).sdl()
}

/// What one request carries: what its token allows, and so what it may see. Batch sets live
/// in the values a request returns, so nothing is cached across requests or readers.
pub fn prepare(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    access: Access,
) -> async_graphql::Request {
    request.data(access).data(batch::Reader {
        db: db.clone(),
        visibility: access.visibility(),
    })
}
