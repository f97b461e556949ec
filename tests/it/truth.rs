//! Comparing what a sync stored with the sandbox's ground truth, to the cent.

use adsync_sandbox::Level;
use adsync_storage::Db;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One object's stored metrics for a day: impressions, clicks, spend (micros), reach,
/// purchases and purchase value (micros) in the 7-day-click window (the rollup columns,
/// whichever action types carried the purchases).
pub async fn stored(
    db: &Db,
    team: i64,
    level: &str,
    id: &str,
    date: NaiveDate,
) -> Option<(i64, i64, i64, Option<i64>, i64, i64)> {
    const SQL: &str = "SELECT impressions, clicks, spend_micros, reach, purchases_7d_click, \
                       purchase_value_7d_click_micros FROM insights_daily \
                       WHERE team_id = $1 AND level = $2 AND object_id = $3 AND date = $4 AND breakdown = ''";
    crate::on_pool!(db, p => sqlx::query_as(SQL)
        .bind(team)
        .bind(level)
        .bind(id)
        .bind(date)
        .fetch_optional(p)
        .await
        .expect("row"))
}

pub fn micros(d: Decimal) -> i64 {
    (d * Decimal::from(1_000_000)).round().try_into().expect("fits")
}

/// Every campaign and the account, every day of `days`, equal the sandbox's truth.
pub async fn assert_matches_truth(
    app: &crate::helpers::TestApp,
    team: adsync_common::ids::TeamId,
    since: NaiveDate,
    until: NaiveDate,
) {
    let ds = app.sandbox.as_ref().expect("sandbox").dataset();
    let account = &ds.accounts()[0];
    let mut objects = vec![(Level::Account, account.id.clone())];
    objects.extend(
        ds.campaigns(&account.id)
            .iter()
            .map(|c| (Level::Campaign, c.id.clone())),
    );
    let mut checked = 0;
    for (level, id) in &objects {
        let level_name = match level {
            Level::Account => "account",
            Level::Campaign => "campaign",
            Level::Adset => "adset",
            Level::Ad => "ad",
        };
        let mut day = since;
        while day <= until {
            let truth = ds
                .row(*level, id, day)
                .filter(|r| r.impressions > 0 || !r.spend.is_zero());
            let got = stored(&app.db, team.0, level_name, id, day).await;
            match truth {
                None => assert!(
                    got.is_none() || got.is_some_and(|g| g.0 == 0),
                    "{level_name} {id} {day}: no data expected, got {got:?}"
                ),
                Some(t) => {
                    let expected = (
                        t.impressions as i64,
                        t.clicks as i64,
                        micros(t.spend),
                        Some(t.reach as i64),
                        t.purchases.click_7d as i64,
                        micros(t.purchase_value.click_7d),
                    );
                    assert_eq!(got, Some(expected), "{level_name} {id} {day}");
                    checked += 1;
                }
            }
            day = day.succ_opt().expect("next day");
        }
    }
    assert!(checked > 0, "compared real rows");
}
