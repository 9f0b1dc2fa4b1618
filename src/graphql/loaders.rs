//! Batch loading: every relation a page of results asks for is fetched in one statement per
//! relation per request, however many parents the page has (no N+1).
//!
//! One [`ContentLoader`] serves every relation; each relation has its own key type, so
//! async-graphql batches each separately.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::{
    article, author, copyright, key_point, publication, publication_link, quote, related_link,
    speaker, tag,
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::content::{self, Visibility, article_parts, articles, catalog, speakers};

pub struct ContentLoader {
    db: DatabaseConnection,
    visibility: Visibility,
}

impl ContentLoader {
    pub fn new(db: DatabaseConnection, visibility: Visibility) -> Self {
        Self { db, visibility }
    }
}

/// Declares a key type and the content function that loads a batch of them.
macro_rules! relation {
    ($(#[$doc:meta])* $key:ident => $value:ty, |$this:ident, $ids:ident| $load:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub Uuid);

        impl Loader<$key> for ContentLoader {
            type Value = $value;
            type Error = Arc<content::Error>;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $value>, Self::Error> {
                let $this = self;
                let $ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
                let found = $load.await.map_err(Arc::new)?;
                Ok(found.into_iter().map(|(id, v)| ($key(id), v)).collect())
            }
        }
    };
}

relation!(/// An article the reader may see, by id.
    ArticleById => article::Model, |l, ids| articles::by_ids(&l.db, l.visibility, &ids));
relation!(SpeakerById => speaker::Model, |l, ids| speakers::by_ids(&l.db, &ids));
relation!(AuthorById => author::Model, |l, ids| catalog::authors_by_ids(&l.db, &ids));
relation!(PublicationById => publication::Model, |l, ids| catalog::publications_by_ids(&l.db, &ids));
relation!(/// A publication's footer links.
    LinksOfPublication => Vec<publication_link::Model>, |l, ids| catalog::publication_links(&l.db, &ids));
relation!(KeyPointsOf => Vec<key_point::Model>, |l, ids| article_parts::key_points(&l.db, &ids));
relation!(QuotesOf => Vec<quote::Model>, |l, ids| article_parts::quotes(&l.db, &ids));
relation!(RelatedLinksOf => Vec<related_link::Model>, |l, ids| article_parts::related_links(&l.db, &ids));
relation!(CopyrightOf => copyright::Model, |l, ids| article_parts::copyrights(&l.db, &ids));
relation!(TagsOf => Vec<tag::Model>, |l, ids| article_parts::tags(&l.db, &ids));
relation!(/// How many articles the reader may see carry a tag.
    ArticleCountOfTag => i64, |l, ids| async {
        let counts = catalog::tag_counts(&l.db, l.visibility, Some(&ids)).await?;
        Ok::<_, content::Error>(counts.into_iter().map(|c| (c.id, c.article_count)))
    });
