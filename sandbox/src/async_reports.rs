//! Async report runs: `POST /{node}/insights` → `report_run_id`; `GET /{run}` walks
//! "Job Not Started" → "Job Running" → "Job Completed" (or "Job Failed") over
//! `async_steps` polls; `GET /{run}/insights` pages the result like the sync call.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::ads::insights_page;
use crate::dataset::Level;
use crate::errors::GraphError;
use crate::faults::identity;
use crate::insights::{InsightsQuery, parse};
use crate::oauth::unix;
use crate::paging::limit;
use crate::state::{Req, Shared, lock};

#[derive(Clone, Debug)]
pub(crate) struct Run {
    pub id: String,
    pub account: usize,
    pub query: InsightsQuery,
    pub limit: u32,
    pub polls: u32,
    pub steps: u32,
    pub fail: bool,
    pub created: SystemTime,
    pub completed: Option<SystemTime>,
}

impl Run {
    fn done(&self) -> bool {
        self.polls >= self.steps
    }
}

#[derive(Debug, Default)]
pub(crate) struct RunStore {
    runs: HashMap<String, Run>,
}

impl RunStore {
    pub fn account_of(&self, id: &str) -> Option<usize> {
        self.runs.get(id).map(|r| r.account)
    }
}

/// `POST /{node}/insights`.
pub(crate) fn create(sh: &Shared, req: &Req, scope: (Level, usize)) -> Result<Value, GraphError> {
    let query = parse(&sh.dataset, req, scope)?;
    let cfg = sh.cfg();
    let limit = limit(req, 25, cfg.max_page_size)?;
    let ident = identity("ASYNC", &req.path(), &req.params);
    let fail = lock(&sh.faults).async_fails(cfg.seed, &ident);
    let id = sh.numeric_id();
    let run = Run {
        id: id.clone(),
        account: query.account,
        query,
        limit,
        polls: 0,
        steps: cfg.async_steps,
        fail,
        created: SystemTime::now(),
        completed: None,
    };
    lock(&sh.runs).runs.insert(id.clone(), run);
    let mut stats = sh.stats();
    stats.async_runs_created += 1;
    if fail {
        stats.count_fault("async_failure");
    }
    Ok(json!({ "report_run_id": id }))
}

/// `GET /{run}`: one poll.
pub(crate) fn status(sh: &Shared, run_id: &str) -> Result<Value, GraphError> {
    let ds = &sh.dataset;
    let mut runs = lock(&sh.runs);
    let run = runs
        .runs
        .get_mut(run_id)
        .ok_or_else(|| GraphError::unknown_object(run_id, "get"))?;
    run.polls += 1;
    let (status, pct) = if run.done() {
        if run.completed.is_none() {
            run.completed = Some(SystemTime::now());
        }
        if run.fail {
            ("Job Failed", 100 * (run.steps.max(2) - 1) / run.steps.max(2))
        } else {
            ("Job Completed", 100)
        }
    } else if run.polls == 1 {
        ("Job Not Started", 0)
    } else if run.polls == 2 {
        ("Job Started", 100 * (run.polls - 1) / run.steps)
    } else {
        ("Job Running", 100 * (run.polls - 1) / run.steps)
    };
    let mut v = json!({
        "id": run.id,
        "account_id": ds.accounts[run.account].account_id,
        "time_ref": unix(run.created),
        "async_status": status,
        "async_percent_completion": pct,
        "date_start": run.query.since.to_string(),
        "date_stop": run.query.until.to_string(),
        "emails": [],
        "friendly_name": "",
        "is_bookmarked": false,
        "is_running": !run.done(),
        "schedule_id": "0",
    });
    if let Some(t) = run.completed {
        v["time_completed"] = json!(unix(t));
    }
    if run.done() && run.fail {
        v["error_code"] = json!(2601);
        v["error_message"] = json!(
            "An unknown error occurred while processing this report. Please retry, or split the request into smaller time ranges."
        );
        v["error_subcode"] = json!(1_815_107);
    }
    Ok(v)
}

/// `GET /{run}/insights`.
pub(crate) fn results(sh: &Shared, req: &Req, run_id: &str) -> Result<String, GraphError> {
    let run = lock(&sh.runs)
        .runs
        .get(run_id)
        .cloned()
        .ok_or_else(|| GraphError::unknown_object(run_id, "get"))?;
    if !run.done() {
        return Err(GraphError::param(
            "Report is not ready yet: poll the report run until async_status is Job Completed",
        ));
    }
    if run.fail {
        return Err(GraphError::new(
            400,
            2601,
            "(#2601) Error accessing adreportrun: the report failed",
        ));
    }
    let mut extra = BTreeMap::new();
    if req.param("limit").is_none() {
        extra.insert("limit".to_string(), run.limit.to_string());
    }
    insights_page(sh, req, &run.query, run.limit, &req.path(), &extra)
}
