//! Instants as the store keeps them: INTEGER unix milliseconds, UTC.
//!
//! Every timestamp column is bound and read as [`Millis`], so no query can
//! write seconds into a milliseconds column (or read one back as seconds):
//! the only ways in and out are [`DateTime<Utc>`] conversions.

use chrono::{DateTime, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Sqlite, Type};

/// An instant stored as unix milliseconds. Finer precision is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(i64);

impl Millis {
    pub fn as_millis(self) -> i64 {
        self.0
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        // Decoding rejects out-of-range values, so this always succeeds.
        DateTime::from_timestamp_millis(self.0).unwrap_or_default()
    }
}

impl From<DateTime<Utc>> for Millis {
    fn from(at: DateTime<Utc>) -> Self {
        Millis(at.timestamp_millis())
    }
}

impl From<Millis> for DateTime<Utc> {
    fn from(at: Millis) -> Self {
        at.to_datetime()
    }
}

impl Type<Sqlite> for Millis {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Millis {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<'q, Sqlite>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Millis {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let millis = <i64 as Decode<'r, Sqlite>>::decode(value)?;
        if DateTime::from_timestamp_millis(millis).is_none() {
            return Err(format!("{millis} ms is not a representable instant").into());
        }
        Ok(Millis(millis))
    }
}

/// `Option<DateTime>` → `Option<Millis>`, for nullable columns.
pub(super) fn opt(at: Option<DateTime<Utc>>) -> Option<Millis> {
    at.map(Millis::from)
}

/// `Option<Millis>` → `Option<DateTime>`, for nullable columns.
pub(super) fn opt_datetime(at: Option<Millis>) -> Option<DateTime<Utc>> {
    at.map(Millis::to_datetime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_to_the_millisecond() {
        let at = DateTime::from_timestamp_millis(1_764_000_000_123).unwrap();
        let stored = Millis::from(at);
        assert_eq!(stored.as_millis(), 1_764_000_000_123);
        assert_eq!(stored.to_datetime(), at);
        // Sub-millisecond precision is dropped, never rounded up.
        let finer = at + chrono::TimeDelta::microseconds(999);
        assert_eq!(Millis::from(finer).to_datetime(), at);
    }
}
