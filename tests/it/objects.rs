//! What a sync stores of the objects (campaigns', ad sets' and ads' status, effective status
//! and objective, shown and filterable), and the owner's choice of the accounts to sync
//! (unchosen accounts keep no data). On SQLite and on PostgreSQL + Redis.

use adsync_common::ids::Role;
use adsync_sandbox::{DatasetName, Level, SandboxConfig};
use adsync_storage::Db;
use adsync_storage::sync_runs::RunStatus;
use adsync_storage::teams;
use serde_json::{Value, json};

use crate::connect::{Fixture, auto_approve};
use crate::helpers::Backend;

fn shapes() -> SandboxConfig {
    SandboxConfig {
        dataset: DatasetName::Shapes,
        ..auto_approve()
    }
}

/// A team connected to the shapes dataset, its backfill run by a worker of this process.
async fn synced(backend: Backend) -> (Fixture, adsync_worker::WorkerState) {
    crate::connect::synced(backend, shapes()).await
}

type ObjectRow = (String, String, Option<String>, Option<String>, Option<String>);

async fn stored_objects(db: &Db, table: &str) -> Vec<ObjectRow> {
    let objective = if table == "campaigns" {
        "objective"
    } else {
        "CAST(NULL AS TEXT)"
    };
    let sql = format!("SELECT id, ad_account_id, status, effective_status, {objective} FROM {table} ORDER BY id");
    crate::on_pool!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(p).await).expect("objects")
}

async fn count(db: &Db, sql: &str) -> i64 {
    let sql = sql.to_string();
    crate::on_pool!(db, p => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(p).await).expect("count")
}

async fn objects_carry_their_status_and_objective(backend: Backend) {
    let (f, _) = synced(backend).await;
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    // Every campaign and ad as the sandbox's lists describe it.
    let campaigns = stored_objects(&f.app.db, "campaigns").await;
    assert_eq!(campaigns.len(), ds.all_campaigns().len());
    for (i, c) in ds.all_campaigns().iter().enumerate() {
        let (status, effective) = ds.status(Level::Campaign, i);
        let row = campaigns.iter().find(|r| r.0 == c.id).expect("stored");
        assert_eq!(
            (row.2.as_deref(), row.3.as_deref(), row.4.as_deref()),
            (Some(status), Some(effective), Some(c.objective.as_str())),
            "campaign {}",
            c.id
        );
    }
    let ads = stored_objects(&f.app.db, "ads").await;
    let mut effective_statuses = std::collections::BTreeSet::new();
    for (i, a) in ds.all_ads().iter().enumerate() {
        let (status, effective) = ds.status(Level::Ad, i);
        let row = ads.iter().find(|r| r.0 == a.id).expect("stored");
        assert_eq!(
            (row.2.as_deref(), row.3.as_deref()),
            (Some(status), Some(effective)),
            "ad {}",
            a.id
        );
        effective_statuses.insert(effective);
    }
    assert!(
        effective_statuses.len() >= 2,
        "the data has more than one status: {effective_statuses:?}"
    );

    // The metrics API shows them and filters by them, on the account with the most ads not
    // active any more.
    let paused_like = ["PAUSED", "ARCHIVED", "CAMPAIGN_PAUSED", "ADSET_PAUSED"];
    let not_active_of = |account: &str| -> std::collections::BTreeSet<String> {
        ds.ads(account)
            .iter()
            .filter(|a| {
                let i = ds.all_ads().iter().position(|x| x.id == a.id).expect("ad");
                paused_like.contains(&ds.status(Level::Ad, i).1)
            })
            .map(|a| a.id.clone())
            .collect()
    };
    let account = ds
        .accounts()
        .iter()
        .max_by_key(|a| not_active_of(&a.id).len())
        .expect("an account");
    let not_active = not_active_of(&account.id);
    assert!(!not_active.is_empty(), "some ads have stopped");
    let range = format!(
        "since={}&until={}&ad_account_id={}",
        ds.first_day(),
        ds.today(),
        account.id
    );
    let (status, body) = f
        .app
        .get_json(
            &f.c,
            &format!(
                "/api/v1/teams/{}/metrics?{range}&level=campaign&granularity=total",
                f.team
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for row in body["rows"].as_array().expect("rows") {
        let i = ds
            .all_campaigns()
            .iter()
            .position(|c| c.id == row["id"])
            .expect("campaign");
        assert_eq!(row["effective_status"], ds.status(Level::Campaign, i).1);
        assert_eq!(row["objective"], ds.all_campaigns()[i].objective.as_str());
    }
    let (status, body) = f
        .app
        .get_json(
            &f.c,
            &format!(
                "/api/v1/teams/{}/metrics?{range}&level=ad&granularity=total&effective_status={}",
                f.team,
                paused_like.join(",")
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let got: std::collections::BTreeSet<String> = body["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect();
    // Ads that delivered in the range and are not active now.
    assert!(
        got.is_subset(&not_active) && !got.is_empty(),
        "{got:?} within {not_active:?}"
    );
    for bad in [
        format!("{range}&level=account&status=ACTIVE"),
        format!("{range}&level=ad&objective=OUTCOME_SALES"),
        format!("{range}&level=ad&status=not%20a%20status"),
    ] {
        let (status, body) = f
            .app
            .get_json(&f.c, &format!("/api/v1/teams/{}/metrics?{bad}", f.team))
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
    }

    // The dashboard's table shows the status and filters by it.
    let page = |q: String| {
        let (app, c, team) = (&f.app, f.c.clone(), f.team);
        async move { app.page_text(&c, &format!("/teams/{team}/dashboard?{q}")).await }
    };
    let dash = format!(
        "account={}&range=custom&since={}&until={}&level=ad",
        account.id,
        ds.first_day(),
        ds.today()
    );
    let all = page(dash.clone()).await;
    assert!(all.contains(r#"<th scope="col">Status</th>"#));
    let only_active = page(format!("{dash}&status=ACTIVE")).await;
    assert!(only_active.contains(r#"data-status="ACTIVE""#));
    for s in paused_like {
        assert!(
            !only_active.contains(&format!(r#"data-status="{s}""#)),
            "{s} filtered out"
        );
    }
}

async fn only_chosen_accounts_are_synced_and_unchosen_keep_no_data(backend: Backend) {
    let (f, state) = synced(backend).await;
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let all: Vec<String> = ds.accounts().iter().map(|a| a.id.clone()).collect();
    let keep = vec![all[0].clone(), all[4].clone()];
    let put = |c: &reqwest::Client, body: Value| {
        let req = c
            .put(
                f.app
                    .url(&format!("/api/v1/teams/{}/connectors/facebook/ad-accounts", f.team)),
            )
            .json(&body);
        async move {
            let res = req.send().await.expect("put");
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let rows_of = |account: &str| format!("SELECT COUNT(*) FROM insights_daily WHERE ad_account_id = '{account}'");
    assert!(
        count(&f.app.db, &rows_of(&all[1])).await > 0,
        "synced before the choice"
    );

    // Bad ids, members and other teams change nothing.
    let (status, _) = put(&f.c, json!({"synced": [keep[0], "act_999"]})).await;
    assert_eq!(status, 400);
    let member = f.app.user("member@example.com").await;
    teams::set_member(&f.app.db, f.team, member, Role::Member)
        .await
        .expect("member");
    let m = f.app.signed_in("member@example.com").await;
    assert_eq!(put(&m, json!({"synced": keep})).await.0, 403);
    let other = f.app.user("other@example.com").await;
    f.app.team("Other", &[(other, Role::Owner)]).await;
    let o = f.app.signed_in("other@example.com").await;
    assert_eq!(put(&o, json!({"synced": keep})).await.0, 404);
    assert!(count(&f.app.db, &rows_of(&all[1])).await > 0, "still there");

    let (status, body) = put(&f.c, json!({"synced": keep})).await;
    assert_eq!(status, 200, "{body}");
    let flags: Vec<(String, bool)> = body["ad_accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| {
            (
                a["id"].as_str().expect("id").to_string(),
                a["synced"].as_bool().expect("flag"),
            )
        })
        .collect();
    assert_eq!(flags.len(), all.len());
    for (id, synced) in &flags {
        assert_eq!(*synced, keep.contains(id), "{id}");
    }
    for id in &all {
        let rows = count(&f.app.db, &rows_of(id)).await;
        let objects = count(
            &f.app.db,
            &format!("SELECT COUNT(*) FROM ads WHERE ad_account_id = '{id}'"),
        )
        .await;
        if keep.contains(id) {
            assert!(rows > 0 && objects > 0, "{id} keeps its data");
        } else {
            assert_eq!((rows, objects), (0, 0), "{id} keeps no data");
        }
    }
    // Its numbers are gone from the API too.
    let (status, _) = f
        .app
        .get_json(
            &f.c,
            &format!("/api/v1/teams/{}/metrics?ad_account_id={}", f.team, all[1]),
        )
        .await;
    assert_eq!(status, 400, "an unchosen account is not one of the team's");

    // The next run fetches only the chosen accounts.
    let run = f.manual_run(ds.today() - chrono::Duration::days(6), ds.today()).await;
    let done = f.run_to_end(&state, run).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    for id in &all[1..4] {
        assert_eq!(count(&f.app.db, &rows_of(id)).await, 0, "{id} was not synced");
    }

    // A reconnect keeps the choice.
    assert_eq!(f.connect().await, f.connected_location());
    let (_, body) = f
        .app
        .get_json(&f.c, &format!("/api/v1/teams/{}/connectors", f.team))
        .await;
    let synced: Vec<&str> = body["connectors"][0]["ad_accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .filter(|a| a["synced"] == true)
        .map(|a| a["id"].as_str().expect("id"))
        .collect();
    assert_eq!(synced.len(), 2, "{body}");

    // The page's form does the same.
    let res =
        f.c.post(f.app.url(&format!("/teams/{}/connectors/facebook/ad-accounts", f.team)))
            .form(&[("synced", all[2].as_str())])
            .send()
            .await
            .expect("form");
    assert!(res.status().is_redirection());
    let page = f
        .app
        .page_text(&f.c, &format!("/teams/{}/connectors?saved=accounts", f.team))
        .await;
    assert!(
        page.contains(&format!(r#"value="{}" checked"#, all[2])),
        "the page shows the choice"
    );
    assert_eq!(
        count(&f.app.db, &rows_of(&all[0])).await,
        0,
        "unchosen from the page: no data"
    );
}

crate::on_both_backends!(
    objects_carry_their_status_and_objective,
    only_chosen_accounts_are_synced_and_unchosen_keep_no_data,
);
