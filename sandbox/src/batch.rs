//! `POST /{v}/` with `batch=[{"method","relative_url","body"}]` (at most 50): a JSON
//! array of `{"code","headers","body"}` (body a JSON string), `null` for a sub-request
//! whose connection would have dropped.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::errors::GraphError;
use crate::request::{Method, Reply, Req};
use crate::state::Shared;

pub(crate) const MAX_BATCH: usize = 50;

fn error_reply(sh: &Shared, e: GraphError) -> Reply {
    sh.stats().count_error(e.code);
    let headers = crate::request::lock(&sh.budget).headers(None);
    Reply::Json {
        status: e.status,
        headers,
        body: e.body(&sh.trace_id()).to_string(),
    }
}

/// Answers one request inside a batch.
pub(crate) type Dispatch = fn(Arc<Shared>, Req) -> Pin<Box<dyn Future<Output = Reply> + Send>>;

/// Parses `"v25.0/act_1/insights?fields=..."` into a sub-request.
fn sub_request(parent: &Req, item: &Value) -> Result<Req, GraphError> {
    let method = item.get("method").and_then(Value::as_str).unwrap_or("GET");
    let method =
        Method::parse(method).ok_or_else(|| GraphError::param(format!("Unsupported method {method} in batch")))?;
    let rel = item
        .get("relative_url")
        .and_then(Value::as_str)
        .ok_or_else(|| GraphError::param("Each batch request must have a relative_url"))?;
    let (path, query) = rel.split_once('?').unwrap_or((rel, ""));
    let mut params: BTreeMap<String, String> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    if let Some(body) = item.get("body").and_then(Value::as_str) {
        params.extend(url::form_urlencoded::parse(body.as_bytes()).into_owned());
    }
    let (version, segments) = crate::request::split_path(path);
    let token = params.get("access_token").cloned().or_else(|| parent.token.clone());
    if let (Some(t), false) = (&token, params.contains_key("access_token")) {
        params.insert("access_token".into(), t.clone());
    }
    if let (Some(p), false) = (
        parent.params.get("appsecret_proof"),
        params.contains_key("appsecret_proof"),
    ) {
        params.insert("appsecret_proof".into(), p.clone());
    }
    Ok(Req {
        method,
        version: version.or_else(|| parent.version.clone()),
        segments,
        params,
        token,
        base_url: parent.base_url.clone(),
        in_batch: true,
    })
}

/// Answers a batch; `dispatch` answers each of its requests (the Graph router, passed in
/// because the router itself routes batches here).
pub(crate) async fn handle(sh: &Arc<Shared>, req: Req, dispatch: Dispatch) -> Reply {
    let raw = req.param("batch").unwrap_or("[]");
    let items: Vec<Value> = match serde_json::from_str(raw) {
        Ok(Value::Array(a)) => a,
        _ => {
            return error_reply(sh, GraphError::param("The parameter batch must be a JSON array"));
        }
    };
    if items.len() > MAX_BATCH {
        return error_reply(
            sh,
            GraphError::param("Too many requests in batch message. Maximum batch size is 50"),
        );
    }
    if items.is_empty() {
        return error_reply(
            sh,
            GraphError::param("The parameter batch must be a non-empty JSON array"),
        );
    }
    let cfg = sh.cfg();
    if !cfg.latency.is_zero() {
        tokio::time::sleep(cfg.latency).await;
    }
    let mut out = Vec::with_capacity(items.len());
    for item in &items {
        let reply = match sub_request(&req, item) {
            Ok(sub) => dispatch(sh.clone(), sub).await,
            Err(e) => error_reply(sh, e),
        };
        out.push(match reply {
            Reply::Json { status, headers, body } => json!({
                "code": status,
                "headers": headers.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
                "body": body.to_string(),
            }),
            Reply::Html { status, body } => json!({"code": status, "headers": [], "body": body}),
            Reply::Redirect(loc) => json!({"code": 302, "headers": [{"name": "Location", "value": loc}], "body": ""}),
            Reply::Drop => Value::Null,
        });
    }
    let headers = crate::request::lock(&sh.budget).headers(None);
    Reply::Json {
        status: 200,
        headers,
        body: Value::Array(out).to_string(),
    }
}
