//! The command line: serve, import, migrate, schema. Every command that takes a database
//! migrates it first.

use std::{io::Read, path::PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;

use crate::{
    config::{DatabaseSettings, ServeSettings},
    content::bundle,
    db, graphql, http,
};

/// A headless content API for news articles: GraphQL over HTTP, on SQLite or Postgres.
#[derive(Parser, Debug)]
#[command(name = "content-api", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API (GraphiQL at /graphql in a browser). Loads the demo article into an
    /// empty database unless --no-demo.
    Serve(ServeSettings),
    /// Import a bundle (JSON, the format of fixtures/demo.json; `-` reads standard input).
    /// Upserts by slug in one transaction: a bad file changes nothing.
    Import {
        /// The bundle file.
        file: PathBuf,
    },
    /// Manage the database schema.
    Migrate {
        #[arg(value_enum, default_value_t = MigrateAction::Up)]
        action: MigrateAction,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum MigrateAction {
    /// Apply pending migrations.
    Up,
    /// Roll back the last migration.
    Down,
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and migrate from scratch: destroys all content.
    Fresh,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let url = &cli.database.database_url;
    match cli.command {
        Command::Serve(settings) => serve(url, settings).await,
        Command::Import { file } => {
            let db = db::connect_and_migrate(url).await?;
            let report = import_file(&db, &file).await?;
            println!("imported {}\n{report}", file.display());
            Ok(())
        }
        Command::Migrate { action } => migrate(url, action).await,
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
    }
}

async fn serve(url: &str, settings: ServeSettings) -> anyhow::Result<()> {
    let db = db::connect_and_migrate(url).await?;
    tracing::info!(database = %db::redact(url), "database ready");
    if !settings.no_demo {
        crate::content::demo::load_if_empty(&db).await?;
    }
    let listener = std::net::TcpListener::bind(&settings.bind)
        .with_context(|| format!("could not listen on {}", settings.bind))?;
    let address = listener.local_addr()?;
    tracing::info!("serving on http://{address} (GraphiQL at http://{address}/graphql)");
    http::server(listener, db, &settings)?.await?;
    Ok(())
}

async fn import_file(
    db: &DatabaseConnection,
    file: &PathBuf,
) -> anyhow::Result<bundle::ImportReport> {
    let mut json = String::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut json)
            .context("could not read standard input")?;
    } else {
        json = std::fs::read_to_string(file)
            .with_context(|| format!("could not read {}", file.display()))?;
    }
    let bundle = bundle::parse(&json)
        .with_context(|| format!("{} is not a valid bundle", file.display()))?;
    let report = bundle::import(db, &bundle)
        .await
        .with_context(|| format!("could not import {}; nothing was changed", file.display()))?;
    Ok(report)
}

async fn migrate(url: &str, action: MigrateAction) -> anyhow::Result<()> {
    let db = db::connect_for_schema_changes(url).await?;
    match action {
        MigrateAction::Up => Migrator::up(&db, None).await?,
        MigrateAction::Down => Migrator::down(&db, Some(1)).await?,
        MigrateAction::Fresh => Migrator::fresh(&db).await?,
        MigrateAction::Status => {
            for m in Migrator::get_migration_with_status(&db).await? {
                println!("{:?}\t{}", m.status(), m.name());
            }
        }
    }
    Ok(())
}
