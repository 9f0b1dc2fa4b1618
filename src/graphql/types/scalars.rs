//! The `DateTime` scalar: RFC 3339 in UTC with a `Z` (`2025-02-21T16:04:56Z`), as the import
//! format writes it; any RFC 3339 offset is accepted on input.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{SecondsFormat, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// A point in time: RFC 3339, served in UTC (`2025-02-21T16:04:56Z`).
#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| Self(t.with_timezone(&Utc)))
                .map_err(|e| {
                    InputValueError::custom(format!("{s:?} is not an RFC 3339 date-time: {e}"))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    /// Checked during validation, so a bad date-time fails the request before execution, like
    /// any other ill-typed argument or variable.
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok())
    }

    fn to_value(&self) -> Value {
        Value::String(self.served())
    }
}

impl DateTime {
    /// As it is served: RFC 3339 in UTC with a `Z`, fractions of a second only when there are
    /// any.
    pub fn served(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(t: chrono::DateTime<Utc>) -> Self {
        Self(t)
    }
}
