//! Cursor paging: `paging.cursors` always, `paging.next` (a full URL on the sandbox's
//! own base URL with the same parameters plus `after`) only while rows remain.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::errors::GraphError;
use crate::request::Req;

/// Encodes a position as an opaque cursor.
pub(crate) fn encode(pos: &[u64]) -> String {
    let s: Vec<String> = pos.iter().map(u64::to_string).collect();
    URL_SAFE_NO_PAD.encode(format!("pos:{}", s.join(":")))
}

/// Decodes a cursor made by [`encode`] with `n` parts.
pub(crate) fn decode(cursor: &str, n: usize) -> Result<Vec<u64>, GraphError> {
    let bad = || GraphError::param("Invalid cursor");
    let raw = URL_SAFE_NO_PAD
        .decode(cursor.trim_end_matches('='))
        .map_err(|_| bad())?;
    let s = String::from_utf8(raw).map_err(|_| bad())?;
    let rest = s.strip_prefix("pos:").ok_or_else(bad)?;
    let v: Vec<u64> = rest
        .split(':')
        .map(|p| p.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    if v.len() == n { Ok(v) } else { Err(bad()) }
}

/// The `limit` parameter: default `default`, at most `max` (else "reduce data").
pub(crate) fn limit(req: &Req, default: u32, max: u32) -> Result<u32, GraphError> {
    let Some(raw) = req.param("limit") else {
        return Ok(default.min(max));
    };
    let n: u32 = raw
        .trim()
        .parse()
        .map_err(|_| GraphError::param("Param limit must be a non-negative integer"))?;
    if n > max {
        return Err(GraphError::reduce_data());
    }
    Ok(n.max(1))
}

/// `next` URL: same path and parameters, with `after` replaced.
pub(crate) fn next_url(req: &Req, path: &str, extra: &BTreeMap<String, String>, after: &str) -> String {
    let mut params: BTreeMap<String, String> = req.params.clone();
    params.extend(extra.clone());
    params.remove("after");
    params.remove("before");
    if let Some(t) = &req.token {
        params.entry("access_token".into()).or_insert_with(|| t.clone());
    }
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in &params {
        ser.append_pair(k, v);
    }
    ser.append_pair("after", after);
    format!("{}{}?{}", req.base_url, path, ser.finish())
}

/// The `paging` object.
pub(crate) fn paging(before: &str, after: &str, next: Option<String>) -> Value {
    let mut p = json!({"cursors": {"before": before, "after": after}});
    if let Some(n) = next {
        p["next"] = json!(n);
    }
    p
}

/// Pages a materialised list (ad accounts, campaigns...): offsets as cursors.
pub(crate) fn page_list(req: &Req, items: Vec<Value>, default_limit: u32, max: u32) -> Result<Value, GraphError> {
    let limit = limit(req, default_limit, max)? as usize;
    let start = match req.param("after") {
        Some(c) => decode(c, 1)?[0] as usize,
        None => 0,
    };
    let start = start.min(items.len());
    let end = (start + limit).min(items.len());
    let data: Vec<Value> = items[start..end].to_vec();
    let after = encode(&[end as u64]);
    let next = (end < items.len()).then(|| next_url(req, &req.path(), &BTreeMap::new(), &after));
    Ok(json!({"data": data, "paging": paging(&encode(&[start as u64]), &after, next)}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        let c = encode(&[3, 14, 0]);
        assert_eq!(decode(&c, 3).ok(), Some(vec![3, 14, 0]));
        assert!(decode(&c, 2).is_err());
        assert!(decode("!!", 1).is_err());
        assert!(decode("bm9wZQ", 1).is_err());
    }
}
