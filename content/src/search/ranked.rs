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

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Select, Statement, Value};
use uuid::Uuid;

use super::{SearchQuery, index::Index};
use crate::{
    Result,
    pagination::{Edge, KeyValue, Page, PageArgs, SortSpec, page_size},
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

/// Whether `hit` comes strictly before `bound` walking in the direction `descending`.
fn before(hit: &Hit, bound: Position, descending: bool) -> bool {
    let ordering = hit.rank.total_cmp(&bound.0).then(hit.doc.cmp(&bound.1));
    if descending {
        ordering.is_gt()
    } else {
        ordering.is_lt()
    }
}

/// The next `limit` matches of `query` in `index`, strictly after `from`, walking in the
/// direction `descending`: one statement over the index alone.
async fn candidates(
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
pub(crate) async fn page<E: EntityTrait>(
    db: &impl ConnectionTrait,
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
        let mut batch = candidates(db, index, query, from, walk_descending, limit).await?;
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

/// The page of `hits` with each hit's node from `nodes`, by owner: a hit whose node is
/// missing (deleted since it was ranked) is an internal error, as a row read in the same
/// statement would never be missing.
pub(crate) fn place<T>(hits: Page<Hit>, mut nodes: HashMap<Uuid, T>) -> Result<Page<T>> {
    let edges = hits
        .edges
        .into_iter()
        .map(|e| {
            let node = nodes.remove(&e.node.owner).ok_or_else(|| {
                anyhow::anyhow!(
                    "{} was found by a search but could not be read",
                    e.node.owner
                )
            })?;
            Ok(Edge {
                cursor: e.cursor,
                node,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Page {
        edges,
        has_next_page: hits.has_next_page,
        has_previous_page: hits.has_previous_page,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
