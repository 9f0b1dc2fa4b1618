//! Response keys in the order the query selected them (GraphQL, "Serialized Map Ordering"),
//! for answers the schema's resolvers give.
//!
//! Below the root every object resolves its fields one after another, merging a field
//! selected twice into its first place, so async-graphql lists them in order already. The
//! root's fields run concurrently and finish in any order: the root is put back in order here,
//! and a root field selected more than once (its selections merged in whatever order they
//! finished) is put in order all the way down.

use async_graphql::{
    ID, Name, Positioned, Value, Variables,
    parser::types::{ExecutableDocument, Field, OperationDefinition},
    registry::{MetaType, MetaTypeName, Registry},
};

use crate::graphql::{collect::Collector, types::GlobalId};

/// Puts `data`, the answer to `operation`, in the order the query selected its fields.
pub fn order(
    data: &mut Value,
    doc: &ExecutableDocument,
    operation: &OperationDefinition,
    variables: &Variables,
    registry: &Registry,
) {
    let collector = Collector::new(doc, registry, Some(variables));
    let root = crate::graphql::root_type(registry, operation.ty);
    let Ok(collected) = collector.collect(root, &[&operation.selection_set.node]) else {
        return;
    };
    let Value::Object(fields) = data else { return };
    sort(fields, &collected);
    for (key, selected) in &collected {
        if selected.len() < 2 {
            continue;
        }
        if let Some(value) = fields.get_mut(key) {
            let ty = field_type(registry, root, &selected[0].node, variables);
            reorder(value, ty.as_deref(), selected, &collector, variables);
        }
    }
}

/// Sorts an object's entries by the order of `collected`.
fn sort<T>(fields: &mut async_graphql::indexmap::IndexMap<Name, Value>, collected: &[(Name, T)]) {
    let rank = |key: &Name| {
        collected
            .iter()
            .position(|(k, _)| k == key)
            .unwrap_or(usize::MAX)
    };
    fields.sort_by(|a, _, b, _| rank(a).cmp(&rank(b)));
}

/// Orders `value`, an answer of type `ty` to the merged `selected` fields, all the way down.
fn reorder(
    value: &mut Value,
    ty: Option<&str>,
    selected: &[&Positioned<Field>],
    collector: &Collector<'_>,
    variables: &Variables,
) {
    match value {
        Value::List(items) => {
            for item in items {
                reorder(item, ty, selected, collector, variables);
            }
        }
        Value::Object(fields) => {
            let Some(ty) = ty else { return };
            let sets: Vec<_> = selected
                .iter()
                .map(|f| &f.node.selection_set.node)
                .collect();
            let Ok(collected) = collector.collect(ty, &sets) else {
                return;
            };
            sort(fields, &collected);
            for (key, selected) in &collected {
                if let Some(value) = fields.get_mut(key) {
                    let child = field_type(collector.registry(), ty, &selected[0].node, variables);
                    reorder(value, child.as_deref(), selected, collector, variables);
                }
            }
        }
        _ => {}
    }
}

/// The object type a field of `parent` answers with. An interface's is known where the field
/// says it: `node(id:)` answers with the type its id names.
fn field_type(
    registry: &Registry,
    parent: &str,
    field: &Field,
    variables: &Variables,
) -> Option<String> {
    let meta = registry
        .types
        .get(parent)?
        .field_by_name(&field.name.node)?;
    let name = MetaTypeName::concrete_typename(&meta.ty);
    match registry.types.get(name)? {
        MetaType::Object { .. } => Some(name.to_owned()),
        MetaType::Interface { .. } if field.name.node == "node" => {
            let id = field.get_argument("id")?.node.clone();
            let id = id
                .into_const_with(|n| variables.get(&n).cloned().ok_or(()))
                .ok()?;
            let Value::String(id) = id else { return None };
            let kind = GlobalId::decode("id", &ID(id)).ok()?.kind;
            Some(kind.type_name().to_owned())
        }
        _ => None,
    }
}
