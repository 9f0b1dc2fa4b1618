//! Limits on what one GraphQL document may ask for, checked before any database work.
//!
//! Three stages, each cheap and bounded by the one before it:
//! 1. the text, before it is parsed: its size, and how deeply its brackets nest (a deep
//!    document would otherwise exhaust the parser's stack);
//! 2. the parsed document, fragments expanded but each fragment costed once (a fragment that
//!    doubles at every level is measured without being expanded): root fields (each runs
//!    statements of its own), depth, fields, aliases, directives, fragment cycles; then
//!    what async-graphql would trip on: NUL characters, an unknown `operationName`, variables
//!    of unknown types;
//! 3. with the request's variables, which the first two keep cheap: the schema-aware
//!    complexity, where a connection costs its page size times what it selects (see
//!    [`super::complexity`]).
//!
//! A rejection is a request error with `extensions.code = "LIMIT_EXCEEDED"` and
//! `extensions.limit` naming the limit, so a client and `/metrics` can tell them apart.

use std::collections::HashMap;

use async_graphql::{
    Request, ServerError, ServerResult, Value,
    parser::types::{BaseType, ExecutableDocument, Selection, SelectionSet, Type},
};

use crate::config::QueryLimits;

/// The code of every limit rejection.
pub const LIMIT_EXCEEDED: &str = "LIMIT_EXCEEDED";

/// How deeply brackets may nest in the text: the parser's own recursion limit.
const MAX_NESTING: usize = 64;

/// A limit a request went over.
pub fn exceeded(limit: &str, max: usize, actual: usize, message: String) -> ServerError {
    let mut err = ServerError::new(message, None);
    let extensions = err.extensions.get_or_insert_with(Default::default);
    extensions.set("code", LIMIT_EXCEEDED);
    extensions.set("limit", limit);
    extensions.set("max", Value::from(max as u64));
    extensions.set("actual", Value::from(actual as u64));
    err
}

/// Stage 1: the size of the document and the nesting of its brackets, outside strings and
/// comments. Linear in the text, no allocation.
pub fn check_text(query: &str, limits: &QueryLimits) -> ServerResult<()> {
    if query.len() > limits.max_query_bytes {
        return Err(exceeded(
            "query_size",
            limits.max_query_bytes,
            query.len(),
            format!(
                "the query document is {} bytes; at most {} are allowed (send content in variables)",
                query.len(),
                limits.max_query_bytes
            ),
        ));
    }
    let nesting = bracket_nesting(query);
    if nesting > MAX_NESTING {
        return Err(exceeded(
            "depth",
            MAX_NESTING,
            nesting,
            format!("the query nests brackets {nesting} deep; at most {MAX_NESTING} are allowed"),
        ));
    }
    Ok(())
}

/// The deepest nesting of `{`, `[` and `(` outside strings, block strings and comments.
fn bracket_nesting(query: &str) -> usize {
    let bytes = query.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // `\"""` is an escaped delimiter inside a block string.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// What a selection costs once its fragments are expanded.
#[derive(Clone, Copy, Default)]
struct Cost {
    /// Fields at the top of the selection (each root field runs statements of its own).
    top: usize,
    depth: usize,
    fields: usize,
    aliases: usize,
    directives: usize,
}

impl Cost {
    fn add(&mut self, other: Cost) {
        self.top = self.top.saturating_add(other.top);
        self.depth = self.depth.max(other.depth);
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.directives = self.directives.saturating_add(other.directives);
    }
}

/// Costs each fragment once; `None` marks a fragment being costed (a cycle if met again).
struct Costing<'a> {
    doc: &'a ExecutableDocument,
    fragments: HashMap<&'a str, Option<Cost>>,
}

impl<'a> Costing<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) -> ServerResult<Cost> {
        let mut cost = Cost::default();
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let inner = self.selection_set(&field.selection_set.node)?;
                    cost.add(Cost {
                        top: 1,
                        depth: inner.depth.saturating_add(1),
                        fields: inner.fields.saturating_add(1),
                        aliases: inner
                            .aliases
                            .saturating_add(usize::from(field.alias.is_some())),
                        directives: inner.directives.saturating_add(field.directives.len()),
                    });
                }
                Selection::InlineFragment(fragment) => {
                    let mut inner = self.selection_set(&fragment.node.selection_set.node)?;
                    inner.directives = inner
                        .directives
                        .saturating_add(fragment.node.directives.len());
                    cost.add(inner);
                }
                Selection::FragmentSpread(spread) => {
                    let mut inner = self.fragment(spread.node.fragment_name.node.as_str())?;
                    inner.directives = inner
                        .directives
                        .saturating_add(spread.node.directives.len());
                    cost.add(inner);
                }
            }
        }
        Ok(cost)
    }

    fn fragment(&mut self, name: &'a str) -> ServerResult<Cost> {
        match self.fragments.get(name) {
            Some(Some(cost)) => return Ok(*cost),
            Some(None) => {
                return Err(coded(
                    "GRAPHQL_VALIDATION_FAILED",
                    format!("the fragment \"{name}\" spreads itself"),
                ));
            }
            None => {}
        }
        // An unknown fragment costs nothing here; validation reports it.
        let Some(definition) = self.doc.fragments.get(name) else {
            return Ok(Cost::default());
        };
        self.fragments.insert(name, None);
        let mut cost = self.selection_set(&definition.node.selection_set.node)?;
        cost.directives = cost
            .directives
            .saturating_add(definition.node.directives.len());
        self.fragments.insert(name, Some(cost));
        Ok(cost)
    }
}

/// Stage 2: depth, fields, aliases and directives of every operation, fragments expanded.
pub fn check_document(doc: &ExecutableDocument, limits: &QueryLimits) -> ServerResult<()> {
    let mut costing = Costing {
        doc,
        fragments: HashMap::new(),
    };
    let mut total = Cost::default();
    for (_, operation) in doc.operations.iter() {
        let mut cost = costing.selection_set(&operation.node.selection_set.node)?;
        cost.directives = cost
            .directives
            .saturating_add(operation.node.directives.len());
        // One operation runs: the root fields that count are its own.
        let top = total.top.max(cost.top);
        total.add(cost);
        total.top = top;
    }
    // Fragments no operation uses are still validated: cost them too.
    for name in doc.fragments.keys() {
        let cost = costing.fragment(name.as_str())?;
        total.depth = total.depth.max(cost.depth);
    }
    let checks = [
        ("depth", limits.max_depth, total.depth, "fields nest"),
        // Every field costs at least 1, so the fields alone can be over the complexity.
        (
            "complexity",
            limits.max_complexity,
            total.fields,
            "fields selected",
        ),
        ("aliases", limits.max_aliases, total.aliases, "aliases"),
        (
            "directives",
            limits.max_directives,
            total.directives,
            "directives",
        ),
        (
            "root_fields",
            limits.max_root_fields,
            total.top,
            "root fields",
        ),
    ];
    for (limit, max, actual, what) in checks {
        if actual > max {
            return Err(exceeded(
                limit,
                max,
                actual,
                format!(
                    "the query is over the {limit} limit: {what}: {actual} (fragments expanded), at most {max}"
                ),
            ));
        }
    }
    Ok(())
}

pub(crate) fn coded(code: &str, message: String) -> ServerError {
    let mut err = ServerError::new(message, None);
    err.extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    err
}

/// Postgres text cannot hold NUL, and no content has it: refused for both backends alike.
pub fn check_no_nul(request: &Request) -> ServerResult<()> {
    fn has_nul(value: &Value) -> bool {
        match value {
            Value::String(s) => s.contains('\0'),
            Value::List(items) => items.iter().any(has_nul),
            Value::Object(fields) => fields.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
            _ => false,
        }
    }
    let field = if request.query.contains('\0') || request.query.contains("\\u0000") {
        Some("query".to_owned())
    } else {
        request
            .variables
            .iter()
            .find(|(_, v)| has_nul(v))
            .map(|(name, _)| format!("variables.{name}"))
    };
    match field {
        None => Ok(()),
        Some(field) => {
            let mut err = coded(
                "BAD_USER_INPUT",
                "text may not contain the NUL character (U+0000)".to_owned(),
            );
            err.extensions
                .get_or_insert_with(Default::default)
                .set("field", field);
            Err(err)
        }
    }
}

/// An `operationName` the document does not have: refused here, where the message can keep
/// the (client-chosen, unbounded) name short.
pub fn check_operation_name(doc: &ExecutableDocument, name: Option<&str>) -> ServerResult<()> {
    let Some(name) = name else { return Ok(()) };
    if doc
        .operations
        .iter()
        .any(|(n, _)| n.is_some_and(|n| n.as_str() == name))
    {
        return Ok(());
    }
    let shown: String = name.chars().take(64).collect();
    let more = if shown.len() < name.len() { "…" } else { "" };
    Err(coded(
        "GRAPHQL_VALIDATION_FAILED",
        format!("the document has no operation named \"{shown}{more}\""),
    ))
}

/// With introspection off, a document that asks for `__schema` or `__type` (at its root or
/// in a fragment spread there) is refused as invalid, as Apollo Server refuses it: the fields
/// are non-null, so answering them with `null` and no error would break the response's
/// contract. `__typename` stays allowed.
pub fn check_no_introspection(doc: &ExecutableDocument) -> ServerResult<()> {
    fn asks(set: &SelectionSet, doc: &ExecutableDocument, seen: &mut Vec<String>) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(field) => {
                matches!(field.node.name.node.as_str(), "__schema" | "__type")
                    || asks(&field.node.selection_set.node, doc, seen)
            }
            Selection::InlineFragment(fragment) => {
                asks(&fragment.node.selection_set.node, doc, seen)
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.to_string();
                if seen.contains(&name) {
                    return false;
                }
                seen.push(name);
                doc.fragments
                    .get(&spread.node.fragment_name.node)
                    .is_some_and(|f| asks(&f.node.selection_set.node, doc, seen))
            }
        })
    }
    let mut seen = Vec::new();
    if doc
        .operations
        .iter()
        .any(|(_, op)| asks(&op.node.selection_set.node, doc, &mut seen))
    {
        return Err(coded(
            "GRAPHQL_VALIDATION_FAILED",
            "introspection is turned off on this server: `__schema` and `__type` cannot be \
             queried"
                .to_owned(),
        ));
    }
    Ok(())
}

/// Variables must be of types the schema has (async-graphql would panic on a list default of
/// an unknown type).
pub fn check_variable_types(
    doc: &ExecutableDocument,
    types: &std::collections::BTreeMap<String, async_graphql::registry::MetaType>,
) -> ServerResult<()> {
    fn named(ty: &Type) -> &str {
        match &ty.base {
            BaseType::Named(name) => name.as_str(),
            BaseType::List(inner) => named(inner),
        }
    }
    for (_, operation) in doc.operations.iter() {
        for variable in &operation.node.variable_definitions {
            let ty = named(&variable.node.var_type.node);
            if !types.contains_key(ty) {
                let shown: String = ty.chars().take(64).collect();
                return Err(coded(
                    "GRAPHQL_VALIDATION_FAILED",
                    format!(
                        "the variable ${} has the unknown type \"{shown}\"",
                        variable.node.name.node
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Stage 3: the operation's complexity, at most the limit. A complexity that cannot be
/// computed (a page size that is not a number) passes here: validation refuses the request.
pub fn check_complexity(complexity: Option<usize>, limits: &QueryLimits) -> ServerResult<()> {
    let max = limits.max_complexity;
    match complexity {
        Some(actual) if actual > max => Err(exceeded(
            "complexity",
            max,
            actual,
            format!(
                "the query's complexity is {actual}; at most {max} is allowed (ask for smaller pages or fewer fields)"
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_ignores_strings_and_comments() {
        assert_eq!(bracket_nesting("{ a { b(x: [1]) } }"), 4);
        assert_eq!(bracket_nesting(r#"{ a(s: "{{{{[[[(((") }"#), 2);
        assert_eq!(bracket_nesting("{ a # {{{{{{\n }"), 1);
        assert_eq!(bracket_nesting(r#"{ a(s: """ {{{ \""" {{{ """) }"#), 2);
        assert_eq!(bracket_nesting(r#"{ a(s: "\"{{{") }"#), 2);
    }
}
