//! Reading arguments the schema's way: variables substituted as async-graphql substitutes them
//! (a variable not given takes its definition's default), then parsed with the schema's own
//! input types. A value the schema would refuse in validation is not read here either
//! (`None`): the request then runs through the schema, which says what is wrong.

use async_graphql::{
    InputType, Positioned, Variables,
    parser::types::{OperationDefinition, VariableDefinition},
    registry::{MetaType, Registry},
};

/// Reads arguments of one request.
type Value = async_graphql_value::Value;

pub struct Reader<'a> {
    pub registry: &'a Registry,
    pub definitions: &'a [Positioned<VariableDefinition>],
    pub variables: &'a Variables,
}

impl<'a> Reader<'a> {
    pub fn new(
        registry: &'a Registry,
        operation: &'a OperationDefinition,
        variables: &'a Variables,
    ) -> Self {
        Self {
            registry,
            definitions: &operation.variable_definitions,
            variables,
        }
    }

    /// The value an argument was given, its variables substituted; `None` for a variable
    /// neither given nor defaulted.
    fn value(&self, value: &Positioned<Value>) -> Option<async_graphql::Value> {
        value
            .node
            .clone()
            .into_const_with(|name| {
                self.definitions
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
            .ok()
    }

    /// An argument of type `T`, absent when not given.
    pub fn read<T: InputType>(&self, value: Option<&Positioned<Value>>) -> Option<Option<T>> {
        let Some(value) = value else {
            return Some(None);
        };
        let value = self.value(value)?;
        if !self.known_fields(&T::type_name(), &value) {
            return None;
        }
        <Option<T> as InputType>::parse(Some(value)).ok()
    }

    /// Whether every field of an input object value is one its type has (validation refuses
    /// others; parsing would ignore them).
    fn known_fields(&self, type_name: &str, value: &async_graphql::Value) -> bool {
        let async_graphql::Value::Object(fields) = value else {
            return true;
        };
        match self.registry.types.get(type_name) {
            Some(MetaType::InputObject { input_fields, .. }) => {
                fields.keys().all(|k| input_fields.contains_key(k.as_str()))
            }
            _ => true,
        }
    }
}
