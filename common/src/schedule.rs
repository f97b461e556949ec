//! When a connected team is due for its scheduled sync. Each team's runs fall on its own
//! slots, `phase + k × interval` (UNIX time), with a phase drawn from its id, so teams that
//! share an interval are spread over it instead of firing together after a deploy or an
//! outage. Every worker computes the same slots, so which worker looks first does not matter.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::ids::TeamId;

/// The intervals an owner may give a team: often enough to matter, rarely enough to leave
/// Facebook's rate budget to the other teams.
pub const TEAM_INTERVALS: std::ops::RangeInclusive<Duration> =
    Duration::from_secs(15 * 60)..=Duration::from_secs(31 * 24 * 3600);

/// Intervals the settings page offers.
pub const SUGGESTED_INTERVALS: [&str; 7] = ["15m", "30m", "1h", "3h", "6h", "12h", "1day"];

/// A team's interval setting: `default` (the server's `ADSYNC_SYNC_INTERVAL`, `None`) or a
/// duration such as `30m`, `6h`, `1day` within [`TEAM_INTERVALS`].
pub fn parse_team_interval(raw: &str) -> Result<Option<Duration>, String> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("default") {
        return Ok(None);
    }
    humantime::parse_duration(raw)
        .ok()
        .filter(|d| TEAM_INTERVALS.contains(d))
        .map(Some)
        .ok_or_else(|| {
            format!(
                "{raw:?} is not \"default\" or a duration between {} and {} (e.g. 30m, 6h, 1day)",
                humantime::format_duration(*TEAM_INTERVALS.start()),
                humantime::format_duration(*TEAM_INTERVALS.end())
            )
        })
}

/// An interval as settings show it, in its largest whole unit (`30m`, `6h`, `1day`,
/// `31days`), which [`parse_team_interval`] reads back.
pub fn format_interval(interval: Duration) -> String {
    let secs = interval.as_secs();
    match secs {
        0 => "0s".into(),
        86_400 => "1day".into(),
        s if s % 86_400 == 0 => format!("{}days", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        _ => humantime::format_duration(interval).to_string(),
    }
}

/// A Weyl-sequence multiplier (2^64 / φ): consecutive ids land far apart on the interval.
const SPREAD: u64 = 0x9E37_79B9_7F4A_7C15;

/// The team's offset into each interval, in seconds, `0..interval`.
pub fn phase(team: TeamId, interval: Duration) -> u64 {
    let secs = interval.as_secs().max(1);
    // The high bits of the product are the well-mixed ones.
    let mixed = (team.0 as u64).wrapping_mul(SPREAD);
    ((u128::from(mixed) * u128::from(secs)) >> 64) as u64
}

/// The team's latest slot at or before `now`.
pub fn latest_slot(team: TeamId, interval: Duration, now: DateTime<Utc>) -> DateTime<Utc> {
    let secs = interval.as_secs();
    if secs == 0 {
        return now;
    }
    let phase = phase(team, interval) as i64;
    let t = now.timestamp();
    let slot = (t - phase).div_euclid(secs as i64) * secs as i64 + phase;
    DateTime::from_timestamp(slot, 0).unwrap_or(now)
}

/// Whether the team is due at `now`, its newest run having been created at `latest` (none
/// yet: due). Due once per slot; a run made within half an interval before the slot (a
/// manual resync, a backfill) stands in for it, so the team is not synced twice in a row.
pub fn is_due(team: TeamId, interval: Duration, now: DateTime<Utc>, latest: Option<DateTime<Utc>>) -> bool {
    let Some(latest) = latest else { return true };
    if interval.is_zero() {
        return true;
    }
    let half = chrono::Duration::from_std(interval / 2).unwrap_or(chrono::Duration::MAX);
    let slot = latest_slot(team, interval, now);
    latest < slot && slot - latest >= half
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("time")
    }

    /// A thousand teams on one interval: no tenth of the hour holds more than twice its share.
    #[test]
    fn teams_are_spread_over_the_interval() {
        let mut tenths = [0usize; 10];
        for id in 1..=1000 {
            let p = phase(TeamId(id), HOUR);
            assert!(p < 3600);
            tenths[(p / 360) as usize] += 1;
        }
        assert!(tenths.iter().all(|&n| (50..=200).contains(&n)), "{tenths:?}");
    }

    /// Simulated a day minute by minute, a team synced whenever due runs once an hour, at
    /// its own minute; a resync just before a slot stands in for it.
    #[test]
    fn one_run_per_slot() {
        for id in [1, 2, 77, 4242] {
            let team = TeamId(id);
            let mut latest = Some(at(0));
            let mut runs = Vec::new();
            for minute in 1..=24 * 60 {
                let now = at(minute * 60);
                if is_due(team, HOUR, now, latest) {
                    runs.push(now);
                    latest = Some(now);
                }
            }
            assert!((23..=24).contains(&runs.len()), "team {id}: {}", runs.len());
            for pair in runs.windows(2) {
                assert_eq!((pair[1] - pair[0]).num_minutes(), 60, "team {id}: hourly");
            }
            let minute_of_hour = |t: &DateTime<Utc>| t.timestamp().rem_euclid(3600) / 60;
            let expected = (phase(team, HOUR) as i64 + 59) / 60 % 60;
            assert!(
                runs.iter().all(|t| minute_of_hour(t) == expected),
                "team {id}: its own minute"
            );

            let slot = latest_slot(team, HOUR, at(10 * 3600));
            let resync = slot - chrono::Duration::minutes(5);
            assert!(
                !is_due(team, HOUR, slot + chrono::Duration::seconds(30), Some(resync)),
                "team {id}"
            );
            assert!(
                is_due(team, HOUR, slot + chrono::Duration::hours(1), Some(resync)),
                "team {id}"
            );
        }
        assert!(
            is_due(TeamId(1), Duration::ZERO, at(0), Some(at(0))),
            "no interval: always due"
        );
        assert_eq!(parse_team_interval(" Default "), Ok(None));
        assert_eq!(parse_team_interval("6h"), Ok(Some(6 * HOUR)));
        for bad in ["5m", "40days", "soon", ""] {
            assert!(parse_team_interval(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format_interval(Duration::from_secs(31 * 86_400)), "31days");
        assert_eq!(format_interval(Duration::from_secs(90)), "1m 30s");
        for s in SUGGESTED_INTERVALS.into_iter().chain(["31days", "90m"]) {
            let d = parse_team_interval(s).expect("suggested").expect("an interval");
            assert_eq!(format_interval(d), s, "shown as offered");
        }
        assert!(is_due(TeamId(1), HOUR, at(0), None), "never synced: due");
    }
}
