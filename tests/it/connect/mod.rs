//! Connecting Facebook Ads end to end: real HTTP between the test client, adsync and an
//! in-process Graph API sandbox, on SQLite and on PostgreSQL + Redis.

mod access;
mod admin;
mod callback_errors;
mod expiry;
mod facebook_callbacks;
mod lifecycle;
mod secrets;

use adsync_common::Secret;
use adsync_common::ids::{RunId, TeamId, UserId};
use adsync_sandbox::SandboxConfig;
use adsync_storage::connections::{self, Connection};
use adsync_storage::events;
use adsync_storage::sync_runs::{self, NewRun, RunKind, RunStatus, SyncRun};
use adsync_worker::WorkerState;
use chrono::NaiveDate;
use serde_json::Value;
use url::Url;

use crate::helpers::{Backend, TestApp, spawn_app_with_sandbox};

/// A sandbox that approves the dialog without showing it.
pub fn auto_approve() -> SandboxConfig {
    SandboxConfig {
        auto_approve: true,
        ..SandboxConfig::default()
    }
}

/// An app with a sandbox, a team owned by `owner@example.com` and a signed-in client.
pub struct Fixture {
    pub app: TestApp,
    pub owner: UserId,
    pub team: TeamId,
    pub c: reqwest::Client,
}

pub async fn fixture(backend: Backend, sandbox: SandboxConfig) -> Fixture {
    let app = spawn_app_with_sandbox(backend, sandbox).await;
    let (owner, team, c) = app.owner("owner@example.com", "Acme").await;
    Fixture { app, owner, team, c }
}

/// A [`fixture`] whose owner has connected Facebook (landing on the connected page).
pub async fn connected(backend: Backend, sandbox: SandboxConfig) -> Fixture {
    let f = fixture(backend, sandbox).await;
    assert_eq!(f.connect().await, f.connected_location());
    f
}

/// A [`connected`] team whose backfill a worker of this process ran to success.
pub async fn synced(backend: Backend, sandbox: SandboxConfig) -> (Fixture, WorkerState) {
    let f = connected(backend, sandbox).await;
    let state = f.app.worker().await;
    let done = f.run_to_end(&state, f.queued_backfill().await).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    (f, state)
}

impl Fixture {
    pub fn control(&self) -> adsync_sandbox::Control {
        self.app.sandbox.as_ref().expect("sandbox").control()
    }

    pub fn sandbox_url(&self) -> String {
        self.app.sandbox.as_ref().expect("sandbox").base_url()
    }

    /// The owner's connect call: the dialog URL with a fresh state.
    pub async fn start(&self, c: &reqwest::Client, team: TeamId) -> Url {
        let (status, body) = self
            .app
            .post_json(
                c,
                &format!("/api/v1/teams/{team}/connectors/facebook/connect"),
                Value::Null,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        Url::parse(body["authorize_url"].as_str().expect("authorize_url")).expect("url")
    }

    /// Follows the dialog URL (redirects disabled): the sandbox answers with a redirect to
    /// our callback carrying a code (or an error) and the state.
    pub async fn dialog(&self, authorize_url: &Url) -> Url {
        let res = self.c.get(authorize_url.as_str()).send().await.expect("dialog");
        assert_eq!(res.status(), 302, "the sandbox redirects back");
        let location = res.headers()["location"].to_str().expect("location").to_string();
        let url = Url::parse(&location).expect("callback url");
        assert!(
            url.as_str().starts_with(&self.app.url("/oauth/facebook/callback")),
            "{url}"
        );
        url
    }

    /// A second team ("Second", owned by other@example.com) that the same Facebook user
    /// connects; returns it and its owner's client.
    pub async fn second_team_of_the_same_facebook_user(&self) -> (TeamId, reqwest::Client) {
        let (_, team2, c2) = self.app.owner("other@example.com", "Second").await;
        let callback = self.dialog(&self.start(&c2, team2).await).await;
        assert_eq!(
            self.callback(&c2, callback.as_str()).await,
            format!("/teams/{team2}/connectors?connect=ok")
        );
        (team2, c2)
    }

    /// Calls the callback as `c`, returning where adsync sends the browser.
    pub async fn callback(&self, c: &reqwest::Client, url: &str) -> String {
        let res = c.get(url).send().await.expect("callback");
        assert!(
            res.status().is_redirection(),
            "callback redirects, never an error page: {}",
            res.status()
        );
        res.headers()["location"].to_str().expect("location").to_string()
    }

    /// The whole flow as the owner; returns the final redirect location.
    pub async fn connect(&self) -> String {
        let authorize = self.start(&self.c, self.team).await;
        let callback = self.dialog(&authorize).await;
        self.callback(&self.c, callback.as_str()).await
    }

    pub fn connected_location(&self) -> String {
        format!("/teams/{}/connectors?connect=ok", self.team)
    }

    /// `team`'s backfill (the one its connection queued), as it stands now.
    pub async fn backfill_of(&self, team: TeamId) -> SyncRun {
        sync_runs::list(&self.app.db, team, 10)
            .await
            .expect("runs")
            .into_iter()
            .find(|r| r.kind == RunKind::Backfill)
            .expect("a backfill was queued")
    }

    /// The id of the backfill this team's connection queued.
    pub async fn queued_backfill(&self) -> RunId {
        self.backfill_of(self.team).await.id
    }

    /// A manual run of every account over `since..=until`, created (not executed).
    pub async fn manual_run(&self, since: NaiveDate, until: NaiveDate) -> RunId {
        let run = NewRun::manual(self.team, None, Some(since), Some(until), None);
        sync_runs::create(&self.app.db, &run).await.expect("run").id
    }

    /// Executes `run` with `state` in this process; returns the run as it ended.
    pub async fn run_to_end(&self, state: &WorkerState, run: RunId) -> SyncRun {
        adsync_worker::execute_run(state, run).await.expect("execute");
        sync_runs::get(&self.app.db, self.team, run)
            .await
            .expect("db")
            .expect("run")
    }

    /// This team's Facebook connection, if any.
    pub async fn connection(&self) -> Option<Connection> {
        self.connection_of(self.team).await
    }

    /// `team`'s Facebook connection, if any.
    pub async fn connection_of(&self, team: TeamId) -> Option<Connection> {
        connections::get(&self.app.db, team, "facebook").await.expect("db")
    }

    /// The stored ciphertext and the token it decrypts to.
    pub async fn stored_token(&self) -> (String, Secret<String>) {
        let conn = self.connection().await.expect("a connection");
        let connector = self.app.connector.as_ref().expect("connector");
        let token = connector.token_of(&conn).expect("decrypts").expect("has a token");
        (conn.token_ciphertext.expect("ciphertext"), token)
    }

    /// Event kinds of the team, oldest first.
    pub async fn event_kinds(&self) -> Vec<String> {
        event_kinds(&self.app, self.team).await
    }

    /// The Facebook connector card from the API.
    pub async fn card(&self) -> Value {
        let (status, body) = self
            .app
            .get_json(&self.c, &format!("/api/v1/teams/{}/connectors", self.team))
            .await;
        assert_eq!(status, 200, "{body}");
        body["connectors"][0].clone()
    }

    /// A Graph call made directly with `token`, as Facebook answers it.
    pub async fn graph_me(&self, token: &Secret<String>) -> (u16, Value) {
        let res = crate::helpers::client()
            .get(format!("{}/v25.0/me", self.sandbox_url()))
            .bearer_auth(token.expose())
            .send()
            .await
            .expect("graph");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

pub async fn event_kinds(app: &TestApp, team: TeamId) -> Vec<String> {
    let mut kinds: Vec<String> = events::list(&app.db, team, 100)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    kinds.reverse();
    kinds
}

/// Inserts one campaign and one insights row, as a sync would have written them.
pub async fn seed_synced_rows(app: &TestApp, team: TeamId) {
    let campaign = "INSERT INTO campaigns (team_id, ad_account_id, id, name, status, objective, updated_at) \
                    VALUES ($1, 'act_1', 'c1', 'Campaign', 'ACTIVE', NULL, $2)";
    let insight = "INSERT INTO insights_daily (team_id, ad_account_id, level, object_id, date, breakdown, campaign_id, \
                   adset_id, impressions, reach, clicks, inline_link_clicks, spend_micros, synced_at) \
                   VALUES ($1, 'act_1', 'campaign', 'c1', '2026-01-01', '', 'c1', NULL, 10, 5, 1, 1, 1000000, $2)";
    let at = chrono::Utc::now();
    for sql in [campaign, insight] {
        crate::on_pool!(&app.db, p => sqlx::query(sql).bind(team.0).bind(at).execute(p).await.map(|_| ()))
            .expect("seed");
    }
}

/// How many synced rows (campaigns + daily insights) the team has.
pub async fn synced_rows(app: &TestApp, team: TeamId) -> i64 {
    let sql = "SELECT (SELECT COUNT(*) FROM campaigns WHERE team_id = $1) + \
               (SELECT COUNT(*) FROM insights_daily WHERE team_id = $1)";
    crate::on_pool!(&app.db, p => sqlx::query_scalar(sql).bind(team.0).fetch_one(p).await.expect("count"))
}
