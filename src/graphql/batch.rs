//! Batch loading without N+1, and without timers, for what an article's document does not
//! hold.
//!
//! An article is read as its document, which holds everything on it (see
//! `content::model`), so its parts cost nothing more. What a document cannot hold depends on
//! who reads and when: how many visible articles carry a tag, the passage a search matched, a
//! speaker's other quotes. The items a resolver returns together (a page of articles, an
//! article's quotes, a list of tags) share one *set*; the first field that asks for such a
//! relation of any item loads it for every item of the set in one statement, and the others
//! wait for it and read their part. So a request runs one statement per relation per level,
//! whatever the page size, and the count is the same on every run.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Arc, OnceLock, Weak},
};

use sea_orm::DatabaseConnection;
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::content::{
    Result, Visibility, articles, catalog,
    model::{ArticleRead, BodyFormat, BodyFormats, FoundQuote, Speaker},
    pagination::Page,
    quotes,
    search::{self, SearchQuery, ranked::Rankings},
};

/// Who reads, and from where: what every set needs to load more.
#[derive(Clone)]
pub struct Reader {
    pub db: DatabaseConnection,
    pub visibility: Visibility,
    /// The server's rankings of recent searches, if it keeps them.
    pub rankings: Option<Arc<Rankings>>,
}

/// A relation of a set, loaded on first use.
type Lazy<T> = OnceCell<T>;

async fn load<T, F>(cell: &Lazy<T>, f: F) -> Result<&T>
where
    F: Future<Output = Result<T>>,
{
    cell.get_or_try_init(|| f).await
}

fn unique<K: Copy + Eq + Hash + Ord>(keys: impl Iterator<Item = K>) -> Vec<K> {
    let mut keys: Vec<K> = keys.collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Articles returned together.
pub struct ArticleSet {
    reader: Reader,
    articles: Vec<Arc<ArticleRead>>,
    /// The search that found these articles, if one did.
    search: Option<SearchQuery>,
    snippets: Lazy<HashMap<Uuid, String>>,
    /// Body forms the first read did not bring, loaded for the whole set when first asked.
    bodies: [Lazy<HashMap<Uuid, String>>; 3],
    /// The tags of all these articles, sharing their counts.
    tags: OnceLock<Arc<TagSet>>,
    /// The quotes of all these articles, sharing their speakers.
    quotes: OnceLock<Arc<QuoteSet>>,
}

impl ArticleSet {
    pub fn new(reader: Reader, articles: Vec<ArticleRead>) -> Arc<Self> {
        Self::found(reader, articles, None)
    }

    /// Articles a search found.
    pub fn found(
        reader: Reader,
        articles: Vec<ArticleRead>,
        search: Option<SearchQuery>,
    ) -> Arc<Self> {
        Arc::new(Self {
            reader,
            articles: articles.into_iter().map(Arc::new).collect(),
            search,
            snippets: Lazy::new(),
            bodies: Default::default(),
            tags: OnceLock::new(),
            quotes: OnceLock::new(),
        })
    }

    pub fn articles(&self) -> &[Arc<ArticleRead>] {
        &self.articles
    }

    fn ids(&self) -> Vec<Uuid> {
        self.articles.iter().map(|a| a.article.id).collect()
    }

    /// The article's body in `format`, when the read that made the set did not bring it.
    pub async fn body(&self, article: Uuid, format: BodyFormat) -> Result<Option<String>> {
        let cell = &self.bodies[BodyFormat::ALL
            .iter()
            .position(|f| *f == format)
            .unwrap_or_default()];
        let all = load(cell, async {
            let r = &self.reader;
            let wanted = BodyFormats::NONE.with(format);
            let found = articles::by_ids(&r.db, r.visibility, &self.ids(), wanted).await?;
            Ok(found
                .into_iter()
                .filter_map(|(id, read)| Some((id, read.body.get(format)?.to_owned())))
                .collect())
        })
        .await?;
        Ok(all.get(&article).cloned())
    }

    /// The set of every tag on these articles: their counts load together.
    pub fn tags(&self) -> Arc<TagSet> {
        self.tags
            .get_or_init(|| {
                let ids = unique(
                    self.articles
                        .iter()
                        .flat_map(|a| a.article.tags.iter().map(|t| t.id)),
                );
                TagSet::new(self.reader.clone(), ids)
            })
            .clone()
    }

    /// The set of every quote in these articles: their speakers load together, and their
    /// articles are this set's.
    pub fn quotes(self: &Arc<Self>) -> Arc<QuoteSet> {
        self.quotes
            .get_or_init(|| QuoteSet::of_articles(self))
            .clone()
    }

    /// The passage that matched the search that found the article; `None` without a search.
    pub async fn snippet(&self, article: Uuid) -> Result<Option<String>> {
        let Some(query) = &self.search else {
            return Ok(None);
        };
        let all = load(
            &self.snippets,
            search::snippet::articles(&self.reader.db, query, &self.ids()),
        )
        .await?;
        Ok(all.get(&article).cloned())
    }

    /// One of the set's articles.
    fn article(&self, id: Uuid) -> Option<Arc<ArticleRead>> {
        self.articles.iter().find(|a| a.article.id == id).cloned()
    }
}

/// Quotes returned together: their speakers and articles.
pub struct QuoteSet {
    reader: Reader,
    quote_ids: Vec<Uuid>,
    article_ids: Vec<Uuid>,
    /// The search that found these quotes, if one did.
    search: Option<SearchQuery>,
    snippets: Lazy<HashMap<Uuid, String>>,
    /// The quotes' speakers.
    speakers: Arc<SpeakerSet>,
    /// The articles these quotes were read with, when an article set holds them. Weak, as
    /// that set may hold this one (a strong cycle would never be freed); it lives while its
    /// articles' quotes resolve.
    parent: Weak<ArticleSet>,
    articles: Lazy<Arc<ArticleSet>>,
}

impl QuoteSet {
    /// Quotes found across articles.
    pub fn new(reader: Reader, quotes: &[FoundQuote]) -> Arc<Self> {
        Self::found(reader, quotes, None)
    }

    /// Quotes found across articles, by `search` if one found them.
    pub fn found(reader: Reader, quotes: &[FoundQuote], search: Option<SearchQuery>) -> Arc<Self> {
        let speakers: Vec<Speaker> = quotes.iter().map(|q| q.quote.speaker.clone()).collect();
        Arc::new(Self {
            speakers: SpeakerSet::of(reader.clone(), &speakers),
            quote_ids: quotes.iter().map(|q| q.quote.id).collect(),
            article_ids: unique(quotes.iter().map(|q| q.article_id)),
            search,
            snippets: Lazy::new(),
            reader,
            parent: Weak::new(),
            articles: Lazy::new(),
        })
    }

    /// The quotes of the articles of `parent`.
    pub fn of_articles(parent: &Arc<ArticleSet>) -> Arc<Self> {
        let speakers: Vec<Speaker> = parent
            .articles
            .iter()
            .flat_map(|a| a.article.quotes.iter().map(|q| q.speaker.clone()))
            .collect();
        Arc::new(Self {
            speakers: SpeakerSet::of(parent.reader.clone(), &speakers),
            quote_ids: Vec::new(),
            article_ids: parent.ids(),
            search: None,
            snippets: Lazy::new(),
            reader: parent.reader.clone(),
            parent: Arc::downgrade(parent),
            articles: Lazy::new(),
        })
    }

    /// The passage of the quote that matched the search that found it; `None` without one.
    pub async fn snippet(&self, quote: Uuid) -> Result<Option<String>> {
        let Some(query) = &self.search else {
            return Ok(None);
        };
        let all = load(
            &self.snippets,
            search::snippet::quotes(&self.reader.db, query, &self.quote_ids),
        )
        .await?;
        Ok(all.get(&quote).cloned())
    }

    /// The set of the quotes' speakers.
    pub fn speakers(&self) -> Arc<SpeakerSet> {
        self.speakers.clone()
    }

    /// The quote's article, if the reader may see it.
    pub async fn article(&self, id: Uuid) -> Result<Option<(Arc<ArticleRead>, Arc<ArticleSet>)>> {
        if let Some(parent) = self.parent.upgrade() {
            return Ok(parent.article(id).map(|a| (a, parent)));
        }
        let set = load(&self.articles, async {
            let r = &self.reader;
            let found =
                articles::by_ids(&r.db, r.visibility, &self.article_ids, BodyFormats::NONE).await?;
            Ok(ArticleSet::new(r.clone(), found.into_values().collect()))
        })
        .await?;
        Ok(set.article(id).map(|a| (a, set.clone())))
    }
}

/// Each list's first page, for the page size the first request asked, and the items of all of
/// them (so the next level down loads once for all the lists, too).
type FirstPages<T, S> = (Option<i32>, HashMap<Uuid, Page<T>>, Arc<S>);

/// Speakers returned together: the first page of each one's quotes and of the articles
/// quoting them, and how many there are. A page after a cursor, or of another size than the
/// set's first request (an alias), is read for its speaker alone.
pub struct SpeakerSet {
    reader: Reader,
    ids: Vec<Uuid>,
    quotes: Lazy<FirstPages<FoundQuote, QuoteSet>>,
    quote_counts: Lazy<HashMap<Uuid, u64>>,
    articles: Lazy<FirstPages<Arc<ArticleRead>, ArticleSet>>,
    article_counts: Lazy<HashMap<Uuid, u64>>,
}

impl SpeakerSet {
    /// Speakers returned together.
    pub fn of(reader: Reader, speakers: &[Speaker]) -> Arc<Self> {
        Arc::new(Self {
            reader,
            ids: unique(speakers.iter().map(|s| s.id)),
            quotes: Lazy::new(),
            quote_counts: Lazy::new(),
            articles: Lazy::new(),
            article_counts: Lazy::new(),
        })
    }

    /// The first page of `first` of the speaker's quotes, or `None` when the set loaded
    /// another page size.
    pub async fn first_quotes(
        &self,
        speaker: Uuid,
        first: Option<i32>,
    ) -> Result<Option<(Page<FoundQuote>, Arc<QuoteSet>)>> {
        let (size, pages, set) = load(&self.quotes, async {
            let r = &self.reader;
            let pages =
                quotes::first_pages_by_speaker(&r.db, r.visibility, &self.ids, first).await?;
            let all: Vec<FoundQuote> = pages
                .values()
                .flat_map(|p| &p.edges)
                .map(|e| e.node.clone())
                .collect();
            Ok((first, pages, QuoteSet::new(r.clone(), &all)))
        })
        .await?;
        Ok((*size == first).then(|| {
            (
                pages.get(&speaker).cloned().unwrap_or_else(Page::empty),
                set.clone(),
            )
        }))
    }

    /// The first page of `first` of the articles quoting the speaker, or `None` when the set
    /// loaded another page size.
    pub async fn first_articles(
        &self,
        speaker: Uuid,
        first: Option<i32>,
    ) -> Result<Option<(Page<Arc<ArticleRead>>, Arc<ArticleSet>)>> {
        let (size, pages, set) = load(&self.articles, async {
            let r = &self.reader;
            let pages = articles::first_pages_by_speaker(
                &r.db,
                r.visibility,
                &self.ids,
                first,
                BodyFormats::NONE,
            )
            .await?;
            let mut all: Vec<ArticleRead> = pages
                .values()
                .flat_map(|p| &p.edges)
                .map(|e| e.node.clone())
                .collect();
            all.sort_unstable_by_key(|a| a.article.id);
            all.dedup_by_key(|a| a.article.id);
            let set = ArticleSet::new(r.clone(), all);
            let pages = pages
                .into_iter()
                .map(|(speaker, page)| {
                    let page =
                        page.map(|a| set.article(a.article.id).unwrap_or_else(|| Arc::new(a)));
                    (speaker, page)
                })
                .collect();
            Ok((first, pages, set))
        })
        .await?;
        Ok((*size == first).then(|| {
            (
                pages.get(&speaker).cloned().unwrap_or_else(Page::empty),
                set.clone(),
            )
        }))
    }

    /// How many quotes of the speaker the reader may see.
    pub async fn quote_count(&self, speaker: Uuid) -> Result<u64> {
        let r = &self.reader;
        let all = load(
            &self.quote_counts,
            quotes::count_by_speaker(&r.db, r.visibility, &self.ids),
        )
        .await?;
        Ok(all.get(&speaker).copied().unwrap_or(0))
    }

    /// How many articles the reader may see quote the speaker.
    pub async fn article_count(&self, speaker: Uuid) -> Result<u64> {
        let r = &self.reader;
        let all = load(
            &self.article_counts,
            articles::count_by_speaker(&r.db, r.visibility, &self.ids),
        )
        .await?;
        Ok(all.get(&speaker).copied().unwrap_or(0))
    }
}

/// Tags returned together: how many visible articles carry each.
pub struct TagSet {
    reader: Reader,
    ids: Vec<Uuid>,
    counts: Lazy<HashMap<Uuid, i64>>,
}

impl TagSet {
    fn new(reader: Reader, ids: Vec<Uuid>) -> Arc<Self> {
        Arc::new(Self {
            reader,
            ids,
            counts: Lazy::new(),
        })
    }

    pub async fn article_count(&self, tag: Uuid) -> Result<i64> {
        let r = &self.reader;
        let all = load(
            &self.counts,
            catalog::article_counts_by_tag(&r.db, r.visibility, &self.ids),
        )
        .await?;
        Ok(all.get(&tag).copied().unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{articles::ArticleFilter, demo, pagination::PageArgs};

    /// An article set makes the quote set of its articles, and that set gives back the article
    /// set for its quotes' articles: the back reference must not keep the sets alive after the
    /// request (a cycle of `Arc`s is never freed).
    #[tokio::test]
    async fn article_and_quote_sets_are_freed_after_use() {
        let db = crate::db::connect_and_migrate("sqlite::memory:")
            .await
            .expect("an in-memory database");
        demo::load_if_empty(&db).await.expect("the demo article");
        let page = articles::list(
            &db,
            None,
            Visibility::Public,
            &ArticleFilter::default(),
            Default::default(),
            &PageArgs::default(),
            BodyFormats::NONE,
        )
        .await
        .expect("articles");
        let reads: Vec<ArticleRead> = page.edges.into_iter().map(|e| e.node).collect();
        let id = reads[0].article.id;
        assert_eq!(
            reads[0].article.quotes.len(),
            4,
            "the demo article's quotes"
        );
        let reader = Reader {
            db,
            visibility: Visibility::Public,
            rankings: None,
        };

        let set = ArticleSet::new(reader, reads);
        let quote_set = set.quotes();
        let (article, parent) = quote_set
            .article(id)
            .await
            .expect("the quote's article")
            .expect("a visible article");
        assert_eq!(article.article.id, id);
        assert!(
            Arc::ptr_eq(&parent, &set),
            "the quote's article is the set's own"
        );
        drop(parent);

        let (articles, quotes) = (Arc::downgrade(&set), Arc::downgrade(&quote_set));
        drop((set, quote_set));
        assert!(articles.upgrade().is_none(), "the article set is freed");
        assert!(quotes.upgrade().is_none(), "the quote set is freed");
    }
}
