//! The command line: serve, import, export, token, webhook, migrate, schema. Every command that takes
//! a database migrates it first (`migrate` excepted: it is how you choose what to apply).

mod webhook;

use std::{
    io::Read,
    path::{Path, PathBuf},
};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;

use crate::{
    config::{DatabaseSettings, LogFormat, ServeSettings},
    content::{bundle, ids::Ids},
    db, graphql, http, ready,
};

/// A headless content API for news articles: GraphQL over HTTP, on SQLite or Postgres.
#[derive(Parser, Debug)]
#[command(name = "content-api", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// How log lines look: `text` for people, `json` for log collectors.
    #[arg(long, env = "CONTENT_API_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API (GraphiQL at /graphql in a browser). Loads the demo article into an
    /// empty database unless --no-demo.
    Serve(Box<ServeSettings>),
    /// Import a bundle (JSON, the format of fixtures/demo.json; `-` reads standard input).
    /// Upserts by slug in one transaction: a bad file changes nothing.
    Import {
        /// The bundle file.
        file: PathBuf,
    },
    /// Export every article (all statuses), publication, author and speaker as a bundle, the
    /// import format, sorted by slug. Importing it elsewhere reproduces the content.
    Export {
        /// Where to write the bundle (atomically); standard output when missing or `-`.
        file: Option<PathBuf>,
    },
    /// Manage the database schema.
    Migrate {
        #[arg(value_enum, default_value_t = MigrateAction::Up)]
        action: MigrateAction,
    },
    /// Manage API tokens: a `preview` token reads drafts and scheduled articles, a `write`
    /// token also writes. Requests send one as `Authorization: Bearer TOKEN`.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Manage webhooks: receivers of article events (published, updated, unpublished,
    /// archived, deleted), delivered by the running servers.
    Webhook {
        #[command(subcommand)]
        action: webhook::WebhookAction,
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

#[derive(Subcommand, Debug)]
pub enum TokenAction {
    /// Create a token and print it (the last line). It is shown only this once: only its hash
    /// is kept.
    Create {
        /// How you will refer to the token (unique, at most 100 characters).
        #[arg(long)]
        name: String,
        /// What the token allows.
        #[arg(long, value_enum)]
        scope: TokenScope,
    },
    /// List the tokens: name, scope, when created, last used and revoked (never the tokens).
    List,
    /// Revoke a token: requests that carry it are refused from now on.
    Revoke {
        /// The token's name.
        name: String,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum TokenScope {
    /// Read everything, drafts and scheduled articles included.
    Preview,
    /// Read everything and write.
    Write,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let database = &cli.database;
    match cli.command {
        Command::Serve(settings) => serve(database, *settings).await,
        Command::Import { file } => {
            let db = db::open_and_migrate(database).await?;
            let report = import_file(&db, &file, Ids::TimeOrdered).await?;
            println!("imported {}\n{report}", file.display());
            Ok(())
        }
        Command::Export { file } => {
            let db = db::open_and_migrate(database).await?;
            export_file(&db, file.as_deref()).await
        }
        Command::Migrate { action } => migrate(database, action).await,
        Command::Token { action } => token(database, action).await,
        Command::Webhook { action } => webhook::run(database, action).await,
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
    }
}

async fn serve(database: &DatabaseSettings, mut settings: ServeSettings) -> anyhow::Result<()> {
    // The port first: a server that cannot listen fails before it writes anything.
    let listener = std::net::TcpListener::bind(&settings.bind)
        .with_context(|| format!("could not listen on {}", settings.bind))?;
    let address = listener.local_addr()?;
    // A statement outlives its request by no more than the request's own time limit.
    let database = &DatabaseSettings {
        statement_timeout_ms: Some(settings.execution_timeout_ms),
        ..database.clone()
    };
    let db = db::open_and_migrate(database).await?;
    tracing::info!(database = %db::redact(&database.database_url), "database ready");
    if settings.imports.is_empty() {
        if !settings.no_demo {
            crate::content::demo::load_if_empty(&db).await?;
        }
    } else {
        // The test mode: the fixtures, and writes through the API, get derived ids, so a
        // test's own writes repeat too.
        settings.ids = Ids::Derived;
        for file in &settings.imports {
            let report = import_file(&db, file, settings.ids).await?;
            tracing::info!(file = %file.display(), articles = %report.articles, "imported");
        }
    }
    let mut tokens = serde_json::Map::new();
    for spec in &settings.tokens {
        let (_, token) = crate::content::tokens::create(&db, &spec.name, spec.scope)
            .await
            .with_context(|| format!("could not create the token {:?}", spec.name))?;
        tokens.insert(spec.name.clone(), token.into());
    }
    let server = http::server(listener, db, &settings)?;
    let handle = server.handle();
    let running = tokio::spawn(server);
    let url = format!("http://{}", ready::reachable(address));
    tracing::info!("serving on {url} (GraphiQL at {url}/graphql)");
    if let Err(error) = ready::wait_until_answering(address).await {
        handle.stop(false).await;
        return Err(error);
    }
    ready::announce(&url, tokens)?;
    running.await.context("the server stopped")??;
    Ok(())
}

async fn import_file(
    db: &DatabaseConnection,
    file: &Path,
    ids: Ids,
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
    let report = bundle::import(db, &bundle, ids)
        .await
        .with_context(|| format!("could not import {}; nothing was changed", file.display()))?;
    Ok(report)
}

/// Writes the export, pretty-printed with a trailing newline, and a one-line summary to
/// standard error (standard output may be the bundle itself).
async fn export_file(
    db: &DatabaseConnection,
    file: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use std::io::Write as _;

    let bundle = bundle::export_snapshot(db)
        .await
        .context("could not export the database")?;
    let mut json =
        serde_json::to_string_pretty(&bundle).context("could not serialize the bundle")?;
    json.push('\n');
    let destination = match file.filter(|f| f.as_os_str() != "-") {
        Some(path) => {
            write_atomically(path, json.as_bytes())
                .with_context(|| format!("could not write {}", path.display()))?;
            path.display().to_string()
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(json.as_bytes())
                .and_then(|()| stdout.flush())
                .context("could not write standard output")?;
            "-".to_owned()
        }
    };
    eprintln!(
        "exported {destination}: {} publications, {} authors, {} speakers, {} articles",
        bundle.publications.len(),
        bundle.authors.len(),
        bundle.speakers.len(),
        bundle.articles.len()
    );
    Ok(())
}

/// Writes a temporary file next to `path` and renames it over `path`, so a reader (or a crash)
/// sees the old file or the new one, never half of one.
fn write_atomically(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;

    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => std::path::Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("not a file name"))?;
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::File::create(&temp).and_then(|mut f| {
        f.write_all(contents)?;
        f.sync_all()
    });
    if let Err(err) = written.and_then(|()| std::fs::rename(&temp, path)) {
        let _ = std::fs::remove_file(&temp);
        return Err(err);
    }
    // Makes the rename itself durable; not every platform can open a directory, so best effort.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

async fn migrate(database: &DatabaseSettings, action: MigrateAction) -> anyhow::Result<()> {
    let db = db::connect_for_schema_changes(database).await?;
    match action {
        MigrateAction::Up => db::migrate(&db).await?,
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

async fn token(database: &DatabaseSettings, action: TokenAction) -> anyhow::Result<()> {
    use crate::content::tokens::{self, Revoked, Scope};

    let db = db::open_and_migrate(database).await?;
    match action {
        TokenAction::Create { name, scope } => {
            let scope = match scope {
                TokenScope::Preview => Scope::Preview,
                TokenScope::Write => Scope::Write,
            };
            let (_, token) = tokens::create(&db, &name, scope)
                .await
                .context("could not create the token")?;
            println!("created the {} token {name:?}", tokens::scope_name(scope));
            println!("Send it as `Authorization: Bearer TOKEN`. It is shown only this once:");
            println!("{token}");
        }
        TokenAction::List => {
            let list = tokens::list(&db)
                .await
                .context("could not list the tokens")?;
            if list.is_empty() {
                println!("no tokens; create one with `content-api token create`");
                return Ok(());
            }
            let rows: Vec<[String; 5]> = list
                .iter()
                .map(|t| {
                    [
                        t.name.clone(),
                        tokens::scope_name(t.scope).to_owned(),
                        cli_time(t.created_at),
                        t.last_used_at.map_or_else(|| "never".to_owned(), cli_time),
                        t.revoked_at.map_or_else(|| "-".to_owned(), cli_time),
                    ]
                })
                .collect();
            print_table(["NAME", "SCOPE", "CREATED", "LAST USED", "REVOKED"], &rows);
        }
        TokenAction::Revoke { name } => match tokens::revoke(&db, &name).await? {
            Revoked::Now(_) => println!("revoked the token {name:?}"),
            Revoked::Earlier(at) => {
                println!("the token {name:?} was already revoked at {}", cli_time(at));
            }
        },
    }
    Ok(())
}

/// A time in a table: UTC to the second.
fn cli_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Left-aligned columns two spaces apart, the header first.
fn print_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; N]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header);
    for row in rows {
        line(row.each_ref().map(String::as_str));
    }
}
