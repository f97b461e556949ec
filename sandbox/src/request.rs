//! The transport-neutral request and reply of a Graph call, which the HTTP layer and the
//! batch endpoint both build, and the parsing of a Graph path.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// Locks a store; a panic elsewhere while it was held does not make it unusable.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "GET" => Some(Self::Get),
            "POST" => Some(Self::Post),
            "DELETE" => Some(Self::Delete),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Delete => "DELETE",
        }
    }
}

/// A parsed Graph request.
#[derive(Clone, Debug)]
pub(crate) struct Req {
    pub method: Method,
    /// Version segment if the path had one (`v25.0`).
    pub version: Option<String>,
    /// Path segments after the version.
    pub segments: Vec<String>,
    /// Query and form parameters (form wins).
    pub params: BTreeMap<String, String>,
    /// `access_token` parameter or `Authorization: Bearer` value.
    pub token: Option<String>,
    /// `http://host:port` as the client addressed us.
    pub base_url: String,
    /// Inside a batch.
    pub in_batch: bool,
}

impl Req {
    pub fn param(&self, k: &str) -> Option<&str> {
        self.params.get(k).map(String::as_str).filter(|s| !s.is_empty())
    }
    /// The path as requested (with the version if there was one).
    pub fn path(&self) -> String {
        let mut p = String::new();
        if let Some(v) = &self.version {
            p.push('/');
            p.push_str(v);
        }
        for s in &self.segments {
            p.push('/');
            p.push_str(s);
        }
        if p.is_empty() {
            p.push('/');
        }
        p
    }
}

/// What a handler answers.
#[derive(Clone, Debug)]
pub(crate) enum Reply {
    Json {
        status: u16,
        headers: Vec<(String, String)>,
        /// JSON text.
        body: String,
    },
    Html {
        status: u16,
        body: String,
    },
    Redirect(String),
    /// Close the connection without a response.
    Drop,
}

fn is_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    !rest.is_empty()
        && rest
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && rest.split('.').count() <= 2
}

/// `"/v25.0/act_1/insights"` → (`Some("v25.0")`, `["act_1", "insights"]`).
pub(crate) fn split_path(path: &str) -> (Option<String>, Vec<String>) {
    let mut segs: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect();
    let version = match segs.first() {
        Some(v) if is_version(v) => Some(segs.remove(0)),
        _ => None,
    };
    (version, segs)
}
