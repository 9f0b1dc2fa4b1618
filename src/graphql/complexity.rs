//! The schema-aware complexity of an operation, computed as async-graphql's validation does
//! (each field costs 1 plus what it selects; a connection costs its page size times what each
//! node selects, see [`page_cost`]), but before execution and with no extension: an
//! async-graphql extension, whatever it hooks, takes every field off its fast path.
//!
//! Counted the way async-graphql counts, so a document is refused exactly when it would be:
//! fragments are expanded where they are spread (with the type of the selection they are
//! spread into, as async-graphql does), `__typename` costs nothing, and fields a `@skip` would
//! drop are counted. A test compares both counts over many documents.

use async_graphql::{
    Name, Positioned, Variables,
    parser::types::{ExecutableDocument, Field, OperationDefinition, Selection, SelectionSet},
    registry::{MetaType, Registry},
};

use crate::content::pagination;

/// The connection fields, each costing its page size times what a node selects: (type, field,
/// whether it takes `last`). A test checks that these are the schema's fields with a
/// complexity function of their own.
pub const CONNECTIONS: [(&str, &str, bool); 5] = [
    ("Query", "articles", true),
    ("Query", "speakers", false),
    ("Query", "quotes", false),
    ("Speaker", "quotes", false),
    ("Speaker", "articles", false),
];

/// The cost of a connection field: its page size (`first`, else `last`, else the default)
/// times what each node selects, plus one for the field itself.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first
        .or(last)
        .unwrap_or(pagination::DEFAULT_PAGE_SIZE)
        .clamp(0, pagination::MAX_PAGE_SIZE);
    let size = usize::try_from(size).unwrap_or_default();
    size.saturating_mul(child_complexity).saturating_add(1)
}

/// What complexity needs of a request.
pub struct Complexity<'a> {
    pub registry: &'a Registry,
    pub doc: &'a ExecutableDocument,
    pub operation: &'a OperationDefinition,
    pub variables: &'a Variables,
}

impl Complexity<'_> {
    /// The operation's complexity; `None` when a page size cannot be read (a variable that is
    /// not given, or not a number), which validation then reports.
    pub fn of_operation(&self) -> Option<usize> {
        let root = super::root_type(self.registry, self.operation.ty);
        let root = self.registry.types.get(root);
        self.selection_set(root, &self.operation.selection_set)
    }

    fn selection_set(
        &self,
        ty: Option<&MetaType>,
        set: &Positioned<SelectionSet>,
    ) -> Option<usize> {
        let mut total = 0usize;
        for selection in &set.node.items {
            let cost = match &selection.node {
                Selection::Field(field) if field.node.name.node == "__typename" => 0,
                Selection::Field(field) => self.field(ty, &field.node)?,
                Selection::FragmentSpread(spread) => {
                    match self.doc.fragments.get(&spread.node.fragment_name.node) {
                        Some(fragment) => self.selection_set(ty, &fragment.node.selection_set)?,
                        None => 0,
                    }
                }
                Selection::InlineFragment(inline) => {
                    let ty = match &inline.node.type_condition {
                        Some(condition) => self.registry.types.get(condition.node.on.node.as_str()),
                        None => ty,
                    };
                    self.selection_set(ty, &inline.node.selection_set)?
                }
            };
            total = total.saturating_add(cost);
        }
        Some(total)
    }

    fn field(&self, parent: Option<&MetaType>, field: &Field) -> Option<usize> {
        let name = field.name.node.as_str();
        let child_type = parent
            .and_then(|ty| ty.field_by_name(name))
            .and_then(|f| self.registry.concrete_type_by_name(&f.ty));
        let children = self.selection_set(child_type, &field.selection_set)?;
        let connection = match parent {
            Some(MetaType::Object { name: parent, .. }) => CONNECTIONS
                .iter()
                .find(|(ty, f, _)| ty == parent && *f == name),
            _ => None,
        };
        match connection {
            Some((_, _, takes_last)) => {
                let first = self.page_size(field, "first")?;
                let last = if *takes_last {
                    self.page_size(field, "last")?
                } else {
                    None
                };
                Some(page_cost(first, last, children))
            }
            None => Some(children.saturating_add(1)),
        }
    }

    /// A page-size argument as the field's resolver would read it.
    fn page_size(&self, field: &Field, argument: &str) -> Option<Option<i32>> {
        let Some(value) = field.get_argument(argument) else {
            return Some(None);
        };
        let definitions = &self.operation.variable_definitions;
        let value = value
            .node
            .clone()
            .into_const_with(|name: Name| {
                definitions
                    .iter()
                    .find(|d| d.node.name.node == name)
                    .and_then(|d| {
                        self.variables
                            .get(&d.node.name.node)
                            .or_else(|| d.node.default_value())
                    })
                    .cloned()
                    .ok_or(())
            })
            .ok()?;
        <Option<i32> as async_graphql::InputType>::parse(Some(value)).ok()
    }
}

/// The connection fields the schema has, by their complexity functions: for the test that
/// keeps [`CONNECTIONS`] true.
pub fn fields_with_complexity(registry: &Registry) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (type_name, ty) in &registry.types {
        if let MetaType::Object { fields, .. } = ty {
            for (field_name, field) in fields {
                if field.compute_complexity.is_some() {
                    found.push((type_name.clone(), field_name.clone()));
                }
            }
        }
    }
    found.sort();
    found
}
