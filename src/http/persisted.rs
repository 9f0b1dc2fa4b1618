//! Automatic persisted queries (Apollo's protocol): a client sends the SHA-256 of its query
//! in `extensions.persistedQuery.sha256Hash`, without the text. If this server has seen the
//! query it runs it; if not, the answer is `PersistedQueryNotFound` and the client sends the
//! hash with the text, which registers it. Each replica keeps its own bounded store, so a
//! client meeting a new replica registers again, as the protocol expects.

use std::sync::Arc;

use async_graphql::Value;
use quick_cache::{Weighter, sync::Cache};
use sha2::{Digest, Sha256};

/// Memory for registered queries (their text); the least recently used go first.
const STORE_BYTES: u64 = 8 << 20;
/// Expected registrations, for the store's sizing.
const ESTIMATED_QUERIES: usize = 4_096;

pub const NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
pub const NOT_SUPPORTED: &str = "PERSISTED_QUERY_NOT_SUPPORTED";

/// Why a persisted-query request cannot run.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The hash is not (or no longer) registered here: send the query with it.
    NotFound,
    /// Persisted queries are off, or the request asks for a version other than 1.
    NotSupported,
    /// The extension is malformed, or the hash is not the query's.
    Malformed(String),
}

impl Refusal {
    /// The code and message: the messages are the ones Apollo's clients look for.
    pub fn code_and_message(&self) -> (&'static str, String) {
        match self {
            Self::NotFound => (NOT_FOUND, "PersistedQueryNotFound".to_owned()),
            Self::NotSupported => (NOT_SUPPORTED, "PersistedQueryNotSupported".to_owned()),
            Self::Malformed(message) => ("BAD_REQUEST", message.clone()),
        }
    }
}

#[derive(Clone)]
struct ByLength;

impl Weighter<[u8; 32], Arc<str>> for ByLength {
    fn weight(&self, _: &[u8; 32], query: &Arc<str>) -> u64 {
        query.len() as u64 + 64
    }
}

/// The registered queries, by SHA-256; `None` when persisted queries are off.
pub struct Store(Option<Cache<[u8; 32], Arc<str>, ByLength>>);

impl Store {
    pub fn new(on: bool) -> Self {
        Self(on.then(|| Cache::with_weighter(ESTIMATED_QUERIES, STORE_BYTES, ByLength)))
    }

    /// Fills in the query of a request that sends only a hash; checks the hash of one that
    /// sends both. Returns the hash to register once the query has run, if it is new here.
    pub fn resolve(
        &self,
        request: &mut async_graphql::Request,
    ) -> Result<Option<[u8; 32]>, Refusal> {
        let Some(extension) = request.extensions.get("persistedQuery") else {
            return Ok(None);
        };
        let Some(store) = &self.0 else {
            return Err(Refusal::NotSupported);
        };
        let hash = parse(extension)?;
        if request.query.is_empty() {
            let query = store.get(&hash).ok_or(Refusal::NotFound)?;
            request.query = query.to_string();
            return Ok(None);
        }
        if <[u8; 32]>::from(Sha256::digest(request.query.as_bytes())) != hash {
            return Err(Refusal::Malformed(
                "persistedQuery.sha256Hash is not the SHA-256 of the query".to_owned(),
            ));
        }
        Ok(store.get(&hash).is_none().then_some(hash))
    }

    pub fn register(&self, hash: [u8; 32], query: &str) {
        if let Some(store) = &self.0 {
            store.insert(hash, Arc::from(query));
        }
    }
}

/// `{ "version": 1, "sha256Hash": "<64 hex digits>" }`.
fn parse(extension: &Value) -> Result<[u8; 32], Refusal> {
    let Value::Object(fields) = extension else {
        return Err(Refusal::Malformed(
            "extensions.persistedQuery must be an object".to_owned(),
        ));
    };
    match fields.get("version") {
        Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
        Some(_) => return Err(Refusal::NotSupported),
        None => {
            return Err(Refusal::Malformed(
                "extensions.persistedQuery needs `version: 1`".to_owned(),
            ));
        }
    }
    let hex = match fields.get("sha256Hash") {
        Some(Value::String(hex)) => hex.as_str(),
        _ => "",
    };
    decode_hex(hex).ok_or_else(|| {
        Refusal::Malformed(
            "extensions.persistedQuery.sha256Hash must be 64 hexadecimal digits".to_owned(),
        )
    })
}

fn decode_hex(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str, extension: serde_json::Value) -> async_graphql::Request {
        serde_json::from_value(serde_json::json!({
            "query": query,
            "extensions": { "persistedQuery": extension },
        }))
        .unwrap()
    }

    fn hex(query: &str) -> String {
        Sha256::digest(query.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn a_hash_alone_runs_once_the_query_is_registered() {
        let store = Store::new(true);
        let query = "{ __typename }";
        let ext = serde_json::json!({ "version": 1, "sha256Hash": hex(query) });
        assert_eq!(
            store.resolve(&mut request("", ext.clone())),
            Err(Refusal::NotFound)
        );
        let hash = store.resolve(&mut request(query, ext.clone())).unwrap();
        store.register(hash.expect("new here"), query);
        let mut alone = request("", ext.clone());
        assert_eq!(store.resolve(&mut alone), Ok(None));
        assert_eq!(alone.query, query);
        // Registered already: nothing more to do.
        assert_eq!(store.resolve(&mut request(query, ext)), Ok(None));
    }

    #[test]
    fn bad_extensions_are_refused() {
        let store = Store::new(true);
        let query = "{ __typename }";
        for (ext, expected) in [
            (
                serde_json::json!({ "version": 2, "sha256Hash": hex(query) }),
                "not supported",
            ),
            (serde_json::json!({ "sha256Hash": hex(query) }), "malformed"),
            (
                serde_json::json!({ "version": 1, "sha256Hash": "zz" }),
                "malformed",
            ),
            (
                serde_json::json!({ "version": 1, "sha256Hash": hex("{ other }") }),
                "malformed",
            ),
            (serde_json::json!("hash"), "malformed"),
        ] {
            let got = store.resolve(&mut request(query, ext.clone()));
            let kind = match got {
                Err(Refusal::NotSupported) => "not supported",
                Err(Refusal::Malformed(_)) => "malformed",
                other => panic!("{ext}: {other:?}"),
            };
            assert_eq!(kind, expected, "{ext}");
        }
        let off = Store::new(false);
        let ext = serde_json::json!({ "version": 1, "sha256Hash": hex(query) });
        assert_eq!(
            off.resolve(&mut request("", ext)),
            Err(Refusal::NotSupported)
        );
    }
}
