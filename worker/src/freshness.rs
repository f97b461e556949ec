//! The sync-lag gauges: how many days the newest synced day of each team trails its ad
//! accounts' local today. Computed from the database, so every worker reports the same
//! truth whichever of them synced the team.

use std::collections::BTreeMap;

use adsync_common::ids::TeamId;
use adsync_storage::metrics::{self as stored, AccountFreshness};
use adsync_storage::{Db, StorageResult};
use chrono::{NaiveDate, Utc};

/// Refreshes `adsync_sync_lag_days_max`, `adsync_ad_accounts_never_synced` and, with
/// `ADSYNC_METRICS_ID_LABELS=true`, `adsync_sync_lag_days{team}`.
pub async fn record(db: &Db, id_labels: bool) -> StorageResult<()> {
    let lags = team_lags(&stored::freshness(db).await?, Utc::now());
    let never = lags.values().filter(|l| l.is_none()).count();
    let worst = lags.values().flatten().max().copied().unwrap_or(0);
    metrics::gauge!("adsync_sync_lag_days_max").set(worst as f64);
    metrics::gauge!("adsync_ad_accounts_never_synced").set(never as f64);
    if id_labels {
        for (team, lag) in &lags {
            if let Some(days) = lag {
                metrics::gauge!("adsync_sync_lag_days", "team" => team.to_string()).set(*days as f64);
            }
        }
    }
    Ok(())
}

/// Per team, the worst lag of its accounts in whole days (`None` when an account has
/// nothing synced yet: that team is not fresh at all).
fn team_lags(accounts: &[AccountFreshness], now: chrono::DateTime<Utc>) -> BTreeMap<TeamId, Option<i64>> {
    let mut out: BTreeMap<TeamId, Option<i64>> = BTreeMap::new();
    for a in accounts {
        let lag = a
            .newest
            .map(|d| (local_today(&a.timezone_name, now) - d).num_days().max(0));
        let entry = out.entry(a.team_id).or_insert(Some(0));
        *entry = match (*entry, lag) {
            (Some(worst), Some(l)) => Some(worst.max(l)),
            _ => None,
        };
    }
    out
}

fn local_today(timezone: &str, now: chrono::DateTime<Utc>) -> NaiveDate {
    match timezone.parse::<chrono_tz::Tz>() {
        Ok(tz) => now.with_timezone(&tz).date_naive(),
        Err(_) => now.date_naive(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn account(team: i64, tz: &str, newest: Option<&str>) -> AccountFreshness {
        AccountFreshness {
            team_id: TeamId(team),
            ad_account_id: format!("act_{team}"),
            timezone_name: tz.into(),
            newest: newest.map(|d| d.parse().expect("date")),
        }
    }

    #[test]
    fn lag_is_counted_in_each_accounts_own_day() {
        // 03:00 UTC on the 23rd is still the 22nd in Los Angeles.
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).single().expect("time");
        let lags = team_lags(
            &[
                account(1, "America/Los_Angeles", Some("2026-11-22")),
                account(2, "Europe/Berlin", Some("2026-11-20")),
            ],
            now,
        );
        assert_eq!(lags[&TeamId(1)], Some(0));
        assert_eq!(lags[&TeamId(2)], Some(3));
    }

    #[test]
    fn a_team_is_as_stale_as_its_stalest_account() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).single().expect("time");
        let lags = team_lags(
            &[
                account(1, "UTC", Some("2026-11-23")),
                account(1, "UTC", Some("2026-11-13")),
                account(2, "UTC", Some("2026-11-23")),
                account(2, "UTC", None),
            ],
            now,
        );
        assert_eq!(lags[&TeamId(1)], Some(10));
        assert_eq!(
            lags[&TeamId(2)],
            None,
            "an account never synced makes the team unsynced"
        );
    }
}
