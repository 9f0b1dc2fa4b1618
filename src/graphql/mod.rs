//! The GraphQL schema: query root, output types, batch loading and error codes.
//! [`build_schema`] is the one place the schema is made: the server, the tests and the
//! `schema` command all call it, so `schema.graphql` cannot drift unnoticed.

pub mod batch;
mod errors;
pub mod limits;
mod mutation;
mod query;
pub mod types;

use std::sync::{Arc, OnceLock};

use async_graphql::{EmptySubscription, Schema};
use sea_orm::DatabaseConnection;

use crate::{
    config::{ServeSettings, Switch},
    content::Access,
};

pub use errors::{ErrorCodes, ResultExt, TIMEOUT, UNAVAILABLE, graphql_error};
pub use mutation::MutationRoot;
pub use query::QueryRoot;

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// The schema with the server's limits; introspection and suggestions only when switched on.
pub fn build_schema(db: DatabaseConnection, settings: &ServeSettings) -> AppSchema {
    let builder = Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .data(db)
        .extension(limits::Limits::new(settings.limits.clone()))
        .extension(ErrorCodes);
    match settings.introspection {
        Switch::On => builder.finish(),
        Switch::Off => builder
            .disable_introspection()
            .disable_suggestions()
            .finish(),
    }
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    build_schema(DatabaseConnection::default(), &ServeSettings::default()).sdl()
}

/// The name of the operation a request ran, once execution has chosen it (the request may
/// not say: a document with one named operation runs that one). For metrics and logs.
#[derive(Clone, Default)]
pub struct OperationName(Arc<OnceLock<String>>);

impl OperationName {
    pub fn get(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }

    fn set(&self, name: &str) {
        let _ = self.0.set(name.to_owned());
    }
}

/// What one request carries: what its token allows, and so what it may see. Batch sets live
/// in the values a request returns, so nothing is cached across requests or readers.
pub fn prepare(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    access: Access,
) -> (async_graphql::Request, OperationName) {
    let operation = OperationName::default();
    let request = request
        .data(access)
        .data(batch::Reader {
            db: db.clone(),
            visibility: access.visibility(),
        })
        .data(operation.clone());
    (request, operation)
}
