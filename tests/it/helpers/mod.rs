//! `spawn_app` and friends. PostgreSQL and Redis come from ADSYNC_TEST_POSTGRES_URL and
//! ADSYNC_TEST_REDIS_URL (defaults: the local servers); `scripts/test` checks they run.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use adsync::app::{self, Role, Services};
use adsync_common::Config;
use adsync_common::ids::{Role as TeamRole, TeamId, UserId};
use adsync_connect::Connector;
use adsync_sandbox::SandboxHandle;
use adsync_storage::{Db, teams};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

mod process;
mod sandboxed;
mod services;
pub use process::{terminate, wait_until_up};
pub use sandboxed::{approving_sandbox, spawn_app_with_sandbox, spawn_app_with_sandbox_and, spawn_app_with_sign_in};
use services::RedisNamespace;
pub use services::{Backend, TestDatabase, redis_url, unique};

pub const PASSWORD: &str = "correct horse battery";

/// The configuration a test app runs with: the contract's defaults plus `extra`.
pub fn test_config(database_url: &str, namespace: Option<&str>, extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("DATABASE_URL".into(), database_url.into());
    vars.insert(
        "ADSYNC_ENCRYPTION_KEY".into(),
        adsync_common::crypto::Keyring::generate_key(),
    );
    if let Some(ns) = namespace {
        vars.insert("REDIS_URL".into(), redis_url());
        vars.insert("ADSYNC_QUEUE_NAMESPACE".into(), ns.into());
    }
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    Config::from_lookup(|k| vars.get(k).cloned()).expect("test config")
}

pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub http: reqwest::Client,
    /// The running Graph API sandbox (`spawn_app_with_sandbox`); take it to shut it down.
    pub sandbox: Option<SandboxHandle>,
    /// The app's connector (present when Facebook is configured).
    pub connector: Option<Connector>,
    pub config: Arc<Config>,
    shutdown: CancellationToken,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _redis: Option<RedisNamespace>,
    _database: TestDatabase,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

pub async fn spawn_app_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    start(backend, listener, Role::All, extra, None).await
}

/// Starts the app of `role` on `listener` with a fresh database (and Redis namespace on
/// PostgreSQL) configured by `vars`.
async fn start(
    backend: Backend,
    listener: tokio::net::TcpListener,
    role: Role,
    vars: &[(&str, &str)],
    sandbox: Option<SandboxHandle>,
) -> TestApp {
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let database = TestDatabase::new(backend).await;
    let namespace = (backend == Backend::Postgres).then(|| unique("adsync-test"));
    let config = test_config(&database.url, namespace.as_deref(), vars);
    let services = Services::connect(config).await.expect("services");
    let shutdown = CancellationToken::new();
    let db = services.db.clone();
    let (connector, config) = (services.connector.clone(), services.config.clone());
    let task = tokio::spawn(app::run(services, role, Some(listener), shutdown.clone()));
    TestApp {
        base,
        db,
        http: client(),
        sandbox,
        connector,
        config,
        shutdown,
        task: Some(task),
        _redis: namespace.map(RedisNamespace),
        _database: database,
    }
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Creates a user with the test password.
    pub async fn user(&self, email: &str) -> UserId {
        adsync::admin::create_user(&self.db, email, PASSWORD.to_string().into())
            .await
            .expect("user")
    }

    pub async fn team(&self, name: &str, members: &[(UserId, TeamRole)]) -> TeamId {
        let team = teams::create(&self.db, name).await.expect("team");
        for (user, role) in members {
            teams::set_member(&self.db, team, *user, *role).await.expect("member");
        }
        team
    }

    /// A new user `email` who owns a new team `team_name`, and a client signed in as them.
    pub async fn owner(&self, email: &str, team_name: &str) -> (UserId, TeamId, reqwest::Client) {
        let user = self.user(email).await;
        let team = self.team(team_name, &[(user, TeamRole::Owner)]).await;
        (user, team, self.signed_in(email).await)
    }

    /// A fresh client signed in as `email` through the JSON API.
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        let c = client();
        let res = self.sign_in(&c, email, PASSWORD).await;
        assert_eq!(res.status(), 200, "sign in as {email}");
        c
    }

    /// `POST /api/v1/session` as `c` with these credentials, whatever it answers.
    pub async fn sign_in(&self, c: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
        let body = serde_json::json!({"email": email, "password": password});
        let res = c.post(self.url("/api/v1/session")).json(&body).send().await;
        res.unwrap_or_else(|e| panic!("sign in as {email}: {e}"))
    }

    /// `GET path` as `c`, any status; panics naming the path if there is no answer.
    pub async fn get(&self, c: &reqwest::Client, path: &str) -> reqwest::Response {
        let res = c.get(self.url(path)).send().await;
        res.unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// `POST path` as `c` with a JSON `body`, any status; panics naming the path if there is
    /// no answer.
    pub async fn post(&self, c: &reqwest::Client, path: &str, body: Value) -> reqwest::Response {
        let res = c.post(self.url(path)).json(&body).send().await;
        res.unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// `POST path` as `c` with a browser form, any status; panics naming the path if there
    /// is no answer.
    pub async fn post_form(&self, c: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let res = c.post(self.url(path)).form(form).send().await;
        res.unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// `DELETE path` as `c`: the status and the JSON body (`Null` if none).
    pub async fn delete_json(&self, c: &reqwest::Client, path: &str) -> (u16, Value) {
        let res = c.delete(self.url(path)).send().await;
        let res = res.unwrap_or_else(|e| panic!("DELETE {path}: {e}"));
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_json(&self, c: &reqwest::Client, path: &str) -> (u16, Value) {
        let res = c.get(self.url(path)).send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_json(&self, c: &reqwest::Client, path: &str, body: Value) -> (u16, Value) {
        let res = self.post(c, path, body).await;
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// A worker of this process over the app's database and queue (runs it is given with
    /// `adsync_worker::execute_run` are executed here, one step at a time).
    pub async fn worker(&self) -> adsync_worker::WorkerState {
        let redis = self.config.redis_url.as_ref().map(|u| u.expose().clone());
        let queue = adsync_storage::queue::Queue::connect(&self.db, redis.as_deref(), &self.config.queue_namespace)
            .await
            .expect("queue");
        adsync_worker::WorkerState::new(
            self.db.clone(),
            queue,
            self.config.clone(),
            self.connector.clone(),
            CancellationToken::new(),
        )
        .await
    }

    /// A page's HTML as `c` sees it (any status).
    pub async fn page_text(&self, c: &reqwest::Client, path: &str) -> String {
        c.get(self.url(path))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html")
    }

    /// Polls a sync run until it ends (the run row is the signal; no fixed sleeps).
    pub async fn wait_for_run(&self, c: &reqwest::Client, team: TeamId, run: i64) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let (_, body) = self.get_json(c, &format!("/api/v1/teams/{team}/syncs/{run}")).await;
            if matches!(body["status"].as_str(), Some("succeeded" | "failed" | "cancelled")) {
                return body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "run {run} did not finish: {body}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Stops the app the way SIGTERM does and waits for a clean exit.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            let result = tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .expect("stops in time")
                .expect("no panic");
            result.expect("clean shutdown");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The answer's `Set-Cookie` header; panics if there is none.
pub fn set_cookie(res: &reqwest::Response) -> String {
    let cookie = res.headers().get("set-cookie").and_then(|v| v.to_str().ok());
    cookie.expect("a Set-Cookie header").to_string()
}

/// Asserts a problem+json response with the given status, returning its detail.
pub async fn assert_problem(res: reqwest::Response, status: u16) -> String {
    assert_eq!(res.status().as_u16(), status);
    assert_eq!(content_type(&res), "application/problem+json");
    let body: Value = res.json().await.expect("problem body");
    assert_eq!(body["status"], status);
    assert!(body["type"].is_string() && body["title"].is_string());
    body["detail"].as_str().expect("detail").to_string()
}

/// The answer's `Content-Type` ("" without one).
pub fn content_type(res: &reqwest::Response) -> String {
    res.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Runs an async test body once per backend.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test] async fn $name() { super::$name($crate::helpers::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test] async fn $name() { super::$name($crate::helpers::Backend::Postgres).await } )*
        }
    };
}

/// Runs `$body` with `$pool` bound to the concrete pool of `$db`, whichever dialect it is (the
/// body is compiled once per dialect).
#[macro_export]
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            adsync_storage::Db::Sqlite($pool) => $body,
            adsync_storage::Db::Postgres($pool) => $body,
        }
    };
}

/// Everything a test database holds, as text to search for secrets: the SQLite file with
/// its WAL, or every PostgreSQL table's rows.
pub async fn stored_text(db: &Db, url: &str) -> String {
    match db {
        Db::Sqlite(_) => {
            let path = url.trim_start_matches("sqlite://");
            let mut bytes = Vec::new();
            for suffix in ["", "-wal", "-shm"] {
                bytes.extend(std::fs::read(format!("{path}{suffix}")).unwrap_or_default());
            }
            assert!(bytes.len() > 10_000, "the database file was read");
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Db::Postgres(p) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_all(p)
            .await
            .expect("tables");
            let mut out = String::new();
            for t in tables {
                let sql = format!("SELECT COALESCE(string_agg(t::text, E'\\n'), '') FROM \"{t}\" t");
                let text: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(p)
                    .await
                    .expect("dump");
                out.push_str(&text);
            }
            out
        }
    }
}

/// Gives `team` a stored Facebook connection (by `owner`, the token ciphertext as given) that
/// reaches one ad account (`act_1`, UTC, synced), as if its owner had connected: for tests
/// that need a connected team but no Graph API.
pub async fn store_connection(db: &Db, team: TeamId, owner: UserId, token_ciphertext: String) -> i64 {
    use adsync_storage::connections::{self, AdAccount, NewConnection};
    let connection = NewConnection {
        team_id: team,
        platform: "facebook".into(),
        external_user_id: format!("fb-user-of-team-{team}"),
        external_user_name: None,
        token_ciphertext,
        scopes: vec!["ads_read".into()],
        token_expires_at: None,
        connected_by: owner,
    };
    let account = AdAccount {
        id: "act_1".into(),
        account_id: "1".into(),
        name: "Acme".into(),
        currency: "EUR".into(),
        timezone_name: "UTC".into(),
        synced: true,
    };
    connections::save(db, &connection, &[account])
        .await
        .expect("connection");
    connections::get(db, team, "facebook")
        .await
        .expect("db")
        .expect("saved")
        .id
}
