//! Async report runs: `POST /{node}/insights` → `report_run_id`; `GET /{run}` walks
//! "Job Not Started" → "Job Started" → "Job Running" → "Job Completed" (or "Job Failed")
//! over `async_steps` polls; `GET /{run}/insights` pages the result like the sync call.
//!
//! Run ids are a function of the seed and the creating request (not of a random nonce or
//! of the order runs were created in): faults are decided per request path, and the status
//! and result paths hold the run id, so the same seed must give the same ids.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::ads::insights_page;
use crate::dataset::Level;
use crate::errors::GraphError;
use crate::faults::identity;
use crate::paging::limit;
use crate::query::parse;
use crate::report_runs::Run;
use crate::request::{Req, lock};
use crate::state::Shared;
use crate::tokens::unix;

/// The status and percentage shown at poll `poll` (1-based) of a run of `steps` polls
/// that is not done yet: the first poll has not started; the one before completion is
/// running; with room for it (4 steps or more), the second has started.
fn progress(poll: u32, steps: u32) -> (&'static str, u32) {
    let pct = (100 * u64::from(poll.saturating_sub(1)) / u64::from(steps.max(1))) as u32;
    match poll {
        0 | 1 => ("Job Not Started", 0),
        2 if steps >= 4 => ("Job Started", pct),
        _ => ("Job Running", pct),
    }
}

/// `POST /{node}/insights`.
pub(crate) fn create(sh: &Shared, req: &Req, scope: (Level, usize)) -> Result<Value, GraphError> {
    let query = parse(&sh.dataset, req, scope)?;
    let cfg = sh.cfg();
    let limit = limit(req, 25, cfg.max_page_size)?;
    let ident = identity("ASYNC", &req.path(), &req.params);
    let fail = lock(&sh.faults).async_fails(cfg.faults.seed.unwrap_or(cfg.seed), &ident);
    let too_big = query.check_rows(&sh.dataset, &cfg).is_err();
    let mut runs = lock(&sh.runs);
    let id = runs.new_id(cfg.seed, &ident);
    let run = Run {
        id: id.clone(),
        account: query.account,
        query,
        limit,
        polls: 0,
        steps: cfg.async_steps,
        fail,
        too_big,
        created: SystemTime::now(),
        completed: None,
    };
    runs.runs.insert(id.clone(), run);
    drop(runs);
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
    run.polls = run.polls.saturating_add(1);
    let (status, pct) = if run.done() {
        if run.completed.is_none() {
            run.completed = Some(SystemTime::now());
        }
        if run.fail || run.too_big {
            ("Job Failed", 100 * (run.steps.max(2) - 1) / run.steps.max(2))
        } else {
            ("Job Completed", 100)
        }
    } else {
        progress(run.polls, run.steps)
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
    if run.done() && run.too_big {
        v["error_code"] = json!(1);
        v["error_message"] = json!("Please reduce the amount of data you're asking for, then retry your request");
    } else if run.done() && run.fail {
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
    if run.too_big {
        return Err(GraphError::reduce_data());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(steps: u32) -> Vec<&'static str> {
        (1..steps).map(|p| progress(p, steps).0).collect()
    }

    #[test]
    fn progression_reaches_running_before_completion() {
        assert_eq!(walk(4), ["Job Not Started", "Job Started", "Job Running"]);
        assert_eq!(walk(3), ["Job Not Started", "Job Running"]);
        assert_eq!(walk(2), ["Job Not Started"]);
        assert_eq!(walk(6)[2..], ["Job Running"; 3]);
        let pcts: Vec<u32> = (1..4).map(|p| progress(p, 4).1).collect();
        assert_eq!(pcts, [0, 25, 50]);
    }
}
