//! Batch loading without N+1, and without timers.
//!
//! The items a resolver returns together (a page of articles, an article's quotes, a list of
//! tags) share one *set*. The first field that asks for a relation of any item loads that
//! relation for every item of the set in one statement; the other items wait for it and read
//! their part. So a request runs one statement per relation per level, whatever the page size,
//! and the count is the same on every run (a timer-based loader splits batches whenever
//! resolving takes longer than its delay).

use std::{collections::HashMap, hash::Hash, sync::Arc};

use entity::{
    article, author, copyright, key_point, publication, publication_link, quote, related_link,
    speaker, tag,
};
use sea_orm::DatabaseConnection;
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::content::{
    Result, Visibility, article_parts, articles, catalog,
    pagination::Page,
    quotes,
    search::{self, SearchQuery},
    speakers,
};

/// Who reads, and from where: what every set needs to load more.
#[derive(Clone)]
pub struct Reader {
    pub db: DatabaseConnection,
    pub visibility: Visibility,
}

/// A relation of a set, loaded on first use.
type Lazy<T> = OnceCell<T>;
/// Each article's rows of a list, in order.
type PerArticle<T> = HashMap<Uuid, Vec<T>>;
/// Loaded rows, and the set they make for the next level down.
type WithSet<T, S> = (T, Arc<S>);

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

/// Articles returned together, and their relations.
pub struct ArticleSet {
    reader: Reader,
    articles: Vec<article::Model>,
    authors: Lazy<HashMap<Uuid, author::Model>>,
    publications: Lazy<WithSet<HashMap<Uuid, publication::Model>, PublicationSet>>,
    tags: Lazy<WithSet<PerArticle<tag::Model>, TagSet>>,
    key_points: Lazy<PerArticle<key_point::Model>>,
    quotes: Lazy<WithSet<PerArticle<quote::Model>, QuoteSet>>,
    related_links: Lazy<PerArticle<related_link::Model>>,
    copyrights: Lazy<HashMap<Uuid, copyright::Model>>,
    /// The search that found these articles, if one did.
    search: Option<SearchQuery>,
    snippets: Lazy<HashMap<Uuid, String>>,
}

impl ArticleSet {
    pub fn new(reader: Reader, articles: Vec<article::Model>) -> Arc<Self> {
        Self::found(reader, articles, None)
    }

    /// Articles a search found.
    pub fn found(
        reader: Reader,
        articles: Vec<article::Model>,
        search: Option<SearchQuery>,
    ) -> Arc<Self> {
        Arc::new(Self {
            reader,
            articles,
            authors: Lazy::new(),
            publications: Lazy::new(),
            tags: Lazy::new(),
            key_points: Lazy::new(),
            quotes: Lazy::new(),
            related_links: Lazy::new(),
            copyrights: Lazy::new(),
            search,
            snippets: Lazy::new(),
        })
    }

    pub fn articles(&self) -> &[article::Model] {
        &self.articles
    }

    fn ids(&self) -> Vec<Uuid> {
        self.articles.iter().map(|a| a.id).collect()
    }

    pub async fn author(&self, id: Uuid) -> Result<Option<author::Model>> {
        let all = load(&self.authors, async {
            let ids = unique(self.articles.iter().filter_map(|a| a.author_id));
            catalog::authors_by_ids(&self.reader.db, &ids).await
        })
        .await?;
        Ok(all.get(&id).cloned())
    }

    pub async fn publication(
        &self,
        id: Uuid,
    ) -> Result<Option<(publication::Model, Arc<PublicationSet>)>> {
        let (all, set) = load(&self.publications, async {
            let ids = unique(self.articles.iter().map(|a| a.publication_id));
            let found = catalog::publications_by_ids(&self.reader.db, &ids).await?;
            let set = PublicationSet::new(self.reader.clone(), found.keys().copied().collect());
            Ok((found, set))
        })
        .await?;
        Ok(all.get(&id).map(|p| (p.clone(), set.clone())))
    }

    pub async fn tags(&self, article: Uuid) -> Result<(Vec<tag::Model>, Arc<TagSet>)> {
        let (all, set) = load(&self.tags, async {
            let found = article_parts::tags(&self.reader.db, &self.ids()).await?;
            let set = TagSet::new(
                self.reader.clone(),
                unique(found.values().flatten().map(|t| t.id)),
            );
            Ok((found, set))
        })
        .await?;
        Ok((all.get(&article).cloned().unwrap_or_default(), set.clone()))
    }

    pub async fn key_points(&self, article: Uuid) -> Result<Vec<key_point::Model>> {
        let all = load(
            &self.key_points,
            article_parts::key_points(&self.reader.db, &self.ids()),
        )
        .await?;
        Ok(all.get(&article).cloned().unwrap_or_default())
    }

    /// The article's quotes, sharing a set with every other article's quotes. Their articles
    /// are this set's, so `Quote.article` costs nothing more.
    pub async fn quotes(
        self: &Arc<Self>,
        article: Uuid,
    ) -> Result<(Vec<quote::Model>, Arc<QuoteSet>)> {
        let (all, set) = load(&self.quotes, async {
            let found = article_parts::quotes(&self.reader.db, &self.ids()).await?;
            let quotes: Vec<&quote::Model> = found.values().flatten().collect();
            let set = QuoteSet::new(self.reader.clone(), &quotes);
            let parents = self
                .articles
                .iter()
                .map(|a| (a.id, (a.clone(), self.clone())))
                .collect();
            // A fresh cell cannot be full.
            let _ = set.articles.set(parents);
            Ok((found, set))
        })
        .await?;
        Ok((all.get(&article).cloned().unwrap_or_default(), set.clone()))
    }

    pub async fn related_links(&self, article: Uuid) -> Result<Vec<related_link::Model>> {
        let all = load(
            &self.related_links,
            article_parts::related_links(&self.reader.db, &self.ids()),
        )
        .await?;
        Ok(all.get(&article).cloned().unwrap_or_default())
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

    pub async fn copyright(&self, article: Uuid) -> Result<Option<copyright::Model>> {
        let all = load(
            &self.copyrights,
            article_parts::copyrights(&self.reader.db, &self.ids()),
        )
        .await?;
        Ok(all.get(&article).cloned())
    }
}

/// Quotes returned together: their speakers and articles.
pub struct QuoteSet {
    reader: Reader,
    article_ids: Vec<Uuid>,
    speaker_set: Arc<SpeakerSet>,
    speakers: Lazy<HashMap<Uuid, speaker::Model>>,
    articles: Lazy<HashMap<Uuid, (article::Model, Arc<ArticleSet>)>>,
}

impl QuoteSet {
    pub fn new(reader: Reader, quotes: &[&quote::Model]) -> Arc<Self> {
        let speaker_ids = unique(quotes.iter().map(|q| q.speaker_id));
        Arc::new(Self {
            speaker_set: SpeakerSet::new(reader.clone(), speaker_ids),
            reader,
            article_ids: unique(quotes.iter().map(|q| q.article_id)),
            speakers: Lazy::new(),
            articles: Lazy::new(),
        })
    }

    /// The quote's speaker, and the set of all these quotes' speakers.
    pub async fn speaker(&self, id: Uuid) -> Result<Option<(speaker::Model, Arc<SpeakerSet>)>> {
        let all = load(
            &self.speakers,
            speakers::by_ids(&self.reader.db, &self.speaker_set.ids),
        )
        .await?;
        Ok(all.get(&id).map(|s| (s.clone(), self.speaker_set.clone())))
    }

    /// The quote's article, if the reader may see it.
    pub async fn article(&self, id: Uuid) -> Result<Option<(article::Model, Arc<ArticleSet>)>> {
        let all = load(&self.articles, async {
            let found =
                articles::by_ids(&self.reader.db, self.reader.visibility, &self.article_ids)
                    .await?;
            let set = ArticleSet::new(self.reader.clone(), found.values().cloned().collect());
            Ok(found
                .into_iter()
                .map(|(id, a)| (id, (a, set.clone())))
                .collect())
        })
        .await?;
        Ok(all.get(&id).cloned())
    }
}

/// Each list's first page, for the page size the first request asked, and the set all their
/// items share (so the next level down loads once for all the lists, too).
type FirstPages<T, S> = (Option<i32>, HashMap<Uuid, Page<T>>, Arc<S>);

/// Speakers returned together: the first page of each one's quotes and of the articles
/// quoting them, and how many there are. A page after a cursor, or of another size than the
/// set's first request (an alias), is read for its speaker alone.
pub struct SpeakerSet {
    reader: Reader,
    ids: Vec<Uuid>,
    quotes: Lazy<FirstPages<quote::Model, QuoteSet>>,
    quote_counts: Lazy<HashMap<Uuid, u64>>,
    articles: Lazy<FirstPages<article::Model, ArticleSet>>,
    article_counts: Lazy<HashMap<Uuid, u64>>,
}

impl SpeakerSet {
    pub fn new(reader: Reader, ids: Vec<Uuid>) -> Arc<Self> {
        Arc::new(Self {
            reader,
            ids,
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
    ) -> Result<Option<(Page<quote::Model>, Arc<QuoteSet>)>> {
        let (size, pages, set) = load(&self.quotes, async {
            let r = &self.reader;
            let pages =
                quotes::first_pages_by_speaker(&r.db, r.visibility, &self.ids, first).await?;
            let all: Vec<&quote::Model> = pages
                .values()
                .flat_map(|p| &p.edges)
                .map(|e| &e.node)
                .collect();
            let set = QuoteSet::new(r.clone(), &all);
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

    /// The first page of `first` of the articles quoting the speaker, or `None` when the set
    /// loaded another page size.
    pub async fn first_articles(
        &self,
        speaker: Uuid,
        first: Option<i32>,
    ) -> Result<Option<(Page<article::Model>, Arc<ArticleSet>)>> {
        let (size, pages, set) = load(&self.articles, async {
            let r = &self.reader;
            let pages =
                articles::first_pages_by_speaker(&r.db, r.visibility, &self.ids, first).await?;
            let mut all: Vec<article::Model> = pages
                .values()
                .flat_map(|p| &p.edges)
                .map(|e| e.node.clone())
                .collect();
            all.sort_unstable_by_key(|a| a.id);
            all.dedup_by_key(|a| a.id);
            Ok((first, pages, ArticleSet::new(r.clone(), all)))
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

/// Publications returned together: their footer links.
pub struct PublicationSet {
    reader: Reader,
    ids: Vec<Uuid>,
    links: Lazy<HashMap<Uuid, Vec<publication_link::Model>>>,
}

impl PublicationSet {
    pub fn new(reader: Reader, ids: Vec<Uuid>) -> Arc<Self> {
        Arc::new(Self {
            reader,
            ids,
            links: Lazy::new(),
        })
    }

    pub async fn links(&self, publication: Uuid) -> Result<Vec<publication_link::Model>> {
        let all = load(
            &self.links,
            catalog::publication_links(&self.reader.db, &self.ids),
        )
        .await?;
        Ok(all.get(&publication).cloned().unwrap_or_default())
    }
}

/// Tags returned together: how many visible articles carry each.
pub struct TagSet {
    reader: Reader,
    ids: Vec<Uuid>,
    counts: Lazy<HashMap<Uuid, i64>>,
}

impl TagSet {
    pub fn new(reader: Reader, ids: Vec<Uuid>) -> Arc<Self> {
        Arc::new(Self {
            reader,
            ids,
            counts: Lazy::new(),
        })
    }

    pub async fn article_count(&self, tag: Uuid) -> Result<i64> {
        let all = load(&self.counts, async {
            let counts =
                catalog::tag_counts(&self.reader.db, self.reader.visibility, Some(&self.ids))
                    .await?;
            Ok(counts
                .into_iter()
                .map(|c| (c.id, c.article_count))
                .collect())
        })
        .await?;
        Ok(all.get(&tag).copied().unwrap_or(0))
    }
}
