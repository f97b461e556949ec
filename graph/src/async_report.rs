//! Async insights reports: `POST /{v}/act_{id}/insights` → `report_run_id`; poll
//! `GET /{v}/{run}` until "Job Completed" at 100 %; page `GET /{v}/{run}/insights`.

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use super::InsightRow;
use super::client::MAX_PAGE_SIZE;
use super::client::{Call, GraphClient, check_segment};
use super::error::GraphError;
use super::insights::{InsightsPage, InsightsRequest};
use super::usage::Usage;
use crate::Secret;

/// `async_status` of a report run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportState {
    NotStarted,
    Started,
    Running,
    Completed,
    Failed,
    Skipped,
    Other(String),
}

impl ReportState {
    fn parse(s: &str) -> Self {
        match s {
            "Job Not Started" => Self::NotStarted,
            "Job Started" => Self::Started,
            "Job Running" => Self::Running,
            "Job Completed" => Self::Completed,
            "Job Failed" => Self::Failed,
            "Job Skipped" => Self::Skipped,
            other => Self::Other(other.to_string()),
        }
    }
}

/// Why a run failed (`error_code` / `error_subcode` / `error_message`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportError {
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    pub message: String,
}

impl ReportError {
    /// Whether the run failed for being too big: Facebook's "reduce the amount of data"
    /// (code 1) or its too-large form (code 100, subcode 1504018).
    pub fn asks_for_less(&self) -> bool {
        (self.code == Some(1) && self.message.to_ascii_lowercase().contains("reduce the amount of data"))
            || (self.code == Some(100) && self.subcode == Some(1_504_018))
    }
}

/// One poll of a report run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportStatus {
    pub state: ReportState,
    /// `async_percent_completion`, 0–100.
    pub percent: u8,
    pub error: Option<ReportError>,
}

impl ReportStatus {
    /// Results can be read: "Job Completed" and 100 %.
    pub fn is_ready(&self) -> bool {
        self.state == ReportState::Completed && self.percent >= 100
    }

    /// The run will not produce results ("Job Failed" / "Job Skipped"): retry smaller.
    pub fn has_failed(&self) -> bool {
        matches!(self.state, ReportState::Failed | ReportState::Skipped)
    }
}

/// Fields read on each poll (the failure fields are not among the defaults).
const RUN_FIELDS: &str = "id,async_status,async_percent_completion,error_code,error_subcode,error_message";

#[derive(Deserialize)]
struct RunCreated {
    report_run_id: Value,
}

#[derive(Deserialize)]
struct RunJson {
    #[serde(default)]
    async_status: String,
    #[serde(default)]
    async_percent_completion: Option<Value>,
    #[serde(default)]
    error_code: Option<Value>,
    #[serde(default)]
    error_subcode: Option<Value>,
    #[serde(default)]
    error_message: Option<String>,
}

fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl RunJson {
    fn status(self) -> ReportStatus {
        let state = ReportState::parse(&self.async_status);
        let percent = int(self.async_percent_completion.as_ref()).unwrap_or(0).clamp(0, 100) as u8;
        let code = int(self.error_code.as_ref());
        let error =
            (state == ReportState::Failed || code.is_some() || self.error_message.is_some()).then(|| ReportError {
                code,
                subcode: int(self.error_subcode.as_ref()),
                message: self
                    .error_message
                    .unwrap_or_else(|| format!("report run ended as {}", self.async_status)),
            });
        ReportStatus { state, percent, error }
    }
}

impl GraphClient {
    /// Starts an async report run for `req`; returns its `report_run_id`.
    pub async fn start_report(
        &self,
        token: &Secret<String>,
        req: &InsightsRequest,
    ) -> Result<(String, Usage), GraphError> {
        let account = req.account_path()?;
        let mut call = Call::new(Method::POST, format!("{account}/insights"), Some(token.expose()));
        call.form = req.params()?;
        let (created, usage) = self.json::<RunCreated>("report run response", call).await?;
        let id = id_text(&created.report_run_id)
            .filter(|id| check_segment("report run id", id).is_ok())
            .ok_or_else(|| GraphError::Decode("report run response: report_run_id is not an id".into()))?;
        Ok((id, usage))
    }

    /// Polls a report run.
    pub async fn report_status(
        &self,
        token: &Secret<String>,
        run_id: &str,
    ) -> Result<(ReportStatus, Usage), GraphError> {
        check_segment("report run id", run_id)?;
        let call = Call::get(run_id.to_string(), token).query("fields", RUN_FIELDS);
        let (run, usage) = self.json::<RunJson>("report run status", call).await?;
        Ok((run.status(), usage))
    }

    /// One page of a completed run's results, each row turned into a `T` as it is read (see
    /// [`GraphClient::insights_page_with`]).
    pub async fn report_page_with<T>(
        &self,
        token: &Secret<String>,
        run_id: &str,
        limit: u32,
        after: Option<&str>,
        convert: impl FnMut(&mut InsightRow) -> Result<T, GraphError>,
    ) -> Result<(InsightsPage<T>, Usage), GraphError> {
        check_segment("report run id", run_id)?;
        let call =
            Call::get(format!("{run_id}/insights"), token).query("limit", limit.clamp(1, MAX_PAGE_SIZE).to_string());
        self.rows_page("report results", call, after, convert).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn status(v: Value) -> ReportStatus {
        serde_json::from_value::<RunJson>(v).expect("run json").status()
    }

    #[test]
    fn statuses() {
        let s = status(json!({"id": "1", "async_status": "Job Running", "async_percent_completion": 33}));
        assert_eq!(
            (s.state.clone(), s.percent, s.is_ready(), s.has_failed()),
            (ReportState::Running, 33, false, false)
        );
        assert!(s.error.is_none());
        let done = status(json!({"async_status": "Job Completed", "async_percent_completion": 100}));
        assert!(done.is_ready());
        let almost = status(json!({"async_status": "Job Completed", "async_percent_completion": "99"}));
        assert!(!almost.is_ready());
        let failed = status(json!({"async_status": "Job Failed", "async_percent_completion": 66,
            "error_code": 2601, "error_subcode": 1815107, "error_message": "split the request"}));
        assert!(failed.has_failed());
        assert_eq!(
            failed.error,
            Some(ReportError {
                code: Some(2601),
                subcode: Some(1_815_107),
                message: "split the request".into()
            })
        );
        let skipped = status(json!({"async_status": "Job Skipped"}));
        assert!(skipped.has_failed() && skipped.error.is_none());
        assert_eq!(
            status(json!({"async_status": "Job Paused"})).state,
            ReportState::Other("Job Paused".into())
        );
    }
}
