//! JSON read with its objects' keys in the order the server wrote them (serde_json's `Value`
//! sorts them), to test the order of fields in an answer.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value whose objects keep their keys in order.
#[derive(Debug, PartialEq)]
pub enum Ordered {
    Object(Vec<(String, Ordered)>),
    Array(Vec<Ordered>),
    Scalar(serde_json::Value),
}

impl Ordered {
    pub fn parse(text: &str) -> Self {
        serde_json::from_str(text).expect("a JSON answer")
    }

    /// The value at `path` (object keys, or array indexes as numbers).
    pub fn at(&self, path: &[&str]) -> &Ordered {
        let mut value = self;
        for step in path {
            value = match value {
                Ordered::Object(fields) => {
                    &fields
                        .iter()
                        .find(|(k, _)| k == step)
                        .unwrap_or_else(|| panic!("no {step:?} in {value:?}"))
                        .1
                }
                Ordered::Array(items) => &items[step.parse::<usize>().expect("an index")],
                Ordered::Scalar(_) => panic!("{step:?} in a scalar"),
            };
        }
        value
    }

    /// The keys of the object at `path`, in order.
    pub fn keys(&self, path: &[&str]) -> Vec<&str> {
        match self.at(path) {
            Ordered::Object(fields) => fields.iter().map(|(k, _)| k.as_str()).collect(),
            other => panic!("not an object: {other:?}"),
        }
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor;

        impl<'de> Visitor<'de> for OrderedVisitor {
            type Value = Ordered;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut fields = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Ordered>()? {
                    fields.push((key, value));
                }
                Ok(Ordered::Object(fields))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Ordered>()? {
                    items.push(item);
                }
                Ok(Ordered::Array(items))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(serde_json::Value::Null))
            }
        }

        deserializer.deserialize_any(OrderedVisitor)
    }
}
