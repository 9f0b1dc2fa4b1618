//! The GraphQL schema and how a request runs: query and mutation roots, output types, batch
//! loading, error codes, limits, the engine that runs a request, and the projection that
//! answers queries over articles straight from their documents.
//! [`build_schema`] is the one place the schema is made: the server, the tests and the
//! `schema` command all call it, so `schema.graphql` cannot drift unnoticed.

pub mod batch;
mod collect;
pub mod complexity;
pub mod engine;
mod errors;
pub mod limits;
mod mutation;
pub mod projection;
pub(crate) mod query;
pub mod subscription;
pub mod types;

use async_graphql::{
    OutputType, Schema, SubscriptionType, parser::types::OperationType, registry::Registry,
};

use crate::config::{ServeSettings, Switch};

pub use errors::{ResultExt, TIMEOUT, UNAVAILABLE, graphql_error};
pub use mutation::MutationRoot;
pub use query::QueryRoot;
pub use subscription::SubscriptionRoot;

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema; introspection and suggestions only when switched on. It has no extensions:
/// what the server checks before and after execution, the engine does (see [`engine`]).
pub fn build_schema(settings: &ServeSettings) -> AppSchema {
    let builder = Schema::build(QueryRoot, MutationRoot, SubscriptionRoot);
    match settings.introspection {
        Switch::On => builder.finish(),
        Switch::Off => builder
            .disable_introspection()
            .disable_suggestions()
            .finish(),
    }
}

/// The schema's types, as async-graphql registers them: what the engine and the projection
/// look types and fields up in.
pub fn registry() -> Registry {
    let mut registry = Registry {
        query_type: QueryRoot::type_name().into_owned(),
        mutation_type: Some(MutationRoot::type_name().into_owned()),
        subscription_type: Some(SubscriptionRoot::type_name().into_owned()),
        ..Registry::default()
    };
    QueryRoot::create_type_info(&mut registry);
    MutationRoot::create_type_info(&mut registry);
    SubscriptionRoot::create_type_info(&mut registry);
    registry
}

/// The root type an operation of type `ty` selects from.
pub fn root_type(registry: &Registry, ty: OperationType) -> &str {
    let root = match ty {
        OperationType::Query => None,
        OperationType::Mutation => registry.mutation_type.as_deref(),
        OperationType::Subscription => registry.subscription_type.as_deref(),
    };
    root.unwrap_or(&registry.query_type)
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    build_schema(&ServeSettings::default()).sdl()
}
