//! Batch loading without N+1, and without timers.
//!
//! The items a resolver returns together (a page of articles, an article's quotes, a list of
//! tags) share one *set*. The first field that asks for a relation of any item loads that
//! relation for every item of the set in one statement; the other items wait for it and read
//! their part. So a request runs one statement per relation per level, whatever the page size,
//! and the count is the same on every run (a timer-based loader splits batches whenever
//! resolving takes longer than its delay).
//!
//! Relations that join naturally load together and fill the next level's set: quotes with
//! their speakers, publications with their footer links, and (when the query asks for the
//! counts) tags with how many visible articles carry them.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Weak},
};

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

    /// One article, read with its copyright.
    pub fn one_with_copyright(
        reader: Reader,
        article: article::Model,
        copyright: Option<copyright::Model>,
    ) -> Arc<Self> {
        let set = Self::new(reader, vec![article]);
        let copyrights = copyright.map(|c| (c.article_id, c)).into_iter().collect();
        // A fresh cell cannot be full.
        let _ = set.copyrights.set(copyrights);
        set
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
            // Footer links are a few rows per publication: they come along whether or not
            // the query asks for them, rather than cost a statement of their own when it does.
            let (found, links) = catalog::publications_with_links(&self.reader.db, &ids).await?;
            Ok((found, PublicationSet::loaded(self.reader.clone(), links)))
        })
        .await?;
        Ok(all.get(&id).map(|p| (p.clone(), set.clone())))
    }

    /// The article's tags, sharing a set with every other article's tags. With `counted`,
    /// the first load for the set brings each tag's article count in the same statement;
    /// without, a tag's count loads for its whole set when first asked for.
    pub async fn tags(
        &self,
        article: Uuid,
        counted: bool,
    ) -> Result<(Vec<tag::Model>, Arc<TagSet>)> {
        let (all, set) = load(&self.tags, async {
            let r = &self.reader;
            let (found, counts) = if counted {
                let (found, counts) =
                    article_parts::tags_with_counts(&r.db, r.visibility, &self.ids()).await?;
                (found, Lazy::from(counts))
            } else {
                (article_parts::tags(&r.db, &self.ids()).await?, Lazy::new())
            };
            let ids = unique(found.values().flatten().map(|t| t.id));
            Ok((found, TagSet::with_counts(r.clone(), ids, counts)))
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

    /// The article's quotes, sharing a set with every other article's quotes. Their speakers
    /// load in the same statement, and their articles are this set's, so neither
    /// `Quote.speaker` nor `Quote.article` costs anything more.
    pub async fn quotes(
        self: &Arc<Self>,
        article: Uuid,
    ) -> Result<(Vec<quote::Model>, Arc<QuoteSet>)> {
        let (all, set) = load(&self.quotes, async {
            let (found, speakers) =
                article_parts::quotes_with_speakers(&self.reader.db, &self.ids()).await?;
            let quotes: Vec<&quote::Model> = found.values().flatten().collect();
            let set = QuoteSet::build(
                self.reader.clone(),
                &quotes,
                Some(speakers),
                Arc::downgrade(self),
            );
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
    /// The quotes' speakers.
    speakers: Arc<SpeakerSet>,
    /// The articles these quotes were loaded for, when an article set loaded them: their
    /// articles are its own. Weak, as that set holds this one (a strong cycle would never be
    /// freed); it lives while its articles' quotes resolve.
    parent: Weak<ArticleSet>,
    articles: Lazy<HashMap<Uuid, (article::Model, Arc<ArticleSet>)>>,
}

impl QuoteSet {
    pub fn new(reader: Reader, quotes: &[&quote::Model]) -> Arc<Self> {
        Self::build(reader, quotes, None, Weak::new())
    }

    /// Quotes of one speaker, who is known already.
    pub fn said_by(
        reader: Reader,
        quotes: &[&quote::Model],
        speaker: &speaker::Model,
    ) -> Arc<Self> {
        let speakers = HashMap::from([(speaker.id, speaker.clone())]);
        Self::build(reader, quotes, Some(speakers), Weak::new())
    }

    /// A set whose speakers may be known already (at least every quote's), and whose
    /// articles may be `parent`'s.
    fn build(
        reader: Reader,
        quotes: &[&quote::Model],
        speakers: Option<HashMap<Uuid, speaker::Model>>,
        parent: Weak<ArticleSet>,
    ) -> Arc<Self> {
        let ids = unique(quotes.iter().map(|q| q.speaker_id));
        let speakers = match speakers {
            Some(mut known) => {
                known.retain(|id, _| ids.binary_search(id).is_ok());
                SpeakerSet::with(reader.clone(), ids, Lazy::from(known))
            }
            None => SpeakerSet::with(reader.clone(), ids, Lazy::new()),
        };
        Arc::new(Self {
            reader,
            article_ids: unique(quotes.iter().map(|q| q.article_id)),
            speakers,
            parent,
            articles: Lazy::new(),
        })
    }

    /// The quote's speaker, and the set of all these quotes' speakers.
    pub async fn speaker(&self, id: Uuid) -> Result<Option<(speaker::Model, Arc<SpeakerSet>)>> {
        let found = self.speakers.speaker(id).await?;
        Ok(found.map(|s| (s, self.speakers.clone())))
    }

    /// The quote's article, if the reader may see it.
    pub async fn article(&self, id: Uuid) -> Result<Option<(article::Model, Arc<ArticleSet>)>> {
        if let Some(parent) = self.parent.upgrade() {
            let found = parent.articles.iter().find(|a| a.id == id).cloned();
            return Ok(found.map(|a| (a, parent)));
        }
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
    /// The speakers themselves, by id: known when the set is made from them, else loaded.
    speakers: Lazy<HashMap<Uuid, speaker::Model>>,
    quotes: Lazy<FirstPages<quote::Model, QuoteSet>>,
    quote_counts: Lazy<HashMap<Uuid, u64>>,
    articles: Lazy<FirstPages<article::Model, ArticleSet>>,
    article_counts: Lazy<HashMap<Uuid, u64>>,
}

impl SpeakerSet {
    /// Speakers returned together.
    pub fn of(reader: Reader, speakers: &[speaker::Model]) -> Arc<Self> {
        let ids = unique(speakers.iter().map(|s| s.id));
        let known: HashMap<_, _> = speakers.iter().map(|s| (s.id, s.clone())).collect();
        Self::with(reader, ids, Lazy::from(known))
    }

    /// Speakers known by id, and perhaps already loaded.
    fn with(
        reader: Reader,
        ids: Vec<Uuid>,
        speakers: Lazy<HashMap<Uuid, speaker::Model>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            reader,
            ids,
            speakers,
            quotes: Lazy::new(),
            quote_counts: Lazy::new(),
            articles: Lazy::new(),
            article_counts: Lazy::new(),
        })
    }

    /// One of the speakers; the first call loads them all, unless they are known.
    pub async fn speaker(&self, id: Uuid) -> Result<Option<speaker::Model>> {
        let all = load(&self.speakers, speakers::by_ids(&self.reader.db, &self.ids)).await?;
        Ok(all.get(&id).cloned())
    }

    /// The first page of `first` of the speaker's quotes, or `None` when the set loaded
    /// another page size. The quotes' speakers are this set's, so `Quote.speaker` costs
    /// nothing more (they make a set of their own, as this one holds the quotes).
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
            let set = QuoteSet::build(r.clone(), &all, self.speakers.get().cloned(), Weak::new());
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

    /// Publications whose links are loaded already, keyed by publication.
    pub fn loaded(reader: Reader, links: HashMap<Uuid, Vec<publication_link::Model>>) -> Arc<Self> {
        Arc::new(Self {
            reader,
            ids: unique(links.keys().copied()),
            links: Lazy::from(links),
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
    /// Tags whose counts may be loaded already.
    fn with_counts(reader: Reader, ids: Vec<Uuid>, counts: Lazy<HashMap<Uuid, i64>>) -> Arc<Self> {
        Arc::new(Self {
            reader,
            ids,
            counts,
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
    use sea_orm::EntityTrait;

    use super::*;
    use crate::content::demo;

    /// An article set holds the quote set it loads, and that set gives back the article set
    /// for its quotes' articles: the back reference must not keep the sets alive after the
    /// request (a cycle of `Arc`s is never freed).
    #[tokio::test]
    async fn article_and_quote_sets_are_freed_after_use() {
        let db = crate::db::connect_and_migrate("sqlite::memory:")
            .await
            .expect("an in-memory database");
        demo::load_if_empty(&db).await.expect("the demo article");
        let articles = article::Entity::find().all(&db).await.expect("articles");
        let id = articles[0].id;
        let reader = Reader {
            db,
            visibility: Visibility::Public,
        };

        let set = ArticleSet::new(reader, articles);
        let (quotes, quote_set) = set.quotes(id).await.expect("quotes");
        assert_eq!(quotes.len(), 4, "the demo article's quotes");
        let (article, parent) = quote_set
            .article(quotes[0].article_id)
            .await
            .expect("the quote's article")
            .expect("a visible article");
        assert_eq!(article.id, id);
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
