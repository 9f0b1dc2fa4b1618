//! The response cache: anonymous readers' answers, kept in memory and served again while the
//! content they were read from still holds.
//!
//! An entry remembers the [`Stamp`] read before its query ran. A request reads a stamp that
//! began after it arrived (concurrent requests share that read, see [`Watch`]) and is served
//! an entry only if the content version is the same and no scheduled article has been
//! published since. So a write that returned, through this server, another replica or the
//! CLI, is never answered with content from before it.

use std::sync::Arc;

use actix_web::web::Bytes;
use quick_cache::{Weighter, sync::Cache};
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};

use crate::content::{
    self,
    version::{Stamp, Watch},
};

/// Expected entries, for the cache's sizing.
const ESTIMATED_ENTRIES: usize = 4_096;

/// One cached answer.
pub struct Entry {
    pub stamp: Stamp,
    pub body: Bytes,
    pub etag: Arc<str>,
    /// The operation that ran, for the metrics of a hit.
    pub operation: Option<String>,
}

#[derive(Clone)]
struct ByBody;

impl Weighter<[u8; 32], Arc<Entry>> for ByBody {
    fn weight(&self, _: &[u8; 32], entry: &Arc<Entry>) -> u64 {
        (entry.body.len() + entry.etag.len() + 160) as u64
    }
}

pub struct ResponseCache {
    entries: Cache<[u8; 32], Arc<Entry>, ByBody>,
    watch: Arc<Watch>,
}

impl ResponseCache {
    /// A cache over `db`; `counted` is told of each stamp read that bypasses `db`'s pool (see
    /// [`Watch`]).
    pub fn new(
        db: DatabaseConnection,
        megabytes: usize,
        counted: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        let bytes = (megabytes as u64).saturating_mul(1 << 20);
        Self {
            entries: Cache::with_weighter(ESTIMATED_ENTRIES, bytes, ByBody),
            watch: Watch::new(db, counted),
        }
    }

    /// What identifies an answer: the query, the operation and the variables (a SHA-256, so
    /// no request can be made to collide with another's entry).
    pub fn key(request: &async_graphql::Request) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(request.query.as_bytes());
        hash.update([0]);
        if let Some(name) = &request.operation_name {
            hash.update(name.as_bytes());
        }
        hash.update([0]);
        // Variables serialize in the order they came: the same values in another order are
        // another entry, never a wrong one.
        if let Ok(variables) = serde_json::to_vec(&request.variables) {
            hash.update(&variables);
        }
        hash.finalize().into()
    }

    /// A stamp read after this call began.
    pub async fn stamp(&self) -> content::Result<Stamp> {
        self.watch.current().await
    }

    /// The entry for `key` if the content it was read from still holds under `now`.
    pub fn get(&self, key: &[u8; 32], now: &Stamp) -> Option<Arc<Entry>> {
        let entry = self.entries.get(key)?;
        entry.stamp.holds(now).then_some(entry)
    }

    /// Keeps an answer read under `stamp`; returns its ETag.
    pub fn put(
        &self,
        key: [u8; 32],
        stamp: Stamp,
        body: Bytes,
        operation: Option<String>,
    ) -> Arc<str> {
        let etag = etag(&body);
        let entry = Arc::new(Entry {
            stamp,
            // A copy of exactly its length: the answer was written into a buffer that grew by
            // doubling, and keeping that buffer would hold up to twice the bytes the cache
            // counts for the entry.
            body: Bytes::copy_from_slice(&body),
            etag: etag.clone(),
            operation,
        });
        self.entries.insert(key, entry);
        etag
    }
}

/// A strong ETag for a response body: the first 128 bits of its SHA-256.
pub fn etag(body: &[u8]) -> Arc<str> {
    use std::fmt::Write;
    let digest = Sha256::digest(body);
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for byte in &digest[..16] {
        let _ = write!(tag, "{byte:02x}");
    }
    tag.push('"');
    tag.into()
}

/// Whether an `If-None-Match` header names `etag` (or is `*`). Weak validators match too:
/// GET is a safe method, so the weak comparison applies (RFC 9110, 13.1.2).
pub fn matches(if_none_match: &str, etag: &str) -> bool {
    let tag = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    if_none_match.trim() == "*" || if_none_match.split(',').any(|t| tag(t) == tag(etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        let etag = "\"abc\"";
        assert!(matches("\"abc\"", etag));
        assert!(matches("\"x\", W/\"abc\"", etag));
        assert!(matches("*", etag));
        assert!(!matches("\"abd\"", etag));
        assert!(!matches("", etag));
    }

    #[test]
    fn keys_differ_by_query_operation_and_variables() {
        let request = |q: &str, op: Option<&str>, v: serde_json::Value| {
            let mut r =
                async_graphql::Request::new(q).variables(async_graphql::Variables::from_json(v));
            r.operation_name = op.map(str::to_owned);
            ResponseCache::key(&r)
        };
        let base = request("{ a }", None, serde_json::json!({}));
        assert_eq!(base, request("{ a }", None, serde_json::json!({})));
        assert_ne!(base, request("{ b }", None, serde_json::json!({})));
        assert_ne!(base, request("{ a }", Some("A"), serde_json::json!({})));
        assert_ne!(base, request("{ a }", None, serde_json::json!({ "x": 1 })));
        // The separator keeps query and operation name apart.
        assert_ne!(
            request("{ a }A", None, serde_json::json!({})),
            request("{ a }", Some("A"), serde_json::json!({}))
        );
    }
}
