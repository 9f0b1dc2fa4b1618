//! The hub: every event this replica hears of, broadcast to its subscriptions. Each event's
//! article is read at most once per visibility, however many subscriptions want it.

use std::{sync::Arc, time::Instant};

use sea_orm::DatabaseConnection;
use tokio::sync::{OnceCell, broadcast};

use crate::content::{
    self, Visibility,
    articles::{self, ArticleKey},
    events::Event,
    model::{ArticleRead, BodyFormat},
};

/// Events kept for subscriptions that fall behind; one further behind misses the oldest.
const CAPACITY: usize = 4_096;

/// An event as subscriptions receive it.
pub struct Notice {
    pub event: Event,
    /// When this replica heard of it.
    pub heard: Instant,
    public: OnceCell<Option<Arc<ArticleRead>>>,
    all: OnceCell<Option<Arc<ArticleRead>>>,
}

impl Notice {
    pub fn new(event: Event) -> Self {
        Self {
            event,
            heard: Instant::now(),
            public: OnceCell::new(),
            all: OnceCell::new(),
        }
    }

    /// The event's article as a reader with `visibility` sees it now, bodies in every form:
    /// read once per visibility, shared by every subscription.
    pub async fn article(
        &self,
        db: &DatabaseConnection,
        visibility: Visibility,
    ) -> content::Result<Option<Arc<ArticleRead>>> {
        let cell = match visibility {
            Visibility::Public => &self.public,
            Visibility::All => &self.all,
        };
        cell.get_or_try_init(|| async {
            let key = ArticleKey::Id(self.event.article_id);
            let bodies = BodyFormat::ALL.into_iter().collect();
            Ok(articles::find(db, visibility, &key, bodies)
                .await?
                .map(Arc::new))
        })
        .await
        .cloned()
    }
}

/// Where this replica's events go out to its subscriptions.
#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Notice>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            tx: broadcast::Sender::new(CAPACITY),
        }
    }
}

impl Hub {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Notice>> {
        self.tx.subscribe()
    }

    pub fn publish(&self, event: Event) {
        // No receiver is no subscription: nothing to do.
        let _ = self.tx.send(Arc::new(Notice::new(event)));
    }
}
