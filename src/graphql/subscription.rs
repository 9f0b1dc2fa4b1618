//! The subscription root: articles pushed to clients as they are published or change, over
//! WebSockets (`graphql-transport-ws`, see `http::subscriptions`).
//!
//! Each subscription follows this replica's [`Hub`]. An event's article is read once per
//! visibility for every subscription that wants it, and each subscription gets it as a query
//! with the same token would: anonymous readers what is public, a preview token drafts too.

use std::sync::Arc;

use async_graphql::{Context, InputObject, Subscription};
use futures_util::{Stream, StreamExt, stream};
use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::{
    batch::Reader,
    types::{Article, reader},
};
use crate::{
    content::{Visibility, events::EventKind, model::ArticleRead},
    events::{Hub, Notice},
};

pub struct SubscriptionRoot;

/// Narrows `articlePublished`; every field given must match.
#[derive(InputObject, Clone, Debug, Default)]
pub struct PublishedFilter {
    /// Tag slug.
    pub tag: Option<String>,
    /// Slug of a speaker quoted in the article.
    pub speaker: Option<String>,
    /// Publication slug.
    pub publication: Option<String>,
}

impl PublishedFilter {
    fn matches(&self, read: &ArticleRead) -> bool {
        let a = &read.article;
        self.tag.as_deref().is_none_or(|t| a.has_tag(t))
            && self.speaker.as_deref().is_none_or(|s| a.quotes_speaker(s))
            && self
                .publication
                .as_deref()
                .is_none_or(|p| a.in_publication(p))
    }
}

/// The notices of `hub` from now on. A subscription too slow to keep up skips what it missed.
fn notices(hub: &Hub) -> impl Stream<Item = Arc<Notice>> + use<> {
    stream::unfold(
        hub.subscribe(),
        |mut rx: Receiver<Arc<Notice>>| async move {
            loop {
                match rx.recv().await {
                    Ok(notice) => return Some((notice, rx)),
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "a subscription fell behind and missed events");
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    )
}

/// What a subscription reads with.
fn parts(ctx: &Context<'_>) -> (Hub, Reader) {
    (ctx.data_unchecked::<Hub>().clone(), reader(ctx).clone())
}

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Articles as they are published (including a scheduled article when its time comes),
    /// as a query would show them now. With a filter, only those it matches.
    async fn article_published(
        &self,
        ctx: &Context<'_>,
        filter: Option<PublishedFilter>,
    ) -> impl Stream<Item = Article> + use<> {
        let (hub, reader) = parts(ctx);
        let filter = filter.unwrap_or_default();
        notices(&hub).filter_map(move |notice| {
            let (reader, filter) = (reader.clone(), filter.clone());
            async move {
                if notice.event.kind != EventKind::Published {
                    return None;
                }
                let read = notice.article(&reader.db, reader.visibility).await.ok()??;
                filter
                    .matches(&read)
                    .then(|| Article::one(&reader, (*read).clone()))
            }
        })
    }

    /// The article `slug` each time it changes, as `article(slug:)` would show it then:
    /// `null` once it is unpublished, archived or deleted (for a preview token, deleted).
    /// Anonymous subscribers hear only of changes they can see.
    async fn article_changed(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> impl Stream<Item = Option<Article>> + use<> {
        let (hub, reader) = parts(ctx);
        notices(&hub).filter_map(move |notice| {
            let (reader, slug) = (reader.clone(), slug.clone());
            async move {
                if notice.event.slug != slug {
                    return None;
                }
                let read = match notice.article(&reader.db, reader.visibility).await {
                    Ok(read) => read,
                    Err(error) => {
                        tracing::warn!(%error, "could not read a changed article");
                        return None;
                    }
                };
                match read {
                    Some(read) => Some(Some(Article::one(&reader, (*read).clone()))),
                    None => gone(notice.event.kind, reader.visibility).then_some(None),
                }
            }
        })
    }
}

/// Whether an event that left the article out of a reader's sight tells them it went: a
/// draft's edits are no news to the public.
fn gone(kind: EventKind, visibility: Visibility) -> bool {
    match visibility {
        Visibility::Public => matches!(
            kind,
            EventKind::Unpublished | EventKind::Archived | EventKind::Deleted
        ),
        Visibility::All => kind == EventKind::Deleted,
    }
}
