//! The Graph request pipeline: route → token → budget → permission → faults →
//! handler, with usage headers and the error envelope on every answer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::budget::{UseCase, Verdict};
use crate::dataset::Level;
use crate::errors::GraphError;
use crate::faults::{Fault, identity};
use crate::oauth::{Auth, authenticate};
use crate::request::{Method, Reply, Req, lock};
use crate::state::Shared;
use crate::{ads, async_reports, batch, dialog, me, oauth};

#[derive(Clone, Debug)]
enum Route {
    DialogShow,
    DialogDecide,
    AccessToken,
    DebugToken,
    Me,
    MeAdAccounts,
    MePermissions,
    MeRevoke(Option<String>),
    Account(usize),
    List(usize, Level),
    Insights { scope: (Level, usize), run_async: bool },
    RunStatus(String, usize),
    RunInsights(String, usize),
    Batch,
    Unknown(String),
}

impl Route {
    fn label(&self, m: Method) -> String {
        let path = match self {
            Route::DialogShow | Route::DialogDecide => "/dialog/oauth",
            Route::AccessToken => "/oauth/access_token",
            Route::DebugToken => "/debug_token",
            Route::Me => "/me",
            Route::MeAdAccounts => "/me/adaccounts",
            Route::MePermissions | Route::MeRevoke(_) => "/me/permissions",
            Route::Account(_) => "/{act}",
            Route::List(_, Level::Campaign) => "/{act}/campaigns",
            Route::List(_, Level::Adset) => "/{act}/adsets",
            Route::List(..) => "/{act}/ads",
            Route::Insights {
                scope: (Level::Account, _),
                ..
            } => "/{act}/insights",
            Route::Insights { .. } => "/{object}/insights",
            Route::RunStatus(..) => "/{report_run}",
            Route::RunInsights(..) => "/{report_run}/insights",
            Route::Batch => "/ (batch)",
            Route::Unknown(_) => "(unknown)",
        };
        format!("{} {path}", m.as_str())
    }

    /// The ad account a call is charged to and the bucket it is charged to there.
    fn account(&self, sh: &Shared) -> Option<(usize, UseCase)> {
        match self {
            Route::Account(a) | Route::List(a, _) => Some((*a, UseCase::Management)),
            Route::Insights { scope, .. } => Some((
                crate::query::ancestor(&sh.dataset, scope.0, scope.1, Level::Account),
                UseCase::Insights,
            )),
            Route::RunStatus(_, a) | Route::RunInsights(_, a) => Some((*a, UseCase::Insights)),
            _ => None,
        }
    }
}

fn route(sh: &Shared, req: &Req) -> Route {
    let seg: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let m = req.method;
    match (m, seg.as_slice()) {
        (Method::Post, []) if req.params.contains_key("batch") => Route::Batch,
        (Method::Get, ["dialog", "oauth"]) => Route::DialogShow,
        (Method::Post, ["dialog", "oauth"]) => Route::DialogDecide,
        (Method::Get | Method::Post, ["oauth", "access_token"]) => Route::AccessToken,
        (Method::Get, ["debug_token"]) => Route::DebugToken,
        (Method::Get, ["me"]) => Route::Me,
        (Method::Get, ["me", "adaccounts"]) => Route::MeAdAccounts,
        (Method::Get, ["me", "permissions"]) => Route::MePermissions,
        (Method::Delete, ["me", "permissions"]) => Route::MeRevoke(None),
        (Method::Delete, ["me", "permissions", p]) => Route::MeRevoke(Some((*p).to_string())),
        (_, [id, rest @ ..]) => object_route(sh, m, id, rest),
        _ => Route::Unknown(String::new()),
    }
}

fn object_route(sh: &Shared, m: Method, id: &str, rest: &[&str]) -> Route {
    let unknown = || Route::Unknown(id.to_string());
    if let Some(acc) = lock(&sh.runs).account_of(id) {
        return match (m, rest) {
            (Method::Get, []) => Route::RunStatus(id.to_string(), acc),
            (Method::Get, ["insights"]) => Route::RunInsights(id.to_string(), acc),
            _ => unknown(),
        };
    }
    let Some((level, idx)) = sh.dataset.lookup(id) else {
        return unknown();
    };
    if level == Level::Account && !id.starts_with("act_") {
        return unknown();
    }
    match (m, rest, level) {
        (Method::Get, [], Level::Account) => Route::Account(idx),
        (Method::Get, [list @ ("campaigns" | "adsets" | "ads")], Level::Account) => {
            let l = match *list {
                "campaigns" => Level::Campaign,
                "adsets" => Level::Adset,
                _ => Level::Ad,
            };
            Route::List(idx, l)
        }
        (Method::Get, ["insights"], _) => Route::Insights {
            scope: (level, idx),
            run_async: false,
        },
        (Method::Post, ["insights"], _) => Route::Insights {
            scope: (level, idx),
            run_async: true,
        },
        _ => unknown(),
    }
}

enum Stop {
    Error(GraphError),
    Drop,
}

impl From<GraphError> for Stop {
    fn from(e: GraphError) -> Self {
        Stop::Error(e)
    }
}

/// Boxed [`handle`] for the batch endpoint (recursion through batch).
pub(crate) fn handle_boxed(sh: Arc<Shared>, req: Req) -> Pin<Box<dyn Future<Output = Reply> + Send>> {
    Box::pin(async move { handle(&sh, req).await })
}

/// Answers one request.
pub(crate) async fn handle(sh: &Arc<Shared>, req: Req) -> Reply {
    let route = route(sh, &req);
    sh.stats().count_request(&route.label(req.method));
    match route {
        Route::DialogShow => return dialog::show(sh, &req),
        Route::DialogDecide => return dialog::decide(sh, &req),
        Route::Batch if !req.in_batch => return batch::handle(sh, req, handle_boxed).await,
        _ => {}
    }
    let cfg = sh.cfg();
    if !cfg.latency.is_zero() && !req.in_batch {
        tokio::time::sleep(cfg.latency).await;
    }
    let charged = route
        .account(sh)
        .map(|(a, use_case)| (sh.dataset.accounts()[a].account_id.clone(), use_case));
    let charged = charged.as_ref().map(|(a, u)| (a.as_str(), *u));
    let outcome = run(sh, &req, &route, charged).await;
    let mut headers = lock(&sh.budget).headers(charged);
    let trace = sh.trace_id();
    headers.push(("x-fb-trace-id".into(), trace.clone()));
    headers.push((
        "facebook-api-version".into(),
        req.version.clone().unwrap_or_else(|| "v25.0".into()),
    ));
    match outcome {
        Ok(body) => Reply::Json {
            status: 200,
            headers,
            body,
        },
        Err(Stop::Drop) => Reply::Drop,
        Err(Stop::Error(e)) => {
            sh.stats().count_error(e.code);
            Reply::Json {
                status: e.status,
                headers,
                body: e.body(&trace).to_string(),
            }
        }
    }
}

async fn run(sh: &Arc<Shared>, req: &Req, route: &Route, charged: Option<(&str, UseCase)>) -> Result<String, Stop> {
    let auth = match route {
        Route::AccessToken | Route::DebugToken | Route::Batch => None,
        _ => Some(authenticate(sh, req)?),
    };
    let verdict = lock(&sh.budget).charge(charged);
    match verdict {
        Verdict::Allowed => {}
        Verdict::Exhausted(e) => {
            sh.stats().throttled_calls += 1;
            return Err(e.into());
        }
        Verdict::WhileBlocked(e) => {
            let mut st = sh.stats();
            st.throttled_calls += 1;
            st.calls_while_blocked += 1;
            return Err(e.into());
        }
    }
    if charged.is_some() {
        if !auth
            .as_ref()
            .is_some_and(|a| a.has("ads_read") || a.has("ads_management"))
        {
            return Err(GraphError::missing_ads_read().into());
        }
        let cfg = sh.cfg();
        let ident = identity(req.method.as_str(), &req.path(), &req.params);
        let fault = lock(&sh.faults).decide(cfg.faults.seed.unwrap_or(cfg.seed), &ident);
        if let Some(f) = fault {
            sh.stats().count_fault(f.name());
            match f {
                Fault::Slow => tokio::time::sleep(cfg.faults.slow_delay).await,
                Fault::DropConnection => return Err(Stop::Drop),
                other => {
                    if let Some(e) = other.error(&cfg.app_id) {
                        return Err(e.into());
                    }
                }
            }
        }
    }
    let auth = auth.unwrap_or(Auth::App);
    let method = req.method.as_str().to_ascii_lowercase();
    Ok(match route {
        Route::AccessToken => oauth::access_token(sh, req)?.to_string(),
        Route::DebugToken => oauth::debug_token(sh, req)?.to_string(),
        Route::Me => me::me(sh, req, &auth)?.to_string(),
        Route::MeAdAccounts => me::adaccounts(sh, req, &auth)?.to_string(),
        Route::MePermissions => me::permissions(&auth)?.to_string(),
        Route::MeRevoke(p) => me::revoke(sh, &auth, p.as_deref())?.to_string(),
        Route::Account(a) => ads::account_node(sh, req, *a)?.to_string(),
        Route::List(a, l) => ads::list_objects(sh, req, *a, *l)?.to_string(),
        Route::Insights {
            scope,
            run_async: false,
        } => ads::sync_insights(sh, req, *scope)?,
        Route::Insights { scope, run_async: true } => async_reports::create(sh, req, *scope)?.to_string(),
        Route::RunStatus(id, _) => async_reports::status(sh, id)?.to_string(),
        Route::RunInsights(id, _) => async_reports::results(sh, req, id)?,
        Route::Batch => return Err(GraphError::param("Batch requests cannot be nested").into()),
        Route::Unknown(id) if id.is_empty() => return Err(GraphError::unknown_path().into()),
        Route::Unknown(id) => return Err(GraphError::unknown_object(id, &method).into()),
        Route::DialogShow | Route::DialogDecide => return Err(GraphError::unknown_path().into()),
    })
}
