//! The ids of new rows.
//!
//! In production they are time-ordered (UUID v7): new rows land at the end of Postgres's
//! primary-key indexes instead of anywhere in them, and an article deleted and written again
//! under its old slug is a new article, so nothing that kept the old id (a client's cache, a
//! webhook receiver) mistakes one for the other.
//!
//! In the test mode (`serve --import`) they are derived (UUID v5 in our namespace) from what
//! the row is: a publication, author, speaker, tag or article from its kind and slug, an
//! article's key point, quote, related link, tag or copyright from the article's id, its kind
//! and its position. The same fixture gives the same ids, so the same node ids, cursors and
//! ETags, on every run and on both backends.

use uuid::Uuid;

/// How new rows get their ids.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ids {
    /// UUID v7.
    #[default]
    TimeOrdered,
    /// UUID v5 of kind and slug (or parent, kind and position).
    Derived,
}

/// content-api's namespace for derived ids, drawn at random once (UUID v4). Never change it:
/// every derived id, and so every snapshot taken in the test mode, depends on it.
const NAMESPACE: Uuid = uuid::uuid!("e699e135-2d41-4d4d-83d5-bb49c19359b0");

impl Ids {
    /// The id of a new entry of `kind` (`"article"`, `"tag"`…) with `slug`. `attempt` counts
    /// from 0; a derived id already taken (an article renamed away from this slug keeps its id)
    /// is derived again with the next attempt.
    pub(crate) fn entry(self, kind: &str, slug: &str, attempt: u32) -> Uuid {
        match self {
            Self::TimeOrdered => Uuid::now_v7(),
            Self::Derived if attempt == 0 => derive(&format!("{kind}:{slug}")),
            Self::Derived => derive(&format!("{kind}:{slug}:{attempt}")),
        }
    }

    /// The id of the part of `kind` at `position` (from 1) of the entry `parent`.
    pub(crate) fn part(self, parent: Uuid, kind: &str, position: usize) -> Uuid {
        match self {
            Self::TimeOrdered => Uuid::now_v7(),
            Self::Derived => derive(&format!("{parent}/{kind}/{position}")),
        }
    }
}

fn derive(name: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_never_change() {
        // Snapshots of users' test suites hold these: a change here breaks every one of them.
        assert_eq!(
            Ids::Derived.entry("article", "hello", 0).to_string(),
            "0e99c743-46fa-5ea7-856f-17b1204ff31a"
        );
    }

    #[test]
    fn derived_ids_depend_on_what_the_row_is_and_nothing_else() {
        let a = Ids::Derived.entry("article", "hello", 0);
        assert_eq!(a, Ids::Derived.entry("article", "hello", 0));
        assert_ne!(a, Ids::Derived.entry("tag", "hello", 0));
        assert_ne!(a, Ids::Derived.entry("article", "hello", 1));
        assert_eq!(a.get_version_num(), 5);
        let q = Ids::Derived.part(a, "quote", 1);
        assert_eq!(q, Ids::Derived.part(a, "quote", 1));
        assert_ne!(q, Ids::Derived.part(a, "quote", 2));
        assert_ne!(q, Ids::Derived.part(a, "key-point", 1));
    }

    #[test]
    fn production_ids_are_time_ordered() {
        let first = Ids::TimeOrdered.entry("article", "hello", 0);
        let second = Ids::TimeOrdered.entry("article", "hello", 0);
        assert_eq!(first.get_version_num(), 7);
        assert!(first < second);
    }
}
