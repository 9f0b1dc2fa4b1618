//! Answering a compiled operation: its arguments read the schema's way, one statement per
//! root field (the page, or the article, with the body forms the selection asks for), one more
//! for each of `totalCount`, the search's snippets and the tags' counts when asked for (as
//! the schema's resolvers batch them), then the JSON written in one pass.

use std::collections::HashSet;

use async_graphql::{ID, Name, Pos, Request, ServerError, parser::types::OperationDefinition};
use bytes::Bytes;
use futures_util::future::join_all;
use uuid::Uuid;

use super::{
    args,
    compile::{
        ArticleField, ConnectionField, EdgeField, QuoteField, Root, RootField, Selection, Slot,
        TagField,
    },
    write::{Extras, Writer, body_format},
};
use crate::{
    content::{
        self, articles, catalog,
        model::{self, ArticleRead, BodyFormats},
        pagination::{Page, PageArgs},
        search,
    },
    graphql::{
        UNAVAILABLE,
        batch::Reader,
        engine::{Executed, Outcome},
        graphql_error,
        query::{ListArgs, article_key},
        types::{ArticleFilter, ArticleOrder},
    },
};

/// What an operation's article selections ask for beyond their documents.
#[derive(Default)]
struct Wants {
    bodies: BodyFormats,
    snippets: bool,
    tag_counts: bool,
    total_count: bool,
}

impl Wants {
    /// What `selection` asks of its articles (and of the quotes' articles, the same ones);
    /// `None` when a body's format cannot be read.
    fn article(
        &mut self,
        args: &args::Reader<'_>,
        selection: &Selection<ArticleField>,
    ) -> Option<()> {
        for (_, slot) in &selection.fields {
            let Slot::Field(field) = slot else { continue };
            match field {
                ArticleField::Body(format) => {
                    self.bodies = self.bodies.with(body_format(args, format.as_ref())?);
                }
                ArticleField::SearchSnippet => self.snippets = true,
                ArticleField::Tags(tags) => {
                    self.tag_counts |= tags
                        .fields
                        .iter()
                        .any(|(_, s)| matches!(s, Slot::Field(TagField::ArticleCount)));
                }
                ArticleField::Quotes(quotes) => {
                    for (_, slot) in &quotes.fields {
                        if let Slot::Field(QuoteField::Article(article)) = slot {
                            self.article(args, article)?;
                        }
                    }
                }
                _ => {}
            }
        }
        Some(())
    }

    fn connection(
        &mut self,
        args: &args::Reader<'_>,
        selection: &Selection<ConnectionField>,
    ) -> Option<()> {
        for (_, slot) in &selection.fields {
            match slot {
                Slot::Field(ConnectionField::Nodes(article)) => self.article(args, article)?,
                Slot::Field(ConnectionField::Edges(edges)) => {
                    for (_, slot) in &edges.fields {
                        if let Slot::Field(EdgeField::Node(article)) = slot {
                            self.article(args, article)?;
                        }
                    }
                }
                Slot::Field(ConnectionField::TotalCount) => self.total_count = true,
                _ => {}
            }
        }
        Some(())
    }
}

/// What one root field read.
enum Read {
    Typename,
    Article(Option<Box<ArticleRead>>, Extras),
    Articles(Page<ArticleRead>, Option<u64>, Extras),
}

/// A root field's read, ready to run.
enum Planned {
    Typename,
    Article {
        key: articles::ArticleKey,
        wants: Wants,
    },
    Articles {
        args: ListArgs,
        wants: Wants,
    },
}

/// Answers `root` for `request`; `None` when the schema should answer it instead (an argument
/// the projection cannot read as the schema would, an error it cannot place).
pub async fn run(
    root: &Root,
    (name, operation): (Option<&Name>, &OperationDefinition),
    request: &Request,
    reader: &Reader,
    registry: &async_graphql::registry::Registry,
) -> Option<Executed> {
    let args = args::Reader::new(registry, operation, &request.variables);
    // Each root field's read; an argument the resolver would refuse is that field's error.
    let mut planned: Vec<content::Result<Planned>> = Vec::with_capacity(root.fields.len());
    for (_, slot) in &root.fields {
        planned.push(match slot {
            Slot::Typename => Ok(Planned::Typename),
            Slot::Field(RootField::Article(arguments, selection)) => {
                let slug: Option<String> = args.read(arguments.get("slug"))?;
                let id: Option<ID> = args.read(arguments.get("id"))?;
                let mut wants = Wants::default();
                wants.article(&args, selection)?;
                article_key(slug, id).map(|key| Planned::Article { key, wants })
            }
            Slot::Field(RootField::Articles(arguments, selection)) => {
                let page = PageArgs {
                    first: args.read(arguments.get("first"))?,
                    after: args.read(arguments.get("after"))?,
                    last: args.read(arguments.get("last"))?,
                    before: args.read(arguments.get("before"))?,
                };
                let filter: Option<ArticleFilter> = args.read(arguments.get("filter"))?;
                let order: Option<ArticleOrder> = args.read(arguments.get("orderBy"))?;
                let mut wants = Wants::default();
                wants.connection(&args, selection)?;
                ListArgs::new(page, filter, order).map(|args| Planned::Articles { args, wants })
            }
        });
    }
    let mut reads = join_all(planned.into_iter().map(|p| async move {
        match p {
            Ok(p) => read(&p, reader).await,
            Err(err) => Err(err),
        }
    }))
    .await;

    // With several root fields, one that fails is left out of the answer: the schema answers
    // those.
    let failed = reads.iter().any(Result::is_err);
    if failed && root.fields.len() > 1 {
        return None;
    }
    let mut w = Writer::new(&args, 4096);
    let mut errors = Vec::new();
    w.raw(b"{\"data\":");
    if failed {
        let Some(Err(err)) = reads.pop() else {
            return None;
        };
        let (key, slot) = &root.fields[0];
        let Slot::Field(field) = slot else {
            return None;
        };
        let pos = match field {
            RootField::Article(arguments, _) | RootField::Articles(arguments, _) => arguments.pos,
        };
        errors.push(placed(err, key, pos));
        // The schema leaves a field that failed out of its object, and an object with no
        // field left is null: with one root field, the whole answer.
        w.null();
    } else if root.fields.is_empty() {
        // Every root field skipped: the schema answers null.
        w.null();
    } else {
        w.raw(b"{");
        for (i, ((key, slot), read)) in root.fields.iter().zip(&reads).enumerate() {
            w.key(i, key);
            let Ok(read) = read else { return None };
            write_root(&mut w, slot, read).ok()?;
        }
        w.raw(b"}");
    }
    let outcome = if errors.is_empty() {
        Outcome::Ok
    } else {
        w.raw(b",\"errors\":");
        let _ = serde_json::to_writer(&mut w.out, &errors);
        if errors
            .iter()
            .any(|e| crate::graphql::engine::code(e) == Some(UNAVAILABLE))
        {
            Outcome::Unavailable
        } else {
            Outcome::Error
        }
    };
    w.raw(b"}");
    Some(Executed {
        body: Bytes::from(w.out),
        outcome,
        operation: request
            .operation_name
            .clone()
            .or_else(|| name.map(|n| n.to_string())),
        limits: Vec::new(),
        projected: true,
    })
}

/// A content error as the schema's resolver would report it at `key`.
fn placed(err: content::Error, key: &Name, pos: Pos) -> ServerError {
    let mut error = graphql_error(err).into_server_error(pos);
    error.path = vec![async_graphql::PathSegment::Field(key.to_string())];
    error
}

/// One root field's statements.
async fn read(planned: &Planned, reader: &Reader) -> Result<Read, content::Error> {
    let (db, visibility) = (&reader.db, reader.visibility);
    match planned {
        Planned::Typename => Ok(Read::Typename),
        Planned::Article { key, wants } => {
            let found = articles::find(db, visibility, key, wants.bodies).await?;
            let mut extras = Extras::default();
            if let Some(read) = &found {
                extras.tag_counts = tag_counts(reader, wants, [&read.article]).await?;
            }
            Ok(Read::Article(found.map(Box::new), extras))
        }
        Planned::Articles { args, wants } => {
            let page = articles::list(
                db,
                reader.rankings.as_deref(),
                visibility,
                &args.filter,
                args.order,
                &args.page,
                wants.bodies,
            )
            .await?;
            let ids: Vec<Uuid> = page.edges.iter().map(|e| e.node.article.id).collect();
            let total = async {
                if wants.total_count {
                    articles::count(db, visibility, &args.filter)
                        .await
                        .map(Some)
                } else {
                    Ok(None)
                }
            };
            let snippets = async {
                match &args.filter.search {
                    Some(query) if wants.snippets && !ids.is_empty() => {
                        search::snippet::articles(db, query, &ids).await.map(Some)
                    }
                    _ => Ok(None),
                }
            };
            let counts = tag_counts(reader, wants, page.edges.iter().map(|e| &e.node.article));
            let (total, snippets, tag_counts) = futures_util::join!(total, snippets, counts);
            let extras = Extras {
                snippets: snippets?,
                tag_counts: tag_counts?,
            };
            Ok(Read::Articles(page, total?, extras))
        }
    }
}

/// How many visible articles carry each tag of `reads`, when the query asks and there are any
/// tags (as the schema's resolvers count them: once, for all of them).
async fn tag_counts<'a>(
    reader: &Reader,
    wants: &Wants,
    articles: impl IntoIterator<Item = &'a model::Article>,
) -> Result<std::collections::HashMap<Uuid, i64>, content::Error> {
    if !wants.tag_counts {
        return Ok(Default::default());
    }
    let ids: HashSet<Uuid> = articles
        .into_iter()
        .flat_map(|a| a.tags.iter().map(|t| t.id))
        .collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort_unstable();
    catalog::article_counts_by_tag(&reader.db, reader.visibility, &ids).await
}

fn write_root(
    w: &mut Writer<'_>,
    slot: &Slot<RootField>,
    read: &Read,
) -> Result<(), super::write::Missing> {
    match (slot, read) {
        (Slot::Typename, Read::Typename) => w.string("Query"),
        (Slot::Field(RootField::Article(_, selection)), Read::Article(found, extras)) => {
            match found {
                Some(read) => w.article(read, selection, extras)?,
                None => w.null(),
            }
        }
        (Slot::Field(RootField::Articles(_, selection)), Read::Articles(page, total, extras)) => {
            w.object("ArticleConnection", selection, |w, field| {
                match field {
                    ConnectionField::PageInfo(s) => w.page_info(page, s)?,
                    ConnectionField::Edges(s) => w.edges(page, s, extras)?,
                    ConnectionField::Nodes(s) => w.nodes(page, s, extras)?,
                    ConnectionField::TotalCount => {
                        let total = total.ok_or(super::write::Missing)?;
                        w.int(i32::try_from(total).unwrap_or(i32::MAX).into());
                    }
                }
                Ok(())
            })?;
        }
        _ => return Err(super::write::Missing),
    }
    Ok(())
}
