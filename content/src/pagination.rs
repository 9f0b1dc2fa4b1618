//! Relay-style cursor pagination over a keyset, so page 500 costs what page 1 costs.
//!
//! A list is sorted by a [`SortSpec`]: columns, each ascending or descending, the last of them
//! unique. A cursor is the sort key of an item, encoded opaquely with the sort it belongs to.
//! NULLs (only an unpublished article's `published_at`) sort last in the forward order.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use sea_orm::{
    ConnectionTrait, EntityTrait, FromQueryResult, Order, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select,
    sea_query::{
        Alias, Asterisk, Condition, Expr, ExprTrait, NullOrdering, OverStatement, Query,
        SimpleExpr, WindowStatement,
    },
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Error, Result};

pub const DEFAULT_PAGE_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;

/// The four Relay arguments, as a client sent them.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    pub fn first(first: i32) -> Self {
        Self {
            first: Some(first),
            ..Self::default()
        }
    }
}

/// One page of a list, with each item's cursor.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub edges: Vec<Edge<T>>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

#[derive(Clone, Debug)]
pub struct Edge<T> {
    pub cursor: String,
    pub node: T,
}

impl<T> Page<T> {
    /// A page with nothing on it and nothing around it.
    pub fn empty() -> Self {
        Self {
            edges: Vec::new(),
            has_next_page: false,
            has_previous_page: false,
        }
    }

    /// The same page with each node turned into something else.
    pub fn map<U>(self, f: impl Fn(T) -> U) -> Page<U> {
        Page {
            edges: self
                .edges
                .into_iter()
                .map(|e| Edge {
                    cursor: e.cursor,
                    node: f(e.node),
                })
                .collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
        }
    }
}

/// One component of a sort key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum KeyValue {
    Time(Option<DateTime<Utc>>),
    Text(String),
    Uuid(Uuid),
    Int(i32),
    /// A search document's id.
    Long(i64),
    /// A search's relevance. Kept in a cursor as its bits: JSON number parsing may be off by
    /// a unit in the last place, and a keyset needs the exact value back.
    Float(#[serde(with = "exact_f64")] f64),
}

mod exact_f64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(value.to_bits())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        u64::deserialize(deserializer).map(f64::from_bits)
    }
}

impl KeyValue {
    fn value(&self) -> Option<sea_orm::Value> {
        match self {
            Self::Time(t) => t.map(Into::into),
            Self::Text(s) => Some(s.clone().into()),
            Self::Uuid(u) => Some((*u).into()),
            Self::Int(i) => Some((*i).into()),
            Self::Long(i) => Some((*i).into()),
            Self::Float(f) => Some((*f).into()),
        }
    }

    fn same_kind(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

#[derive(Serialize, Deserialize)]
struct CursorData {
    /// The sort this cursor belongs to: a cursor from one order is meaningless in another.
    s: String,
    k: Vec<KeyValue>,
}

/// A sort order: its name (carried in cursors) and its columns, the last one unique.
pub struct SortSpec {
    pub name: String,
    pub columns: Vec<(SimpleExpr, Order)>,
}

impl SortSpec {
    pub fn encode(&self, key: Vec<KeyValue>) -> String {
        let data = CursorData {
            s: self.name.clone(),
            k: key,
        };
        // Serializing plain data to a String cannot fail.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&data).unwrap_or_default())
    }

    pub(crate) fn decode(
        &self,
        argument: &str,
        cursor: &str,
        example: &[KeyValue],
    ) -> Result<Vec<KeyValue>> {
        let invalid = |why: &str| Error::invalid(argument, format!("invalid cursor: {why}"));
        let bytes = URL_SAFE_NO_PAD
            .decode(cursor)
            .map_err(|_| invalid("not a cursor this API issued"))?;
        let data: CursorData =
            serde_json::from_slice(&bytes).map_err(|_| invalid("not a cursor this API issued"))?;
        if data.s != self.name {
            return Err(invalid("it belongs to a different order or list"));
        }
        let fits = data.k.len() == example.len()
            && data.k.iter().zip(example).all(|(a, b)| a.same_kind(b));
        if !fits {
            return Err(invalid("it belongs to a different order or list"));
        }
        Ok(data.k)
    }

    /// Rows strictly after `key` in the forward order (`after`), or strictly before it (`before`).
    fn beyond(&self, key: &[KeyValue], after: bool) -> Condition {
        let mut any = Condition::any();
        for i in 0..self.columns.len() {
            let (col, order) = &self.columns[i];
            let ascending = matches!(order, Order::Asc);
            let strict = match (&key[i].value(), after) {
                // Nothing sorts after NULL; everything not NULL sorts before it.
                (None, true) => continue,
                (None, false) => col.clone().is_not_null(),
                (Some(v), true) => {
                    let cmp = if ascending {
                        col.clone().gt(v.clone())
                    } else {
                        col.clone().lt(v.clone())
                    };
                    if matches!(key[i], KeyValue::Time(_)) {
                        cmp.or(col.clone().is_null())
                    } else {
                        cmp
                    }
                }
                (Some(v), false) => {
                    if ascending {
                        col.clone().lt(v.clone())
                    } else {
                        col.clone().gt(v.clone())
                    }
                }
            };
            let mut all = Condition::all();
            for (j, (prev, _)) in self.columns.iter().enumerate().take(i) {
                all = all.add(match key[j].value() {
                    None => prev.clone().is_null(),
                    Some(v) => prev.clone().eq(v),
                });
            }
            any = any.add(all.add(strict));
        }
        if self.columns.is_empty() {
            any = any.add(Expr::val(true).eq(false));
        }
        any
    }
}

/// Checks the Relay arguments: `first`/`last` within 0..=100, not both.
pub(crate) fn page_size(args: &PageArgs) -> Result<(i32, bool)> {
    let check = |name: &str, n: i32| {
        if (0..=MAX_PAGE_SIZE).contains(&n) {
            Ok(n)
        } else {
            Err(Error::invalid(
                name,
                format!("must be between 0 and {MAX_PAGE_SIZE}, got {n}"),
            ))
        }
    };
    match (args.first, args.last) {
        (Some(_), Some(_)) => Err(Error::invalid(
            "last",
            "give either `first` or `last`, not both",
        )),
        (Some(first), None) => Ok((check("first", first)?, true)),
        (None, Some(last)) => Ok((check("last", last)?, false)),
        (None, None) => Ok((DEFAULT_PAGE_SIZE, true)),
    }
}

/// Fetches one page of `select` in `sort` order, each row read as an `M`. `key_of` gives an item's sort key (same
/// components as the sort's columns); it is also the template a cursor is checked against.
pub async fn fetch_page<E, M, C>(
    db: &C,
    select: Select<E>,
    sort: &SortSpec,
    args: &PageArgs,
    key_of: impl Fn(&M) -> Vec<KeyValue>,
    template: &[KeyValue],
) -> Result<Page<M>>
where
    E: EntityTrait,
    M: FromQueryResult + Send + Sync,
    C: ConnectionTrait,
{
    let (size, forward) = page_size(args)?;
    let after = args
        .after
        .as_deref()
        .map(|c| sort.decode("after", c, template))
        .transpose()?;
    let before = args
        .before
        .as_deref()
        .map(|c| sort.decode("before", c, template))
        .transpose()?;
    if size == 0 {
        return Ok(Page::empty());
    }

    let mut select = select;
    if let Some(key) = &after {
        select = select.filter(sort.beyond(key, true));
    }
    if let Some(key) = &before {
        select = select.filter(sort.beyond(key, false));
    }
    for (col, order) in &sort.columns {
        let (order, nulls) = match (forward, order) {
            (true, o) => (o.clone(), NullOrdering::Last),
            (false, Order::Asc) => (Order::Desc, NullOrdering::First),
            (false, _) => (Order::Asc, NullOrdering::First),
        };
        select = select.order_by_with_nulls(col.clone(), order, nulls);
    }
    // The page size is written into the statement, not bound: Postgres plans a statement with
    // no parameters once and keeps the plan, where a bound LIMIT has it plan again for every
    // execution (half the throughput of a page of articles). It is a number we checked.
    let mut statement = select.build(db.get_database_backend());
    statement.sql.push_str(&format!(" LIMIT {}", size + 1));
    let mut rows = M::find_by_statement(statement).all(db).await?;
    let more = rows.len() > size as usize;
    rows.truncate(size as usize);
    if !forward {
        rows.reverse();
    }
    let edges = rows
        .into_iter()
        .map(|node| Edge {
            cursor: sort.encode(key_of(&node)),
            node,
        })
        .collect();
    // Without scanning past the window we only know there is more on the side we fetched
    // toward; on the other side, a cursor means the client came from there.
    let (has_next_page, has_previous_page) = if forward {
        (more, after.is_some())
    } else {
        (before.is_some(), more)
    };
    Ok(Page {
        edges,
        has_next_page,
        has_previous_page,
    })
}

/// The first page (`first` items, no cursor) of each of several lists at once, in one
/// statement: the rows of `select` grouped by `parent` (a column holding the id of the list's
/// owner), each group in `sort` order, with the cursors [`fetch_page`] would give them. A
/// list with no rows has no entry.
pub async fn fetch_first_pages<E, M, C>(
    db: &C,
    select: Select<E>,
    parent: SimpleExpr,
    sort: &SortSpec,
    first: Option<i32>,
    key_of: impl Fn(&M) -> Vec<KeyValue>,
) -> Result<HashMap<Uuid, Page<M>>>
where
    E: EntityTrait,
    M: FromQueryResult + Send + Sync,
    C: ConnectionTrait,
{
    let args = PageArgs {
        first,
        ..PageArgs::default()
    };
    let (size, _) = page_size(&args)?;
    let mut pages: HashMap<Uuid, Page<M>> = HashMap::new();
    if size == 0 {
        return Ok(pages);
    }
    let mut window = WindowStatement::new();
    for (col, order) in &sort.columns {
        window.order_by_expr_with_nulls(col.clone(), order.clone(), NullOrdering::Last);
    }
    let mut inner = select.into_query();
    window.add_partition_by(parent.clone());
    inner.expr_as(parent, Alias::new("batch_parent"));
    inner.expr_window_as(Expr::cust("ROW_NUMBER()"), window, Alias::new("batch_row"));
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(inner, Alias::new("batch"))
        .and_where(Expr::col((Alias::new("batch"), Alias::new("batch_row"))).lte(size + 1))
        .order_by(
            (Alias::new("batch"), Alias::new("batch_parent")),
            Order::Asc,
        )
        .order_by((Alias::new("batch"), Alias::new("batch_row")), Order::Asc)
        .to_owned();
    for row in db.query_all(&outer).await? {
        let parent: Uuid = row.try_get("", "batch_parent")?;
        let node = M::from_query_result(&row, "")?;
        let page = pages.entry(parent).or_insert_with(Page::empty);
        if page.edges.len() == size as usize {
            page.has_next_page = true;
        } else {
            page.edges.push(Edge {
                cursor: sort.encode(key_of(&node)),
                node,
            });
        }
    }
    Ok(pages)
}

/// The `totalCount` of each of several lists at once, in one statement: the rows of `select`
/// counted by `parent` (as for [`fetch_first_pages`]). A list with no rows has no entry.
pub async fn count_per_parent<E, C>(
    db: &C,
    select: Select<E>,
    parent: SimpleExpr,
) -> Result<HashMap<Uuid, u64>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let rows: Vec<(Uuid, i64)> = select
        .select_only()
        .column_as(parent.clone(), "parent")
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(parent)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(parent, n)| (parent, u64::try_from(n).unwrap_or(0)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_bounds() {
        assert_eq!(page_size(&PageArgs::default()).unwrap(), (20, true));
        assert_eq!(page_size(&PageArgs::first(0)).unwrap(), (0, true));
        assert_eq!(page_size(&PageArgs::first(100)).unwrap(), (100, true));
        assert!(matches!(
            page_size(&PageArgs::first(101)),
            Err(Error::Invalid { .. })
        ));
        assert!(matches!(
            page_size(&PageArgs::first(-1)),
            Err(Error::Invalid { .. })
        ));
        let both = PageArgs {
            first: Some(1),
            last: Some(1),
            ..PageArgs::default()
        };
        assert!(matches!(page_size(&both), Err(Error::Invalid { .. })));
    }

    #[test]
    fn cursor_round_trip_and_rejects_foreign_cursors() {
        let sort = SortSpec {
            name: "a".into(),
            columns: vec![],
        };
        let key = vec![KeyValue::Text("x".into()), KeyValue::Uuid(Uuid::nil())];
        let cursor = sort.encode(key.clone());
        assert_eq!(sort.decode("after", &cursor, &key).unwrap(), key);
        let other = SortSpec {
            name: "b".into(),
            columns: vec![],
        };
        assert!(other.decode("after", &cursor, &key).is_err());
        assert!(sort.decode("after", "garbage!", &key).is_err());
        assert!(sort.decode("after", &cursor, &key[..1]).is_err());
    }

    #[test]
    fn a_relevance_comes_back_from_a_cursor_exactly() {
        let sort = SortSpec {
            name: "a".into(),
            columns: vec![],
        };
        for rank in [
            4.2095842302027865e-6,
            0.1 + 0.2,
            f64::MIN_POSITIVE,
            -1.0 / 3.0,
        ] {
            let key = vec![KeyValue::Float(rank), KeyValue::Uuid(Uuid::nil())];
            let back = sort
                .decode("after", &sort.encode(key.clone()), &key)
                .unwrap();
            assert!(matches!(back[0], KeyValue::Float(r) if r.to_bits() == rank.to_bits()));
        }
    }
}
