//! GraphQL's CollectFields: the fields of a selection on an object type, grouped by response
//! key in the order the query first selected each, fragments and inline fragments that apply
//! to the type spread, `@skip`/`@include` applied. The projection compiles what to write from
//! it, and the engine orders the schema's answers by it.

use async_graphql::{
    Name, Positioned, Value, Variables,
    parser::types::{Directive, ExecutableDocument, Field, Selection, SelectionSet},
    registry::Registry,
};

/// Why fields could not be collected.
#[derive(Debug, PartialEq, Eq)]
pub enum Unknown {
    /// A `@skip` or `@include` reads a variable, and no variables were given.
    NeedsVariables,
    /// A condition's variable is missing or not a Boolean, or a fragment does not exist:
    /// validation refuses such a document.
    Invalid,
}

/// The response keys of a selection and the fields selected under each, in order.
pub type Collected<'a> = Vec<(Name, Vec<&'a Positioned<Field>>)>;

/// Collects fields of one document.
pub struct Collector<'a> {
    doc: &'a ExecutableDocument,
    registry: &'a Registry,
    /// The request's variables, when conditions on them are to be read.
    variables: Option<&'a Variables>,
}

impl<'a> Collector<'a> {
    pub fn new(
        doc: &'a ExecutableDocument,
        registry: &'a Registry,
        variables: Option<&'a Variables>,
    ) -> Self {
        Self {
            doc,
            registry,
            variables,
        }
    }

    pub fn registry(&self) -> &'a Registry {
        self.registry
    }

    /// CollectFields over `sets` (the selections of one response key, merged) on an object of
    /// type `ty`.
    pub fn collect(&self, ty: &str, sets: &[&'a SelectionSet]) -> Result<Collected<'a>, Unknown> {
        let mut collected = Collected::new();
        let mut visited: Vec<&Name> = Vec::new();
        for set in sets {
            self.collect_into(ty, set, &mut collected, &mut visited)?;
        }
        Ok(collected)
    }

    fn collect_into(
        &self,
        ty: &str,
        set: &'a SelectionSet,
        collected: &mut Collected<'a>,
        visited: &mut Vec<&'a Name>,
    ) -> Result<(), Unknown> {
        for selection in &set.items {
            if !self.included(selection.node.directives())? {
                continue;
            }
            match &selection.node {
                Selection::Field(field) => {
                    let key = field.node.response_key().node.clone();
                    match collected.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, fields)) => fields.push(field),
                        None => collected.push((key, vec![field])),
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if visited.contains(&name) {
                        continue;
                    }
                    visited.push(name);
                    let fragment = self.doc.fragments.get(name).ok_or(Unknown::Invalid)?;
                    let on = fragment.node.type_condition.node.on.node.as_str();
                    if self.applies(ty, on) {
                        self.collect_into(
                            ty,
                            &fragment.node.selection_set.node,
                            collected,
                            visited,
                        )?;
                    }
                }
                Selection::InlineFragment(inline) => {
                    let applies = match &inline.node.type_condition {
                        Some(condition) => self.applies(ty, condition.node.on.node.as_str()),
                        None => true,
                    };
                    if applies {
                        self.collect_into(ty, &inline.node.selection_set.node, collected, visited)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether a fragment on `condition` applies to an object of type `ty`: the type itself,
    /// or an interface it implements.
    fn applies(&self, ty: &str, condition: &str) -> bool {
        ty == condition
            || self
                .registry
                .implements
                .get(ty)
                .is_some_and(|interfaces| interfaces.contains(condition))
    }

    /// Whether `@skip`/`@include` keep a selection.
    fn included(&self, directives: &[Positioned<Directive>]) -> Result<bool, Unknown> {
        if directives.is_empty() {
            return Ok(true);
        }
        let on_variables = directives.iter().any(|d| {
            d.node
                .get_argument("if")
                .is_some_and(|v| matches!(v.node, async_graphql_value::Value::Variable(_)))
        });
        let variables = match (on_variables, self.variables) {
            (true, None) => return Err(Unknown::NeedsVariables),
            (_, Some(variables)) => variables,
            (false, None) => &Variables::default(),
        };
        included(directives, variables).ok_or(Unknown::Invalid)
    }
}

/// Whether `directives` (`@skip`, `@include`) keep a selection, with `variables`; `None` when
/// a condition is not a Boolean.
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
