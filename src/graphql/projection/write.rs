//! Writing an answer's JSON straight from articles' documents, field by field in the order the
//! query selected them, each value as the schema's types serve it (ids, enums, date-times).

use std::collections::HashMap;

use async_graphql::{InputType, Name, Positioned, Value};

use super::compile::Value as AstValue;
use uuid::Uuid;

use super::{
    args,
    compile::{
        ArticleField, AuthorField, CopyrightField, EdgeField, KeyPointField, PageInfoField,
        PublicationField, PublicationLinkField, QuoteField, RelatedLinkField, Selection, Slot,
        SpeakerField, TagField,
    },
};
use crate::{
    content::{
        body,
        model::{self, ArticleRead},
        pagination::Page,
    },
    graphql::types::{ArticleStatus, AuthorKind, BodyFormat, DateTime, GlobalId, Kind, LinkRel},
};

/// What a root field's articles were read with beyond their documents.
#[derive(Default)]
pub struct Extras {
    /// The passage each article matched, when a search found them (else `searchSnippet` is
    /// null).
    pub snippets: Option<HashMap<Uuid, String>>,
    /// How many visible articles carry each of their tags, when the query asks.
    pub tag_counts: HashMap<Uuid, i64>,
}

/// A value the documents did not hold after all (a body form not read): the request runs
/// through the schema instead.
#[derive(Debug)]
pub struct Missing;

pub struct Writer<'a> {
    pub out: Vec<u8>,
    args: &'a args::Reader<'a>,
}

/// The body form a `body` field asks for: its `format`, else Markdown. `None` when the
/// argument cannot be read.
pub fn body_format(
    args: &args::Reader<'_>,
    format: Option<&Positioned<AstValue>>,
) -> Option<model::BodyFormat> {
    let format: Option<BodyFormat> = args.read(format)?;
    Some(format.unwrap_or(BodyFormat::Markdown).into())
}

impl<'a> Writer<'a> {
    pub fn new(args: &'a args::Reader<'a>, capacity: usize) -> Self {
        Self {
            out: Vec::with_capacity(capacity),
            args,
        }
    }

    pub fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// `"key":`, after a comma unless it is the object's first. Keys are GraphQL names,
    /// which need no escaping.
    pub fn key(&mut self, index: usize, key: &Name) {
        if index > 0 {
            self.out.push(b',');
        }
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    pub fn string(&mut self, s: &str) {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.out, s);
    }

    fn opt_string(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.string(s),
            None => self.null(),
        }
    }

    pub fn null(&mut self) {
        self.out.extend_from_slice(b"null");
    }

    pub fn bool(&mut self, b: bool) {
        self.out
            .extend_from_slice(if b { b"true" } else { b"false" });
    }

    pub fn int(&mut self, n: i64) {
        self.out.extend_from_slice(n.to_string().as_bytes());
    }

    fn opt_int(&mut self, n: Option<i32>) {
        match n {
            Some(n) => self.int(n.into()),
            None => self.null(),
        }
    }

    fn id(&mut self, kind: Kind, id: Uuid) {
        self.string(&GlobalId::new(kind, id).encode());
    }

    fn time(&mut self, t: chrono::DateTime<chrono::Utc>) {
        self.string(&DateTime(t).served());
    }

    /// An enum value by its GraphQL name.
    fn enum_value<T: InputType>(&mut self, value: T) {
        match value.to_value() {
            Value::Enum(name) => self.string(&name),
            other => {
                let _ = serde_json::to_writer(&mut self.out, &other);
            }
        }
    }

    /// An object: `{`, each slot, `}`. With no field left to write (all skipped), `null`, as
    /// the schema answers.
    pub fn object<F>(
        &mut self,
        type_name: &str,
        selection: &Selection<F>,
        mut field: impl FnMut(&mut Self, &F) -> Result<(), Missing>,
    ) -> Result<(), Missing> {
        if selection.fields.is_empty() {
            self.null();
            return Ok(());
        }
        self.out.push(b'{');
        for (i, (key, slot)) in selection.fields.iter().enumerate() {
            self.key(i, key);
            match slot {
                Slot::Typename => self.string(type_name),
                Slot::Field(f) => field(self, f)?,
            }
        }
        self.out.push(b'}');
        Ok(())
    }

    fn list<T>(
        &mut self,
        items: &[T],
        mut item: impl FnMut(&mut Self, &T) -> Result<(), Missing>,
    ) -> Result<(), Missing> {
        self.out.push(b'[');
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            item(self, it)?;
        }
        self.out.push(b']');
        Ok(())
    }

    /// A page of articles as an `ArticleConnection`'s `edges`, `nodes` and `pageInfo`;
    /// `total` answers `totalCount`.
    pub fn page_info(
        &mut self,
        page: &Page<ArticleRead>,
        selection: &Selection<PageInfoField>,
    ) -> Result<(), Missing> {
        let start = page.edges.first().map(|e| e.cursor.as_str());
        let end = page.edges.last().map(|e| e.cursor.as_str());
        self.object("PageInfo", selection, |w, f| {
            match f {
                PageInfoField::HasPreviousPage => w.bool(page.has_previous_page),
                PageInfoField::HasNextPage => w.bool(page.has_next_page),
                PageInfoField::StartCursor => w.opt_string(start),
                PageInfoField::EndCursor => w.opt_string(end),
            }
            Ok(())
        })
    }

    pub fn edges(
        &mut self,
        page: &Page<ArticleRead>,
        selection: &Selection<EdgeField>,
        extras: &Extras,
    ) -> Result<(), Missing> {
        self.list(&page.edges, |w, edge| {
            w.object("ArticleEdge", selection, |w, f| match f {
                EdgeField::Node(article) => w.article(&edge.node, article, extras),
                EdgeField::Cursor => {
                    w.string(&edge.cursor);
                    Ok(())
                }
            })
        })
    }

    pub fn nodes(
        &mut self,
        page: &Page<ArticleRead>,
        selection: &Selection<ArticleField>,
        extras: &Extras,
    ) -> Result<(), Missing> {
        self.list(&page.edges, |w, edge| {
            w.article(&edge.node, selection, extras)
        })
    }

    pub fn article(
        &mut self,
        read: &ArticleRead,
        selection: &Selection<ArticleField>,
        extras: &Extras,
    ) -> Result<(), Missing> {
        let a = &read.article;
        self.object("Article", selection, |w, f| {
            match f {
                ArticleField::Id => w.id(Kind::Article, a.id),
                ArticleField::Slug => w.string(&a.slug),
                ArticleField::Title => w.string(&a.title),
                ArticleField::Summary => w.opt_string(a.summary.as_deref()),
                ArticleField::Body(format) => {
                    let format = body_format(w.args, format.as_ref()).ok_or(Missing)?;
                    w.string(read.body.get(format).ok_or(Missing)?);
                }
                ArticleField::Status => w.enum_value(ArticleStatus::from(a.status)),
                ArticleField::PublishedAt => match a.published_at {
                    Some(t) => w.time(t),
                    None => w.null(),
                },
                ArticleField::CreatedAt => w.time(a.created_at),
                ArticleField::UpdatedAt => w.time(a.updated_at),
                ArticleField::Section => w.opt_string(a.section.as_deref()),
                ArticleField::CanonicalUrl => w.opt_string(a.canonical_url.as_deref()),
                ArticleField::WordCount => w.int(a.word_count.into()),
                ArticleField::ReadingTimeMinutes => {
                    w.int(body::reading_time_minutes(a.word_count).into());
                }
                ArticleField::Author(selection) => match &a.author {
                    Some(author) => w.author(author, selection)?,
                    None => w.null(),
                },
                ArticleField::Publication(selection) => w.publication(&a.publication, selection)?,
                ArticleField::Tags(selection) => {
                    w.list(&a.tags, |w, tag| w.tag(tag, selection, extras))?;
                }
                ArticleField::KeyPoints(selection) => {
                    w.list(&a.key_points, |w, point| w.key_point(point, selection))?;
                }
                ArticleField::Quotes(selection) => {
                    w.list(&a.quotes, |w, quote| {
                        w.quote(read, quote, selection, extras)
                    })?;
                }
                ArticleField::RelatedLinks(selection) => {
                    w.list(&a.related_links, |w, link| w.related_link(link, selection))?;
                }
                ArticleField::Copyright(selection) => match &a.copyright {
                    Some(copyright) => w.copyright(copyright, selection)?,
                    None => w.null(),
                },
                ArticleField::SearchSnippet => {
                    let snippet = extras.snippets.as_ref().and_then(|s| s.get(&a.id));
                    w.opt_string(snippet.map(String::as_str));
                }
            }
            Ok(())
        })
    }

    fn author(
        &mut self,
        author: &model::Author,
        selection: &Selection<AuthorField>,
    ) -> Result<(), Missing> {
        self.object("Author", selection, |w, f| {
            match f {
                AuthorField::Id => w.id(Kind::Author, author.id),
                AuthorField::Slug => w.string(&author.slug),
                AuthorField::Name => w.string(&author.name),
                AuthorField::Kind => w.enum_value(AuthorKind::from(author.kind)),
            }
            Ok(())
        })
    }

    fn publication(
        &mut self,
        publication: &model::Publication,
        selection: &Selection<PublicationField>,
    ) -> Result<(), Missing> {
        self.object("Publication", selection, |w, f| {
            match f {
                PublicationField::Id => w.id(Kind::Publication, publication.id),
                PublicationField::Slug => w.string(&publication.slug),
                PublicationField::Name => w.string(&publication.name),
                PublicationField::Url => w.opt_string(publication.url.as_deref()),
                PublicationField::SponsorMessage => {
                    w.opt_string(publication.sponsor_message.as_deref());
                }
                PublicationField::Links(selection) => {
                    w.list(&publication.links, |w, link| {
                        w.object("PublicationLink", selection, |w, f| {
                            match f {
                                PublicationLinkField::Label => w.string(&link.label),
                                PublicationLinkField::Url => w.string(&link.url),
                            }
                            Ok(())
                        })
                    })?;
                }
            }
            Ok(())
        })
    }

    fn tag(
        &mut self,
        tag: &model::Tag,
        selection: &Selection<TagField>,
        extras: &Extras,
    ) -> Result<(), Missing> {
        self.object("Tag", selection, |w, f| {
            match f {
                TagField::Slug => w.string(&tag.slug),
                TagField::ArticleCount => {
                    let count = extras.tag_counts.get(&tag.id).copied().unwrap_or(0);
                    w.int(i32::try_from(count).unwrap_or(i32::MAX).into());
                }
            }
            Ok(())
        })
    }

    fn key_point(
        &mut self,
        point: &model::KeyPoint,
        selection: &Selection<KeyPointField>,
    ) -> Result<(), Missing> {
        self.object("KeyPoint", selection, |w, f| {
            match f {
                KeyPointField::Id => w.id(Kind::KeyPoint, point.id),
                KeyPointField::Position => w.int(point.position.into()),
                KeyPointField::Text => w.string(&point.text),
            }
            Ok(())
        })
    }

    /// A quote of the article `read`, which is also what its `article` field answers.
    fn quote(
        &mut self,
        read: &ArticleRead,
        quote: &model::Quote,
        selection: &Selection<QuoteField>,
        extras: &Extras,
    ) -> Result<(), Missing> {
        self.object("Quote", selection, |w, f| {
            match f {
                QuoteField::Id => w.id(Kind::Quote, quote.id),
                QuoteField::Position => w.int(quote.position.into()),
                QuoteField::Text => w.string(&quote.text),
                QuoteField::Context => w.opt_string(quote.context.as_deref()),
                QuoteField::Speaker(selection) => w.speaker(&quote.speaker, selection)?,
                QuoteField::Article(selection) => w.article(read, selection, extras)?,
            }
            Ok(())
        })
    }

    fn speaker(
        &mut self,
        speaker: &model::Speaker,
        selection: &Selection<SpeakerField>,
    ) -> Result<(), Missing> {
        self.object("Speaker", selection, |w, f| {
            match f {
                SpeakerField::Id => w.id(Kind::Speaker, speaker.id),
                SpeakerField::Slug => w.string(&speaker.slug),
                SpeakerField::Name => w.string(&speaker.name),
                SpeakerField::Role => w.opt_string(speaker.role.as_deref()),
                SpeakerField::Organization => w.opt_string(speaker.organization.as_deref()),
            }
            Ok(())
        })
    }

    fn related_link(
        &mut self,
        link: &model::RelatedLink,
        selection: &Selection<RelatedLinkField>,
    ) -> Result<(), Missing> {
        self.object("RelatedLink", selection, |w, f| {
            match f {
                RelatedLinkField::Id => w.id(Kind::RelatedLink, link.id),
                RelatedLinkField::Position => w.int(link.position.into()),
                RelatedLinkField::Url => w.string(&link.url),
                RelatedLinkField::Title => w.opt_string(link.title.as_deref()),
                RelatedLinkField::Rel => w.enum_value(LinkRel::from(link.rel)),
            }
            Ok(())
        })
    }

    fn copyright(
        &mut self,
        copyright: &model::Copyright,
        selection: &Selection<CopyrightField>,
    ) -> Result<(), Missing> {
        self.object("Copyright", selection, |w, f| {
            match f {
                CopyrightField::Holder => w.string(&copyright.holder),
                CopyrightField::Notice => w.string(&copyright.notice),
                CopyrightField::Year => w.opt_int(copyright.year),
                CopyrightField::License => w.opt_string(copyright.license.as_deref()),
            }
            Ok(())
        })
    }
}
