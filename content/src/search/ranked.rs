//! A page of a search in order of relevance, without ranking every match against the rest of
//! the database: the index ranks its matches alone (SQLite's FTS5 table, Postgres's document
//! table; no join, no read document), the best few candidates are checked for visibility and
//! filters in one statement, and only when too few of them pass is the next, larger set of
//! candidates taken, from where the last one ended. A word found in nearly every article thus
//! costs one pass over the index's matches, not a join and a sort of all of them.
//!
//! Matches are ordered by relevance, then by their search document's id (a number the index
//! holds, so the order is the index's own and each set of candidates continues exactly where
//! the one before ended). A cursor holds both.
//!
//! A server keeps the rankings of recent searches ([`Rankings`]) for the content version they
//! were made at: until the next write, a search is ranked once, whoever reads it and whatever
//! page and filters they ask for; concurrent readers of the same search wait for that one
//! ranking. Visibility and filters are still checked, and documents read, for each request.
//!
//! A server keeps the rankings of recent searches ([`Rankings`]) for the content version they
//! were made at: until the next write, a search is ranked once, whoever reads it and whatever
//! page and filters they ask for; concurrent readers of the same search wait for that one
//! ranking. Visibility and filters are still checked, and documents read, for each request.

use std::{
    cmp::Ordering,
    collections::{HashMap, HashSet},
    sync::{Arc, OnceLock},
};

use quick_cache::{Weighter, sync::Cache};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Select, Statement, Value,
};
use uuid::Uuid;

use super::{SearchQuery, index::Index};
use crate::{
    Result,
    pagination::{Edge, KeyValue, Page, PageArgs, SortSpec, page_size},
    version::Watch,
};

/// Candidates in the first set: enough for a page when a few do not pass.
const FIRST_CANDIDATES: usize = 40;
/// Each further set is this many times larger than the one before.
const GROWTH: usize = 8;

/// One match: the article or quote, its relevance and its search document.
#[derive(Clone, Debug)]
pub struct Hit {
    pub owner: Uuid,
    pub rank: f64,
    doc: i64,
}

impl Hit {
    fn key(&self) -> Vec<KeyValue> {
        vec![KeyValue::Float(self.rank), KeyValue::Long(self.doc)]
    }
}

/// The position of a cursor: a relevance and a document id.
type Position = (f64, i64);

fn position(key: &[KeyValue]) -> Option<Position> {
    match key {
        [KeyValue::Float(rank), KeyValue::Long(doc)] => Some((*rank, *doc)),
        _ => None,
    }
}

/// Where `hit` comes against `bound` walking in the direction `descending`: `Less` is before.
fn walk_order(hit: &Hit, bound: Position, descending: bool) -> Ordering {
    let ordering = hit.rank.total_cmp(&bound.0).then(hit.doc.cmp(&bound.1));
    if descending {
        ordering.reverse()
    } else {
        ordering
    }
}

/// Whether `hit` comes strictly before `bound` walking in the direction `descending`.
fn before(hit: &Hit, bound: Position, descending: bool) -> bool {
    walk_order(hit, bound, descending).is_lt()
}

/// Most matches one ranking keeps (some 500 pages); a walk deeper than that goes to the index.
const KEPT_PER_RANKING: usize = 10_000;
/// Matches a new ranking keeps at least: ranking costs one pass over the matches whatever the
/// limit, so the next pages come with the first.
const KEPT_AT_FIRST: usize = 1_000;
/// Matches all rankings keep together (some 40 bytes each).
const KEPT_IN_ALL: u64 = 500_000;

/// Rankings of recent searches, by content version: see the module's documentation.
pub struct Rankings {
    db: DatabaseConnection,
    counted: Arc<dyn Fn() + Send + Sync>,
    /// Opened at the first search: a server that is never searched reads no version for it.
    watch: OnceLock<Arc<Watch>>,
    entries: Cache<RankingKey, Arc<Ranking>, ByHits>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct RankingKey {
    version: i64,
    index: &'static str,
    query: String,
    descending: bool,
}

/// The best matches of a search from the top, in walking order.
struct Ranking {
    hits: Vec<Hit>,
    /// Whether these are all its matches.
    complete: bool,
}

impl Ranking {
    /// How many of the kept hits come at or before `from`.
    fn start(&self, from: Option<Position>, descending: bool) -> usize {
        from.map_or(0, |p| {
            self.hits
                .partition_point(|h| walk_order(h, p, descending).is_le())
        })
    }

    /// The next `limit` hits after `from`, if this ranking holds them.
    fn after(&self, from: Option<Position>, descending: bool, limit: usize) -> Option<Vec<Hit>> {
        let start = self.start(from, descending);
        let end = start.saturating_add(limit);
        (self.complete || end <= self.hits.len())
            .then(|| self.hits[start..end.min(self.hits.len())].to_vec())
    }
}

#[derive(Clone)]
struct ByHits;

impl Weighter<RankingKey, Arc<Ranking>> for ByHits {
    fn weight(&self, _: &RankingKey, ranking: &Arc<Ranking>) -> u64 {
        ranking.hits.len() as u64 + 1
    }
}

impl Rankings {
    /// Rankings over `db`; `counted` is told of each version read that bypasses `db`'s pool
    /// (see [`Watch`]).
    pub fn new(db: DatabaseConnection, counted: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            db,
            counted: Arc::new(counted),
            watch: OnceLock::new(),
            entries: Cache::with_weighter(1_000, KEPT_IN_ALL, ByHits),
        }
    }

    fn watch(&self) -> &Arc<Watch> {
        self.watch.get_or_init(|| {
            let counted = self.counted.clone();
            Watch::new(self.db.clone(), move || counted())
        })
    }
}

/// The next `limit` matches after `from`: from the ranking kept for the current content
/// version when it holds them, else from the index (and kept for the next request when the
/// walk is shallow enough).
async fn candidates(
    db: &impl ConnectionTrait,
    rankings: Option<&Rankings>,
    index: &Index,
    query: &SearchQuery,
    from: Option<Position>,
    descending: bool,
    limit: usize,
) -> Result<Vec<Hit>> {
    let Some(rankings) = rankings else {
        return from_index(db, index, query, from, descending, limit).await;
    };
    let key = RankingKey {
        version: rankings.watch().current().await?.version,
        index: index.fts,
        query: query.fts5(),
        descending,
    };
    // A ranking for this version that holds the hits asked for answers; else the walk's depth
    // from the top says how many to rank and keep.
    let (guard, kept_before) = match rankings.entries.get_value_or_guard_async(&key).await {
        Ok(ranking) => match ranking.after(from, descending, limit) {
            Some(hits) => return Ok(hits),
            None => (None, ranking.start(from, descending)),
        },
        Err(guard) => (Some(guard), 0),
    };
    let depth = kept_before.saturating_add(limit);
    if depth > KEPT_PER_RANKING {
        return from_index(db, index, query, from, descending, limit).await;
    }
    let kept = depth.max(KEPT_AT_FIRST);
    let hits = from_index(db, index, query, None, descending, kept).await?;
    let ranking = Arc::new(Ranking {
        complete: hits.len() < kept,
        hits,
    });
    let wanted = ranking.after(from, descending, limit);
    match guard {
        Some(guard) => {
            let _ = guard.insert(ranking);
        }
        None => rankings.entries.insert(key, ranking),
    }
    match wanted {
        Some(hits) => Ok(hits),
        // The cursor lies deeper than what was kept.
        None => from_index(db, index, query, from, descending, limit).await,
    }
}

/// The next `limit` matches of `query` in `index`, strictly after `from`, walking in the
/// direction `descending`: one statement over the index alone.
async fn from_index(
    db: &impl ConnectionTrait,
    index: &Index,
    query: &SearchQuery,
    from: Option<Position>,
    descending: bool,
    limit: usize,
) -> Result<Vec<Hit>> {
    let backend = db.get_database_backend();
    let (dir, beyond) = if descending {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    let Index {
        fts,
        docs,
        owner,
        bm25,
        ..
    } = index;
    let postgres = backend == DbBackend::Postgres;
    let matches = if postgres {
        format!(
            "SELECT id, {owner} AS owner, ts_rank_cd(document, CAST($1 AS tsquery))::float8 \
             AS rank FROM {docs} WHERE document @@ CAST($1 AS tsquery)"
        )
    } else {
        format!("SELECT rowid AS id, -bm25({fts}, {bm25}) AS rank FROM {fts} WHERE {fts} MATCH ?")
    };
    let mut values: Vec<Value> = vec![if postgres {
        query.tsquery().into()
    } else {
        query.fts5().into()
    }];
    let condition = match from {
        Some((rank, doc)) => {
            let (r, d) = if postgres { ("$2", "$3") } else { ("?", "?") };
            values.push(rank.into());
            if !postgres {
                values.push(rank.into());
            }
            values.push(doc.into());
            format!("WHERE c.rank {beyond} {r} OR (c.rank = {r} AND c.id {beyond} {d})")
        }
        None => String::new(),
    };
    let owned = if postgres { ", c.owner" } else { "" };
    let ranked = format!(
        "SELECT c.id, c.rank{owned} FROM ({matches}) c {condition} \
         ORDER BY c.rank {dir}, c.id {dir} LIMIT {limit}"
    );
    // On SQLite the index holds no owner: the candidates, and only they, are joined to their
    // documents.
    let sql = if postgres {
        ranked
    } else {
        format!(
            "SELECT r.id, r.rank, d.{owner} AS owner FROM ({ranked}) r \
             JOIN {docs} d ON d.id = r.id ORDER BY r.rank {dir}, r.id {dir}"
        )
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Hit {
                owner: row.try_get("", "owner")?,
                rank: row.try_get("", "rank")?,
                doc: row.try_get("", "id")?,
            })
        })
        .collect()
}

/// One page of the matches of `query` in `index` that `visible` keeps (given owners, it
/// selects the ids of those that may be listed), in order of relevance, `descending` or not.
/// `sort` names the order in cursors.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn page<E: EntityTrait>(
    db: &impl ConnectionTrait,
    rankings: Option<&Rankings>,
    index: &Index,
    query: &SearchQuery,
    sort: &SortSpec,
    descending: bool,
    args: &PageArgs,
    visible: impl Fn(Vec<Uuid>) -> Select<E>,
) -> Result<Page<Hit>> {
    let (size, forward) = page_size(args)?;
    let template = [KeyValue::Float(0.0), KeyValue::Long(0)];
    let cursor = |argument: &str, value: &Option<String>| -> Result<Option<Position>> {
        value
            .as_deref()
            .map(|c| Ok(position(&sort.decode(argument, c, &template)?).unwrap_or_default()))
            .transpose()
    };
    let after = cursor("after", &args.after)?;
    let before_cursor = cursor("before", &args.before)?;
    if size == 0 {
        return Ok(Page::empty());
    }
    // Walk from one cursor toward the other, in the direction the page is read.
    let (mut from, until, walk_descending) = if forward {
        (after, before_cursor, descending)
    } else {
        (before_cursor, after, !descending)
    };
    let wanted = size as usize + 1;
    let mut found: Vec<Hit> = Vec::with_capacity(wanted);
    let mut limit = FIRST_CANDIDATES.max(4 * wanted);
    loop {
        let mut batch =
            candidates(db, rankings, index, query, from, walk_descending, limit).await?;
        let complete = batch.len() < limit;
        let past = batch
            .iter()
            .position(|h| until.is_some_and(|u| !before(h, u, walk_descending)));
        let ended = complete || past.is_some();
        if let Some(end) = past {
            batch.truncate(end);
        }
        from = batch.last().map(|h| (h.rank, h.doc));
        let owners: Vec<Uuid> = batch.iter().map(|h| h.owner).collect();
        let kept: HashSet<Uuid> = if owners.is_empty() {
            HashSet::new()
        } else {
            visible(owners)
                .into_tuple::<Uuid>()
                .all(db)
                .await?
                .into_iter()
                .collect()
        };
        found.extend(batch.into_iter().filter(|h| kept.contains(&h.owner)));
        if ended || found.len() >= wanted {
            break;
        }
        limit = limit.saturating_mul(GROWTH);
    }
    let more = found.len() > size as usize;
    found.truncate(size as usize);
    if !forward {
        found.reverse();
    }
    let edges = found
        .into_iter()
        .map(|hit| Edge {
            cursor: sort.encode(hit.key()),
            node: hit,
        })
        .collect();
    let (has_next_page, has_previous_page) = if forward {
        (more, after.is_some())
    } else {
        (before_cursor.is_some(), more)
    };
    Ok(Page {
        edges,
        has_next_page,
        has_previous_page,
    })
}

/// The page of `hits` with each hit's node from `nodes`, by owner. A hit whose node is
/// missing was deleted between the statement that found it and the one that read it, by a
/// write that committed in between: it is left out, as the next read would leave it out.
pub(crate) fn place<T>(hits: Page<Hit>, mut nodes: HashMap<Uuid, T>) -> Page<T> {
    Page {
        edges: hits
            .edges
            .into_iter()
            .filter_map(|e| {
                Some(Edge {
                    cursor: e.cursor,
                    node: nodes.remove(&e.node.owner)?,
                })
            })
            .collect(),
        has_next_page: hits.has_next_page,
        has_previous_page: hits.has_previous_page,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ranking_answers_only_what_it_holds() {
        let hit = |rank, doc| Hit {
            owner: Uuid::nil(),
            rank,
            doc,
        };
        let partial = Ranking {
            hits: vec![hit(3.0, 1), hit(2.0, 5), hit(2.0, 4), hit(1.0, 9)],
            complete: false,
        };
        let docs =
            |hits: Option<Vec<Hit>>| hits.map(|h| h.iter().map(|h| h.doc).collect::<Vec<_>>());
        assert_eq!(docs(partial.after(None, true, 2)), Some(vec![1, 5]));
        assert_eq!(
            docs(partial.after(Some((2.0, 5)), true, 2)),
            Some(vec![4, 9])
        );
        // Past what it holds, an incomplete ranking does not know.
        assert_eq!(docs(partial.after(Some((2.0, 5)), true, 3)), None);
        assert_eq!(partial.start(Some((2.0, 4)), true), 3);
        let complete = Ranking {
            complete: true,
            ..partial
        };
        assert_eq!(docs(complete.after(Some((2.0, 4)), true, 5)), Some(vec![9]));
        assert_eq!(docs(complete.after(Some((1.0, 9)), true, 5)), Some(vec![]));
    }

    #[test]
    fn walking_order_is_relevance_then_document() {
        let hit = |rank, doc| Hit {
            owner: Uuid::nil(),
            rank,
            doc,
        };
        assert!(before(&hit(2.0, 1), (1.0, 9), true));
        assert!(before(&hit(1.0, 9), (1.0, 8), true));
        assert!(!before(&hit(1.0, 8), (1.0, 8), true));
        assert!(before(&hit(1.0, 7), (1.0, 8), false));
        assert!(!before(&hit(2.0, 1), (1.0, 9), false));
    }
}
