//! An article's ordered lists (key points, quotes, links, tags) and its copyright as stored,
//! loaded for many articles in one statement each (quotes with their speakers): what the read
//! documents and the export are built from.

use std::collections::HashMap;

use entity::{article_tag, copyright, key_point, quote, related_link, speaker, tag};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::Result;

/// Groups rows by their article, keeping the order they came in.
fn group<T>(rows: Vec<T>, article_of: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut map: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        map.entry(article_of(&row)).or_default().push(row);
    }
    map
}

pub async fn key_points(
    db: &impl ConnectionTrait,
    articles: &[Uuid],
) -> Result<HashMap<Uuid, Vec<key_point::Model>>> {
    let rows = key_point::Entity::find()
        .filter(key_point::Column::ArticleId.is_in(articles.iter().copied()))
        .order_by_asc(key_point::Column::ArticleId)
        .order_by_asc(key_point::Column::Position)
        .all(db)
        .await?;
    Ok(group(rows, |r| r.article_id))
}

pub async fn quotes(
    db: &impl ConnectionTrait,
    articles: &[Uuid],
) -> Result<HashMap<Uuid, Vec<quote::Model>>> {
    let rows = quote::Entity::find()
        .filter(quote::Column::ArticleId.is_in(articles.iter().copied()))
        .order_by_asc(quote::Column::ArticleId)
        .order_by_asc(quote::Column::Position)
        .all(db)
        .await?;
    Ok(group(rows, |r| r.article_id))
}

/// Each article's quotes, in order, and the speakers of them all, by id: one statement.
pub async fn quotes_with_speakers(
    db: &impl ConnectionTrait,
    articles: &[Uuid],
) -> Result<(
    HashMap<Uuid, Vec<quote::Model>>,
    HashMap<Uuid, speaker::Model>,
)> {
    let rows = quote::Entity::find()
        .find_both_related(speaker::Entity)
        .filter(quote::Column::ArticleId.is_in(articles.iter().copied()))
        .order_by_asc(quote::Column::ArticleId)
        .order_by_asc(quote::Column::Position)
        .all(db)
        .await?;
    let mut speakers = HashMap::new();
    let mut quotes = Vec::with_capacity(rows.len());
    for (quote, speaker) in rows {
        speakers.insert(speaker.id, speaker);
        quotes.push(quote);
    }
    Ok((group(quotes, |q| q.article_id), speakers))
}

pub async fn related_links(
    db: &impl ConnectionTrait,
    articles: &[Uuid],
) -> Result<HashMap<Uuid, Vec<related_link::Model>>> {
    let rows = related_link::Entity::find()
        .filter(related_link::Column::ArticleId.is_in(articles.iter().copied()))
        .order_by_asc(related_link::Column::ArticleId)
        .order_by_asc(related_link::Column::Position)
        .all(db)
        .await?;
    Ok(group(rows, |r| r.article_id))
}

pub async fn copyrights(
    db: &impl ConnectionTrait,
    articles: &[Uuid],
) -> Result<HashMap<Uuid, copyright::Model>> {
    let rows = copyright::Entity::find()
        .filter(copyright::Column::ArticleId.is_in(articles.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|c| (c.article_id, c)).collect())
}

/// Each article's tags, in the article's order.
pub async fn tags(
    db: &impl ConnectionTrait,
    articles: &[Uuid],
) -> Result<HashMap<Uuid, Vec<tag::Model>>> {
    let rows = article_tag::Entity::find()
        .find_also_related(tag::Entity)
        .filter(article_tag::Column::ArticleId.is_in(articles.iter().copied()))
        .order_by_asc(article_tag::Column::ArticleId)
        .order_by_asc(article_tag::Column::Position)
        .all(db)
        .await?;
    let mut map: HashMap<Uuid, Vec<tag::Model>> = HashMap::new();
    for (link, tag) in rows {
        if let Some(tag) = tag {
            map.entry(link.article_id).or_default().push(tag);
        }
    }
    Ok(map)
}
