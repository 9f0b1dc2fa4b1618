//! Parsed documents that passed the limits, kept by their text: clients send the same few
//! queries again and again, and a known text is neither parsed nor checked twice. Beside each
//! document sits what is compiled from it once: its projection (see
//! [`crate::graphql::projection`]), usable once the document has passed validation.

use std::sync::{
    Arc, OnceLock,
    atomic::{AtomicBool, Ordering},
};

use async_graphql::{
    ServerResult,
    parser::{parse_query, types::ExecutableDocument},
    registry::Registry,
};
use quick_cache::{Weighter, sync::Cache};

use crate::{
    config::QueryLimits,
    graphql::{limits, projection::Projection},
};

/// Memory for parsed documents, by their text.
const DOCUMENTS_BYTES: u64 = 8 << 20;

/// A document that passed the limits.
pub struct Prepared {
    pub doc: ExecutableDocument,
    /// Whether async-graphql has validated the document once: its rules that do not depend on
    /// variables hold for every request with this text.
    validated: AtomicBool,
    /// The document's projection, compiled on first use; `None` when it asks for something
    /// the projection does not answer.
    projection: OnceLock<Option<Projection>>,
}

impl Prepared {
    pub fn is_validated(&self) -> bool {
        self.validated.load(Ordering::Acquire)
    }

    pub fn mark_validated(&self) {
        self.validated.store(true, Ordering::Release);
    }

    /// The projection of the document, compiled the first time it is asked for.
    pub fn projection(&self, registry: &Registry) -> Option<&Projection> {
        self.projection
            .get_or_init(|| Projection::compile(&self.doc, registry))
            .as_ref()
    }
}

/// Parsed documents weigh several times their text.
#[derive(Clone)]
struct ByText;

impl Weighter<Arc<str>, Arc<Prepared>> for ByText {
    fn weight(&self, text: &Arc<str>, _: &Arc<Prepared>) -> u64 {
        text.len() as u64 * 8 + 256
    }
}

pub struct Documents {
    cache: Cache<Arc<str>, Arc<Prepared>, ByText>,
}

impl Documents {
    pub fn new() -> Self {
        Self {
            cache: Cache::with_weighter(1_024, DOCUMENTS_BYTES, ByText),
        }
    }

    /// The document `query` is, parsed and checked against the limits: from memory when this
    /// text was seen before. A syntax error gets the parser's message and
    /// `GRAPHQL_PARSE_FAILED`; a limit, its error.
    pub fn prepare(
        &self,
        query: &str,
        limits: &QueryLimits,
        registry: &Registry,
    ) -> ServerResult<Arc<Prepared>> {
        if let Some(found) = self.cache.get(query) {
            return Ok(found);
        }
        limits::check_text(query, limits)?;
        let doc = parse_query(query).map_err(|err| {
            let mut err = async_graphql::ServerError::from(err);
            err.extensions
                .get_or_insert_with(Default::default)
                .set("code", "GRAPHQL_PARSE_FAILED");
            err
        })?;
        limits::check_document(&doc, limits)?;
        limits::check_variable_types(&doc, &registry.types)?;
        let prepared = Arc::new(Prepared {
            doc,
            validated: AtomicBool::new(false),
            projection: OnceLock::new(),
        });
        self.cache.insert(Arc::from(query), prepared.clone());
        Ok(prepared)
    }
}
