//! Custom scalars.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{Datelike, SecondsFormat, Utc};

/// An instant in time, as an RFC 3339 string. Output is always UTC with a `Z` suffix
/// (e.g. `2026-11-28T07:53:41.090595Z`); input may carry any offset, and must fall in
/// years 0000–9999 once in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// Years an input instant may fall in, in UTC: what RFC 3339's four-digit year can
/// write, so every instant accepted can be written back and read again.
pub const YEARS: std::ops::RangeInclusive<i32> = 0..=9999;

/// An instant in time, as an RFC 3339 string. Output is always UTC with a `Z` suffix
/// (e.g. `2026-11-28T07:53:41.090595Z`); input may carry any offset, and must fall in
/// years 0000–9999 once in UTC.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else {
            return Err(InputValueError::expected_type(value));
        };
        let instant = chrono::DateTime::parse_from_rfc3339(text)
            .map_err(|_| InputValueError::custom("expected an RFC 3339 date-time"))?
            .with_timezone(&Utc);
        if !YEARS.contains(&instant.year()) {
            return Err(InputValueError::custom(
                "expected a date-time in years 0000 to 9999 (UTC)",
            ));
        }
        Ok(DateTime(instant))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(instant: chrono::DateTime<Utc>) -> Self {
        DateTime(instant)
    }
}
