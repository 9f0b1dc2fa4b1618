//! Compiling an operation into what to write: for each type the projection answers, the
//! fields of a selection in the order the query selected them, as GraphQL's CollectFields has
//! it (see [`crate::graphql::collect`]). Anything the documents do not answer makes the
//! operation [`Fail::Unsupported`]; an `@skip`/`@include` on a variable makes it compile per
//! request.

use async_graphql::{
    Name, Pos, Positioned, Variables,
    parser::types::{
        DocumentOperations, ExecutableDocument, Field, OperationDefinition, OperationType,
        SelectionSet,
    },
    registry::Registry,
};

use crate::graphql::collect::{Collected, Collector, Unknown};

/// A value as the query wrote it, variables unread.
pub type Value = async_graphql_value::Value;

/// Why an operation has no projection.
#[derive(Debug, PartialEq, Eq)]
pub enum Fail {
    /// It asks for something the documents do not answer.
    Unsupported,
    /// A `@skip` or `@include` depends on a variable: it compiles per request.
    NeedsVariables,
    /// A condition's variable is missing or not a Boolean: the schema reports it.
    BadCondition,
}

/// What answers one response key of an object.
pub enum Slot<F> {
    Typename,
    Field(F),
}

/// The fields of a selection, by response key, in the order the query selected them.
pub struct Selection<F> {
    pub fields: Vec<(Name, Slot<F>)>,
}

/// The operation: its root fields.
pub struct Root {
    pub fields: Vec<(Name, Slot<RootField>)>,
}

/// A field's arguments as the query wrote them (variables unread) and where it is.
pub struct Arguments {
    pub pos: Pos,
    pub values: Vec<(Name, Positioned<Value>)>,
}

impl Arguments {
    fn of(field: &Positioned<Field>) -> Self {
        Self {
            pos: field.pos,
            values: field
                .node
                .arguments
                .iter()
                .map(|(name, value)| (name.node.clone(), value.clone()))
                .collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Positioned<Value>> {
        self.values
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v)
    }
}

pub enum RootField {
    Article(Arguments, Selection<ArticleField>),
    Articles(Arguments, Selection<ConnectionField>),
}

pub enum ConnectionField {
    PageInfo(Selection<PageInfoField>),
    Edges(Selection<EdgeField>),
    Nodes(Selection<ArticleField>),
    TotalCount,
}

pub enum PageInfoField {
    HasPreviousPage,
    HasNextPage,
    StartCursor,
    EndCursor,
}

pub enum EdgeField {
    Node(Selection<ArticleField>),
    Cursor,
}

pub enum ArticleField {
    Id,
    Slug,
    Title,
    Summary,
    /// The `format` argument, if given.
    Body(Option<Positioned<Value>>),
    Status,
    PublishedAt,
    CreatedAt,
    UpdatedAt,
    Section,
    CanonicalUrl,
    WordCount,
    ReadingTimeMinutes,
    Author(Selection<AuthorField>),
    Publication(Selection<PublicationField>),
    Tags(Selection<TagField>),
    KeyPoints(Selection<KeyPointField>),
    Quotes(Selection<QuoteField>),
    RelatedLinks(Selection<RelatedLinkField>),
    Copyright(Selection<CopyrightField>),
    SearchSnippet,
}

pub enum AuthorField {
    Id,
    Slug,
    Name,
    Kind,
}

pub enum PublicationField {
    Id,
    Slug,
    Name,
    Url,
    SponsorMessage,
    Links(Selection<PublicationLinkField>),
}

pub enum PublicationLinkField {
    Label,
    Url,
}

pub enum TagField {
    Slug,
    ArticleCount,
}

pub enum KeyPointField {
    Id,
    Position,
    Text,
}

pub enum QuoteField {
    Id,
    Position,
    Text,
    Context,
    Speaker(Selection<SpeakerField>),
    Article(Selection<ArticleField>),
}

pub enum SpeakerField {
    Id,
    Slug,
    Name,
    Role,
    Organization,
}

pub enum RelatedLinkField {
    Id,
    Position,
    Url,
    Title,
    Rel,
}

pub enum CopyrightField {
    Holder,
    Notice,
    Year,
    License,
}

/// A type the projection answers: its GraphQL name and its fields.
pub trait Object: Sized {
    const TYPE: &'static str;
    /// The field `name`, merged from `fields` (one per time the query selected it).
    fn field(cx: &Compiler<'_>, name: &str, fields: &[&Positioned<Field>]) -> Result<Self, Fail>;
}

/// Fields with no selection of their own.
macro_rules! leaves {
    ($type:ty, $name:literal, { $($field:literal => $variant:ident),* $(,)? }) => {
        impl Object for $type {
            const TYPE: &'static str = $name;
            fn field(_: &Compiler<'_>, name: &str, _: &[&Positioned<Field>]) -> Result<Self, Fail> {
                match name {
                    $($field => Ok(Self::$variant),)*
                    _ => Err(Fail::Unsupported),
                }
            }
        }
    };
}

leaves!(PageInfoField, "PageInfo", {
    "hasPreviousPage" => HasPreviousPage,
    "hasNextPage" => HasNextPage,
    "startCursor" => StartCursor,
    "endCursor" => EndCursor,
});
leaves!(AuthorField, "Author", { "id" => Id, "slug" => Slug, "name" => Name, "kind" => Kind });
leaves!(PublicationLinkField, "PublicationLink", { "label" => Label, "url" => Url });
leaves!(TagField, "Tag", { "slug" => Slug, "articleCount" => ArticleCount });
leaves!(KeyPointField, "KeyPoint", { "id" => Id, "position" => Position, "text" => Text });
leaves!(SpeakerField, "Speaker", {
    "id" => Id,
    "slug" => Slug,
    "name" => Name,
    "role" => Role,
    "organization" => Organization,
});
leaves!(RelatedLinkField, "RelatedLink", {
    "id" => Id,
    "position" => Position,
    "url" => Url,
    "title" => Title,
    "rel" => Rel,
});
leaves!(CopyrightField, "Copyright", {
    "holder" => Holder,
    "notice" => Notice,
    "year" => Year,
    "license" => License,
});

impl Object for ConnectionField {
    const TYPE: &'static str = "ArticleConnection";
    fn field(cx: &Compiler<'_>, name: &str, fields: &[&Positioned<Field>]) -> Result<Self, Fail> {
        Ok(match name {
            "pageInfo" => Self::PageInfo(cx.sub(fields)?),
            "edges" => Self::Edges(cx.sub(fields)?),
            "nodes" => Self::Nodes(cx.sub(fields)?),
            "totalCount" => Self::TotalCount,
            _ => return Err(Fail::Unsupported),
        })
    }
}

impl Object for EdgeField {
    const TYPE: &'static str = "ArticleEdge";
    fn field(cx: &Compiler<'_>, name: &str, fields: &[&Positioned<Field>]) -> Result<Self, Fail> {
        Ok(match name {
            "node" => Self::Node(cx.sub(fields)?),
            "cursor" => Self::Cursor,
            _ => return Err(Fail::Unsupported),
        })
    }
}

impl Object for ArticleField {
    const TYPE: &'static str = "Article";
    fn field(cx: &Compiler<'_>, name: &str, fields: &[&Positioned<Field>]) -> Result<Self, Fail> {
        Ok(match name {
            "id" => Self::Id,
            "slug" => Self::Slug,
            "title" => Self::Title,
            "summary" => Self::Summary,
            // Fields merged under one key have the same arguments (validation checks it).
            "body" => Self::Body(fields[0].node.get_argument("format").cloned()),
            "status" => Self::Status,
            "publishedAt" => Self::PublishedAt,
            "createdAt" => Self::CreatedAt,
            "updatedAt" => Self::UpdatedAt,
            "section" => Self::Section,
            "canonicalUrl" => Self::CanonicalUrl,
            "wordCount" => Self::WordCount,
            "readingTimeMinutes" => Self::ReadingTimeMinutes,
            "author" => Self::Author(cx.sub(fields)?),
            "publication" => Self::Publication(cx.sub(fields)?),
            "tags" => Self::Tags(cx.sub(fields)?),
            "keyPoints" => Self::KeyPoints(cx.sub(fields)?),
            "quotes" => Self::Quotes(cx.sub(fields)?),
            "relatedLinks" => Self::RelatedLinks(cx.sub(fields)?),
            "copyright" => Self::Copyright(cx.sub(fields)?),
            "searchSnippet" => Self::SearchSnippet,
            _ => return Err(Fail::Unsupported),
        })
    }
}

impl Object for PublicationField {
    const TYPE: &'static str = "Publication";
    fn field(cx: &Compiler<'_>, name: &str, fields: &[&Positioned<Field>]) -> Result<Self, Fail> {
        Ok(match name {
            "id" => Self::Id,
            "slug" => Self::Slug,
            "name" => Self::Name,
            "url" => Self::Url,
            "sponsorMessage" => Self::SponsorMessage,
            "links" => Self::Links(cx.sub(fields)?),
            _ => return Err(Fail::Unsupported),
        })
    }
}

impl Object for QuoteField {
    const TYPE: &'static str = "Quote";
    fn field(cx: &Compiler<'_>, name: &str, fields: &[&Positioned<Field>]) -> Result<Self, Fail> {
        Ok(match name {
            "id" => Self::Id,
            "position" => Self::Position,
            "text" => Self::Text,
            "context" => Self::Context,
            "speaker" => Self::Speaker(cx.sub(fields)?),
            "article" => Self::Article(cx.sub(fields)?),
            _ => return Err(Fail::Unsupported),
        })
    }
}

/// Compiles selections of one document.
pub struct Compiler<'a> {
    doc: &'a ExecutableDocument,
    fields: Collector<'a>,
}

impl<'a> Compiler<'a> {
    pub fn new(
        doc: &'a ExecutableDocument,
        registry: &'a Registry,
        variables: Option<&'a Variables>,
    ) -> Self {
        Self {
            doc,
            fields: Collector::new(doc, registry, variables),
        }
    }

    fn collect(&self, ty: &str, sets: &[&'a SelectionSet]) -> Result<Collected<'a>, Fail> {
        self.fields
            .collect(ty, sets)
            .map_err(|unknown| match unknown {
                Unknown::NeedsVariables => Fail::NeedsVariables,
                Unknown::Invalid => Fail::BadCondition,
            })
    }

    /// The document's one query operation, compiled.
    pub fn root(&self) -> Result<Root, Fail> {
        let (_, operation) = single_query(self.doc).ok_or(Fail::Unsupported)?;
        let collected = self.collect("Query", &[&operation.selection_set.node])?;
        let mut fields = Vec::with_capacity(collected.len());
        for (key, selected) in collected {
            let field = selected[0];
            let slot = match field.node.name.node.as_str() {
                "__typename" => Slot::Typename,
                "article" => Slot::Field(RootField::Article(
                    Arguments::of(field),
                    self.sub(&selected)?,
                )),
                "articles" => Slot::Field(RootField::Articles(
                    Arguments::of(field),
                    self.sub(&selected)?,
                )),
                _ => return Err(Fail::Unsupported),
            };
            fields.push((key, slot));
        }
        Ok(Root { fields })
    }

    /// The merged selection of `fields` (one response key), of type `F`.
    fn sub<F: Object>(&self, fields: &[&'a Positioned<Field>]) -> Result<Selection<F>, Fail> {
        let sets: Vec<&SelectionSet> = fields.iter().map(|f| &f.node.selection_set.node).collect();
        let collected = self.collect(F::TYPE, &sets)?;
        let mut out = Vec::with_capacity(collected.len());
        for (key, selected) in collected {
            let slot = match selected[0].node.name.node.as_str() {
                "__typename" => Slot::Typename,
                name => Slot::Field(F::field(self, name, &selected)?),
            };
            out.push((key, slot));
        }
        Ok(Selection { fields: out })
    }
}

/// The document's operation, with its name, when it is its only one and a query.
pub fn single_query(doc: &ExecutableDocument) -> Option<(Option<&Name>, &OperationDefinition)> {
    let (name, operation) = match &doc.operations {
        DocumentOperations::Single(op) => (None, &op.node),
        DocumentOperations::Multiple(ops) if ops.len() == 1 => {
            let (name, op) = ops.iter().next()?;
            (Some(name), &op.node)
        }
        DocumentOperations::Multiple(_) => return None,
    };
    (operation.ty == OperationType::Query).then_some((name, operation))
}
