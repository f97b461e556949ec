//! The axum layer: turns HTTP requests into `Req`, `Reply` into responses, and serves
//! `/__sandbox/stats`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method as HttpMethod, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

use crate::errors::GraphError;
use crate::request::split_path;
use crate::request::{Method, Reply, Req};
use crate::state::Shared;

pub(crate) fn router(sh: Arc<Shared>) -> Router {
    Router::new()
        .route("/__sandbox/stats", get(stats))
        .merge(crate::oidc::routes())
        .merge(crate::ad_platform::routes())
        .fallback(fallback)
        .with_state(sh)
}

async fn stats(State(sh): State<Arc<Shared>>) -> Response {
    let s = sh.stats().clone();
    axum::Json(s).into_response()
}

fn merge(params: &mut BTreeMap<String, String>, k: String, v: String) {
    params
        .entry(k)
        .and_modify(|old| {
            old.push(',');
            old.push_str(&v);
        })
        .or_insert(v);
}

fn parse_body(headers: &HeaderMap, body: &[u8]) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    if body.is_empty() {
        return params;
    }
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ctype.starts_with("application/json") {
        if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) {
            for (k, v) in m {
                let v = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                params.insert(k, v);
            }
        }
        return params;
    }
    for (k, v) in url::form_urlencoded::parse(body) {
        merge(&mut params, k.into_owned(), v.into_owned());
    }
    params
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth")).then(|| token.trim().to_string())
}

async fn fallback(
    State(sh): State<Arc<Shared>>,
    method: HttpMethod,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(m) = Method::parse(method.as_str()) else {
        let e = GraphError::unknown_path();
        return to_response(Reply::Json {
            status: 400,
            headers: Vec::new(),
            body: e.body(&sh.trace_id()).to_string(),
        });
    };
    let mut params = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        merge(&mut params, k.into_owned(), v.into_owned());
    }
    params.extend(parse_body(&headers, &body));
    let token = params
        .get("access_token")
        .filter(|t| !t.is_empty())
        .cloned()
        .or_else(|| bearer(&headers));
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let (version, segments) = split_path(uri.path());
    let req = Req {
        method: m,
        version,
        segments,
        params,
        token,
        base_url: format!("http://{host}"),
        in_batch: false,
    };
    to_response(crate::graph::handle(&sh, req).await)
}

/// Marker payload of the unwind that drops a connection.
struct DroppedConnection;

fn to_response(reply: Reply) -> Response {
    match reply {
        Reply::Json { status, headers, body } => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut resp = (code, body).into_response();
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=UTF-8"),
            );
            for (k, v) in headers {
                if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
                    h.insert(k, v);
                }
            }
            resp
        }
        Reply::Html { status, body } => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            (code, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
        }
        Reply::Redirect(loc) => Response::builder()
            .status(StatusCode::FOUND)
            .header(header::LOCATION, loc)
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        // Unwinding out of the connection task makes hyper close the socket without
        // writing anything; `resume_unwind` skips the panic hook, so nothing is logged.
        Reply::Drop => std::panic::resume_unwind(Box::new(DroppedConnection)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_paths() {
        assert_eq!(
            split_path("/v25.0/act_1/insights"),
            (Some("v25.0".into()), vec!["act_1".into(), "insights".into()])
        );
        assert_eq!(split_path("/debug_token"), (None, vec!["debug_token".into()]));
        assert_eq!(split_path("/v3/me").0.as_deref(), Some("v3"));
        assert_eq!(split_path("/vx/me").0, None);
        assert_eq!(split_path("/").1.len(), 0);
    }
}
