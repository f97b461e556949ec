//! Tests of `sync::shrink`.

use super::*;

fn range(since: &str, until: &str) -> DateRange {
    DateRange::new(since.parse().expect("day"), until.parse().expect("day")).expect("range")
}

fn paged(r: DateRange) -> Piece {
    Piece::new(r, Via::Paged, &Sizing::default())
}

/// Follows the ladder from a piece that is always refused, to the end.
fn ladder(mut piece: Piece, level: Level) -> Vec<String> {
    let mut steps = Vec::new();
    loop {
        match shrink(&piece, level, Refused::Request) {
            Shrink::Limit(l) => {
                steps.push(format!("limit {l}"));
                piece.limit = l;
            }
            // Follow the newer half, as the newest days are fetched first.
            Shrink::Split(_, newer) => {
                steps.push(format!("{} days", newer.range.days()));
                piece = newer;
            }
            Shrink::Instead(p) => {
                steps.push("report".into());
                piece = p;
            }
            Shrink::ByCampaign => {
                steps.push("by campaign".into());
                piece = by_campaign(&piece, &["c1".into()]).remove(0);
            }
            Shrink::GiveUp => {
                steps.push("give up".into());
                return steps;
            }
        }
        assert!(steps.len() < 40, "the ladder ends: {steps:?}");
    }
}

#[test]
fn pages_then_days_then_a_report_then_campaigns_then_nothing() {
    let steps = ladder(paged(range("2026-11-01", "2026-11-04")), Level::Ad);
    assert_eq!(
        steps,
        [
            "limit 250",
            "limit 125",
            "limit 62",
            "limit 31",
            "limit 25",
            "2 days",
            "1 days",
            "report",
            "by campaign",
            // The campaign's piece climbs down again: pages, then its report.
            "limit 250",
            "limit 125",
            "limit 62",
            "limit 31",
            "limit 25",
            "report",
            "give up",
        ]
    );
}

#[test]
fn account_rows_cannot_be_split_by_campaign() {
    let steps = ladder(paged(range("2026-11-01", "2026-11-01")), Level::Account);
    assert_eq!(steps.last().map(String::as_str), Some("give up"));
    assert!(!steps.iter().any(|s| s == "by campaign"));
}

#[test]
fn report_pages_shrink_before_the_report_is_given_up() {
    let report = Piece {
        via: Via::Report,
        paged_exhausted: true,
        ..paged(range("2026-11-01", "2026-11-01"))
    };
    assert_eq!(shrink(&report, Level::Ad, Refused::ReportPages), Shrink::Limit(250));
    assert_eq!(shrink(&report, Level::Ad, Refused::Request), Shrink::ByCampaign);
}

#[test]
fn a_planned_report_that_fails_falls_back_to_pages() {
    let planned = paged(range("2026-10-01", "2026-10-30"));
    let planned = Piece {
        via: Via::Report,
        ..planned
    };
    match report_failed(&planned, Level::Ad) {
        Shrink::Instead(p) => assert_eq!((p.via, p.limit), (Via::Paged, MAX_PAGE_SIZE)),
        other => panic!("{other:?}"),
    }
    let reached = Piece {
        paged_exhausted: true,
        ..planned
    };
    assert!(matches!(report_failed(&reached, Level::Ad), Shrink::Split(..)));
}

#[test]
fn what_worked_sizes_the_next_units() {
    let mut sizing = Sizing::default();
    let worked = Piece {
        limit: 125,
        ..paged(range("2026-11-01", "2026-11-03"))
    };
    sizing.learn(&worked, true, false);
    assert_eq!((sizing.limit, sizing.max_days, sizing.via), (125, Some(3), Via::Paged));
    let next = sizing.ranges(range("2026-10-01", "2026-10-10"));
    assert_eq!(next.len(), 4, "10 days in pieces of 3: {next:?}");
    assert_eq!(next[0].until(), "2026-10-10".parse().expect("day"), "newest first");
    let piece = Piece::new(next[0], Via::Paged, &sizing);
    assert_eq!(piece.limit, 125);
    // A bigger piece working after a refusal does not grow the sizing back.
    sizing.learn(&paged(range("2026-09-01", "2026-09-30")), false, false);
    assert_eq!((sizing.limit, sizing.max_days), (125, Some(3)));
    let report = Piece {
        via: Via::Report,
        paged_exhausted: true,
        campaign: Some("c1".into()),
        ..worked
    };
    sizing.learn(&report, false, false);
    assert_eq!((sizing.via, sizing.by_campaign), (Via::Report, true));
    let next = Piece::new(range("2026-08-01", "2026-08-01"), Via::Paged, &sizing);
    assert_eq!((next.via, next.paged_exhausted), (Via::Report, true));
}

#[test]
fn the_error_says_what_was_tried() {
    let mut tried = Tried::default();
    tried.note(&paged(range("2026-11-01", "2026-11-08")));
    tried.note(&Piece {
        limit: 25,
        via: Via::Report,
        campaign: Some("c".into()),
        ..paged(range("2026-11-08", "2026-11-08"))
    });
    assert_eq!(
        tried.to_string(),
        "pages down to 25 rows, ranges down to 1 day, an async report run, one campaign at a time"
    );
}

#[test]
fn halves_cover_the_range() {
    let (older, newer) = split(range("2026-11-01", "2026-11-05")).expect("split");
    assert_eq!((older.days(), newer.days()), (2, 3));
    assert_eq!(older.until().succ_opt(), Some(newer.since()));
    assert!(split(range("2026-11-01", "2026-11-01")).is_none());
}

#[test]
fn pages_grow_back_and_a_real_threshold_slows_the_growth() {
    let mut growth = Regrowth::default();
    let mut limit = 125;
    for _ in 1..GROW_AFTER_PAGES {
        limit = growth.worked(limit, 500);
    }
    assert_eq!(limit, 125, "not before {GROW_AFTER_PAGES} pages worked");
    limit = growth.worked(limit, 500);
    assert_eq!(limit, 250);
    // Refused at once at 250: back to 125, and the next growth waits twice as long.
    growth.refused();
    limit = 125;
    for _ in 1..2 * GROW_AFTER_PAGES {
        limit = growth.worked(limit, 500);
    }
    assert_eq!(limit, 125);
    assert_eq!(growth.worked(limit, 500), 250);
    // Never beyond what the account's level asks for.
    let mut growth = Regrowth::default();
    let mut limit = 62;
    for _ in 0..10 * GROW_AFTER_PAGES {
        limit = growth.worked(limit, 100);
    }
    assert_eq!(limit, 100);
}

/// Units until a trial comes, then the trial confirmed.
fn relax_one_step(sizing: &mut Sizing) {
    for _ in 0..64 {
        sizing.relax();
        let (unit, trial) = sizing.for_unit();
        if trial {
            sizing.confirm(&unit);
            return;
        }
    }
    panic!("no trial after 64 clean units");
}

#[test]
fn a_refusal_by_chance_does_not_shrink_an_account_for_good() {
    let mut sizing = Sizing::default();
    let worked = Piece {
        limit: 62,
        via: Via::Report,
        paged_exhausted: true,
        campaign: Some("c1".into()),
        ..paged(range("2026-11-01", "2026-11-04"))
    };
    sizing.learn(&worked, true, false);
    let mut steps = Vec::new();
    for _ in 0..40 {
        relax_one_step(&mut sizing);
        steps.push((sizing.limit, sizing.max_days, sizing.via, sizing.by_campaign));
        if sizing.is_unbounded() {
            break;
        }
    }
    assert_eq!(
        steps[..4],
        [
            (62, Some(4), Via::Report, false),
            (62, Some(4), Via::Paged, false),
            (62, Some(8), Via::Paged, false),
            (62, Some(16), Via::Paged, false),
        ]
    );
    assert!(sizing.is_unbounded(), "back to the full size: {steps:?}");
}

#[test]
fn one_unit_tries_a_relaxed_step_and_a_refusal_makes_the_next_wait_longer() {
    let mut sizing = Sizing::default();
    let worked = Piece {
        limit: 125,
        ..paged(range("2026-11-01", "2026-11-04"))
    };
    sizing.learn(&worked, false, false);
    for _ in 0..RELAX_AFTER_UNITS {
        sizing.relax();
    }
    let (trial, on_trial) = sizing.for_unit();
    assert!(on_trial);
    assert_eq!(trial.limit, 250);
    let (other, also) = sizing.for_unit();
    assert_eq!(
        (other.limit, also),
        (125, false),
        "the units in flight beside it keep 125"
    );
    // The trial is refused at 250 and works at 125 again.
    sizing.learn(&worked, false, true);
    assert_eq!(sizing.limit, 125);
    for _ in 0..2 * RELAX_AFTER_UNITS - 1 {
        sizing.relax();
    }
    assert!(!sizing.for_unit().1, "twice as many clean units before the next trial");
    sizing.relax();
    let (trial, on_trial) = sizing.for_unit();
    assert!(on_trial);
    sizing.confirm(&trial);
    assert_eq!(sizing.limit, 250);
}

#[test]
fn only_a_refused_request_of_a_size_that_worked_is_asked_again() {
    let mut sizing = Sizing::default();
    let piece = paged(range("2026-11-01", "2026-11-07"));
    assert!(!sizing.proven(&piece), "nothing worked yet");
    assert_eq!(asks_before(&Shrink::Limit(250), sizing.proven(&piece)), 0);
    sizing.page_worked(&piece);
    assert!(sizing.proven(&piece));
    assert_eq!(asks_before(&Shrink::Limit(250), sizing.proven(&piece)), 1);
    let longer = paged(range("2026-10-01", "2026-11-07"));
    assert!(!sizing.proven(&longer));
    assert_eq!(asks_before(&Shrink::GiveUp, false), RETRIES_AT_SMALLEST);
}
