//! The whole content of a database as one comparable value: to prove that something changed
//! nothing (an import that failed, or was killed halfway).

use std::{collections::BTreeMap, fmt::Debug};

use content_api::db;
use sea_orm::{DatabaseConnection, EntityTrait};

/// Every row of `E`, printed and sorted so two reads compare as whole values.
pub async fn rows<E>(db: &DatabaseConnection) -> Vec<String>
where
    E: EntityTrait,
    E::Model: Debug,
{
    let mut rows: Vec<String> = E::find()
        .all(db)
        .await
        .expect("read a table")
        .iter()
        .map(|row| format!("{row:?}"))
        .collect();
    rows.sort();
    rows
}

/// Every table's rows, timestamps and search documents included, by table.
pub async fn snapshot(database_url: &str) -> BTreeMap<&'static str, Vec<String>> {
    use entity::*;
    let db = db::connect(database_url).await.expect("connect");
    let snapshot = BTreeMap::from([
        ("publications", rows::<publication::Entity>(&db).await),
        (
            "publication_links",
            rows::<publication_link::Entity>(&db).await,
        ),
        ("authors", rows::<author::Entity>(&db).await),
        ("speakers", rows::<speaker::Entity>(&db).await),
        ("tags", rows::<tag::Entity>(&db).await),
        ("articles", rows::<article::Entity>(&db).await),
        ("article_tags", rows::<article_tag::Entity>(&db).await),
        ("key_points", rows::<key_point::Entity>(&db).await),
        ("quotes", rows::<quote::Entity>(&db).await),
        ("related_links", rows::<related_link::Entity>(&db).await),
        ("copyrights", rows::<copyright::Entity>(&db).await),
        (
            "article_search_docs",
            rows::<article_search_doc::Entity>(&db).await,
        ),
        (
            "quote_search_docs",
            rows::<quote_search_doc::Entity>(&db).await,
        ),
        ("api_tokens", rows::<api_token::Entity>(&db).await),
    ]);
    db.close().await.ok();
    snapshot
}
