//! Paged answers: `limit` rows at a time and a `next_cursor` to ask for the rest (`null` on
//! the last page). Cursors are opaque to clients (base64url of a small JSON document) and
//! checked when they come back; each names where the previous page ended, not an offset, so
//! rows added meanwhile are neither repeated nor skipped.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::ApiError;

pub fn encode<T: Serialize>(cursor: &T) -> String {
    // Serializing a plain struct cannot fail; an empty cursor is refused when it comes back.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

pub fn decode<T: DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    URL_SAFE_NO_PAD
        .decode(raw.trim())
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok())
        .ok_or_else(|| ApiError::BadRequest("cursor: not a cursor this API gave (pass next_cursor as it came)".into()))
}

/// `cursor` and `limit` of a list.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `next_cursor` of the previous page (none: the newest).
    pub cursor: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<String>,
}

/// Where a list page of newest-first items ended.
#[derive(Serialize, Deserialize)]
struct Before {
    before: i64,
}

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

impl ListParams {
    pub fn limit(&self) -> Result<usize, ApiError> {
        match &self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(l) => l
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| ApiError::BadRequest(format!("limit: expected 1 to {MAX_LIMIT}"))),
        }
    }

    /// The id the page starts below (`None`: from the newest).
    pub fn before(&self) -> Result<Option<i64>, ApiError> {
        self.cursor
            .as_deref()
            .map(|c| decode::<Before>(c).map(|b| b.before))
            .transpose()
    }
}

/// Items fetched one beyond `limit`, cut to `limit`, and the cursor for the rest.
pub fn page<T>(mut items: Vec<T>, limit: usize, id: impl Fn(&T) -> i64) -> (Vec<T>, Option<String>) {
    if items.len() <= limit {
        return (items, None);
    }
    items.truncate(limit);
    let next = items.last().map(|last| encode(&Before { before: id(last) }));
    (items, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let (items, next) = page((1..=5).rev().collect::<Vec<i64>>(), 3, |n| *n);
        assert_eq!(items, [5, 4, 3]);
        let params = ListParams {
            cursor: next,
            limit: None,
        };
        assert_eq!(params.before().expect("ours"), Some(3));
        assert_eq!(page(vec![2, 1], 3, |n| *n), (vec![2, 1], None), "the last page");
        for bad in ["", "not base64!", "eyJ4IjoxfQ"] {
            let params = ListParams {
                cursor: Some(bad.into()),
                limit: None,
            };
            assert!(matches!(params.before(), Err(ApiError::BadRequest(_))), "{bad:?}");
        }
        let zero = ListParams {
            cursor: None,
            limit: Some("0".into()),
        };
        assert!(zero.limit().is_err());
    }
}
