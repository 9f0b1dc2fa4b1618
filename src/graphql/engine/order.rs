//! Response keys in the order the query selected them (GraphQL, "Serialized Map Ordering").
//! Below the root every object resolves its fields one after another, so async-graphql lists
//! them in that order already; the root's fields run concurrently and finish in any order,
//! so the root is put back in order here.

use async_graphql::{
    Name, Positioned, Value, Variables,
    parser::types::{Directive, ExecutableDocument, Selection, SelectionSet},
};

/// Whether `directives` (`@skip`, `@include`) keep a selection, with `variables`.
pub fn included(directives: &[Positioned<Directive>], variables: &Variables) -> Option<bool> {
    for directive in directives {
        let keep_if = match directive.node.name.node.as_str() {
            "skip" => false,
            "include" => true,
            _ => continue,
        };
        let value = directive.node.get_argument("if")?;
        let value = value
            .node
            .clone()
            .into_const_with(|name| variables.get(&name).cloned().ok_or(()))
            .ok()?;
        match value {
            Value::Boolean(condition) if condition != keep_if => return Some(false),
            Value::Boolean(_) => {}
            _ => return None,
        }
    }
    Some(true)
}

/// The response keys of `set` at the root, in the order they were first selected.
fn root_keys(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    variables: &Variables,
    seen: &mut Vec<Name>,
    fragments: &mut Vec<Name>,
) {
    for selection in &set.items {
        if included(selection.node.directives(), variables) == Some(false) {
            continue;
        }
        match &selection.node {
            Selection::Field(field) => {
                let key = field.node.response_key().node.clone();
                if !seen.contains(&key) {
                    seen.push(key);
                }
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                if fragments.contains(name) {
                    continue;
                }
                fragments.push(name.clone());
                if let Some(fragment) = doc.fragments.get(name) {
                    root_keys(
                        doc,
                        &fragment.node.selection_set.node,
                        variables,
                        seen,
                        fragments,
                    );
                }
            }
            Selection::InlineFragment(inline) => {
                root_keys(
                    doc,
                    &inline.node.selection_set.node,
                    variables,
                    seen,
                    fragments,
                );
            }
        }
    }
}

/// Puts the root fields of `data` in the order `operation` selected them.
pub fn order_root(
    data: &mut Value,
    doc: &ExecutableDocument,
    operation: &SelectionSet,
    variables: &Variables,
) {
    let Value::Object(fields) = data else { return };
    let mut keys = Vec::with_capacity(fields.len());
    root_keys(doc, operation, variables, &mut keys, &mut Vec::new());
    let rank = |key: &Name| keys.iter().position(|k| k == key).unwrap_or(usize::MAX);
    fields.sort_by(|a, _, b, _| rank(a).cmp(&rank(b)));
}
