//! The projection: a query over articles answered straight from their documents.
//!
//! An article's document holds everything on it (see `content::model`). An operation that
//! selects only `article`, `articles` and `__typename` at its root, and below them only what
//! the documents answer (every field of an article, its parts and its connection; with one
//! statement more each, `totalCount`, `searchSnippet` and `tags { articleCount }`), is compiled
//! once, beside its parsed document, into what to write ([`compile`]). Each request then reads
//! its arguments as the schema would ([`args`]), runs one statement per root field plus those
//! extras ([`run`]), and writes the answer's JSON straight from the documents, fields in the
//! order the query selected them ([`write`]): no resolver, context or value tree per field.
//!
//! Anything else, and any request whose variables or arguments the projection cannot read as
//! the schema would, runs through the schema's resolvers, which stay the reference:
//! `tests/differential.rs` sends every query the test suite sends, and generated selections,
//! through both and asserts identical answers.

mod args;
mod compile;
mod run;
mod write;

use async_graphql::{Request, parser::types::ExecutableDocument, registry::Registry};

use self::compile::{Compiler, Fail, Root};
use super::{batch::Reader, engine::Executed};

/// What an operation compiles to.
pub struct Projection {
    compiled: Compiled,
}

enum Compiled {
    Ready(Root),
    /// A `@skip` or `@include` reads a variable: compiled per request.
    PerRequest,
}

impl Projection {
    /// The projection of `doc`, if the documents answer everything it asks.
    pub fn compile(doc: &ExecutableDocument, registry: &Registry) -> Option<Self> {
        let compiled = match Compiler::new(doc, registry, None).root() {
            Ok(root) => Compiled::Ready(root),
            Err(Fail::NeedsVariables) => Compiled::PerRequest,
            Err(Fail::Unsupported | Fail::BadCondition) => return None,
        };
        Some(Self { compiled })
    }

    /// Answers `request`; `None` when the schema should.
    pub async fn run(
        &self,
        doc: &ExecutableDocument,
        request: &Request,
        reader: &Reader,
        registry: &Registry,
    ) -> Option<Executed> {
        let operation = compile::single_query(doc)?;
        let per_request;
        let root = match &self.compiled {
            Compiled::Ready(root) => root,
            Compiled::PerRequest => {
                per_request = Compiler::new(doc, registry, Some(&request.variables))
                    .root()
                    .ok()?;
                &per_request
            }
        };
        run::run(root, operation, request, reader, registry).await
    }
}
