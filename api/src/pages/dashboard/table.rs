//! The sortable performance table: campaigns, drilling down to ad sets and ads.

use std::collections::HashSet;

use adsync_common::dates::DateRange;
use adsync_storage::metrics as stored;
use maud::{Markup, html};
use serde_json::Value;

use super::numbers::{Column, MAX_TABLE_ROWS, Sums, TABLE_METRICS, digits, field, fmt_metric};
use super::{View, csv_href, day, params, rows};
use crate::pages::PageTeam;
use crate::routes::metrics::query;
use crate::{ApiError, AppState};

pub(super) async fn table_section(
    state: &AppState,
    team: &PageTeam,
    view: &View,
    range: DateRange,
    dp: u32,
    columns: &[Column],
) -> Result<Markup, ApiError> {
    let t = team.member.team;
    let level = view
        .level
        .as_deref()
        .filter(|l| matches!(*l, "adset" | "ad"))
        .unwrap_or("campaign");
    // Drill-down: the ad sets of a campaign, or the ads of an ad set (or of a campaign).
    let campaign = match view.campaign.as_deref().filter(|_| level != "campaign") {
        Some(id) => stored::parent(&state.db, t, "campaign", id).await?,
        None => None,
    };
    let adset = match view.adset.as_deref().filter(|_| level == "ad") {
        Some(id) => stored::parent(&state.db, t, "adset", id).await?,
        None => None,
    };
    let adset_campaign = match adset.as_ref().and_then(|a| a.campaign_id.as_deref()) {
        Some(c) => stored::parent(&state.db, t, "campaign", c).await?,
        None => None,
    };
    let within: Option<HashSet<String>> = match (&adset, &campaign) {
        (Some(a), _) => Some(
            stored::children(&state.db, t, "ad", "adset", &a.id)
                .await?
                .into_iter()
                .collect(),
        ),
        (None, Some(c)) => Some(
            stored::children(&state.db, t, level, "campaign", &c.id)
                .await?
                .into_iter()
                .collect(),
        ),
        _ => None,
    };
    let sort_key = view
        .sort
        .as_deref()
        .filter(|s| *s == "name" || columns.iter().any(|c| c.key == *s))
        .unwrap_or("spend");
    let desc = match view.dir.as_deref() {
        Some("asc") => false,
        Some("desc") => true,
        _ => sort_key != "name",
    };
    let mut p = params(view, level, "total", TABLE_METRICS, range);
    p.sort = Some(format!("{}{sort_key}", if desc { "-" } else { "" }));
    let status_filter = view.status.as_deref().filter(|s| STATUSES.iter().any(|(k, _)| k == s));
    p.effective_status = status_filter.map(String::from);
    let v = query(state, t, &p).await?;
    let all: Vec<&Value> = rows(&v)
        .iter()
        .filter(|r| {
            within
                .as_ref()
                .is_none_or(|w| r["id"].as_str().is_some_and(|id| w.contains(id)))
        })
        .collect();
    let mut sums = Sums::default();
    all.iter().for_each(|r| sums.add(r));
    let noun = match level {
        "adset" => ("ad set", "ad sets", "Ad set"),
        "ad" => ("ad", "ads", "Ad"),
        _ => ("campaign", "campaigns", "Campaign"),
    };
    let tab = |l: &str| {
        view.href(t, |v| {
            v.level = Some(l.into());
            v.campaign = None;
            v.adset = None;
        })
    };
    let sort_href = |k: &str| {
        let next_desc = if k == sort_key { !desc } else { k != "name" };
        view.href(t, |v| {
            v.sort = Some(k.into());
            v.dir = Some((if next_desc { "desc" } else { "asc" }).into());
        })
    };
    let aria_sort = |k: &str| (k == sort_key).then_some(if desc { "descending" } else { "ascending" });
    let arrow = |k: &str| {
        if k == sort_key {
            if desc { " ▼" } else { " ▲" }
        } else {
            ""
        }
    };
    Ok(html! {
        section.card aria-labelledby="table-title" {
            div.table-head {
                h2 id="table-title" { "Performance by " (noun.0) }
                nav.tabs aria-label="Level" {
                    @for (l, label) in [("campaign", "Campaigns"), ("adset", "Ad sets"), ("ad", "Ads")] {
                        a href=(tab(l)) aria-current=[(l == level && within.is_none()).then_some("page")] { (label) }
                    }
                }
                form.status-filter method="get" action={ "/teams/" (t) "/dashboard" } {
                    @for (k, val) in [("range", &view.range), ("since", &view.since), ("until", &view.until), ("account", &view.account), ("level", &view.level), ("campaign", &view.campaign), ("adset", &view.adset), ("sort", &view.sort), ("dir", &view.dir)] {
                        @if let Some(val) = val { input type="hidden" name=(k) value=(val); }
                    }
                    label for="status" { "Delivery" }
                    select id="status" name="status" {
                        option value="" { "Any status" }
                        @for (k, label) in STATUSES {
                            option value=(k) selected[status_filter == Some(*k)] { (label) }
                        }
                    }
                    button type="submit" { "Filter" }
                }
            }
            @if within.is_some() {
                nav.crumbs aria-label="Drill-down" {
                    a href=(tab("campaign")) { "All campaigns" }
                    @if let Some(c) = campaign.as_ref().or(adset_campaign.as_ref()) {
                        " › "
                        @if adset.is_some() {
                            a href=(view.href(t, |v| { v.level = Some("adset".into()); v.campaign = Some(c.id.clone()); v.adset = None; })) { (c.name) }
                        } @else { span aria-current="page" { (c.name) } }
                    }
                    @if let Some(a) = &adset { " › " span aria-current="page" { (a.name) } }
                }
            }
            @if all.is_empty() {
                p { "No " (noun.1) " delivered in this range" @if status_filter.is_some() { " with that status" } "." }
            } @else {
                div.table-wrap tabindex="0" role="region" aria-labelledby="table-title" {
                    table.perf {
                        caption.visually-hidden { (noun.2) " performance, " (day(range.since())) " – " (day(range.until())) ", sortable by each column" }
                        thead {
                            tr {
                                th scope="col" aria-sort=[aria_sort("name")] { a href=(sort_href("name")) { (noun.2) (arrow("name")) } }
                                th scope="col" { "Status" }
                                @if level == "campaign" { th scope="col" { "Objective" } }
                                @for c in columns {
                                    th scope="col" .num aria-sort=[aria_sort(c.key)] { a href=(sort_href(c.key)) { (c.label) (arrow(c.key)) } }
                                }
                            }
                        }
                        tbody {
                            @for r in all.iter().take(MAX_TABLE_ROWS) {
                                @let id = r["id"].as_str().unwrap_or_default();
                                @let name = r["name"].as_str().unwrap_or(id);
                                tr data-id=(id) {
                                    th scope="row" {
                                        @match level {
                                            "campaign" => { a href=(view.href(t, |v| { v.level = Some("adset".into()); v.campaign = Some(id.into()); v.adset = None; })) { (name) } },
                                            "adset" => { a href=(view.href(t, |v| { v.level = Some("ad".into()); v.adset = Some(id.into()); })) { (name) } },
                                            _ => { (name) },
                                        }
                                    }
                                    td.status data-status=[r["effective_status"].as_str()] { (status_label(r["effective_status"].as_str())) }
                                    @if level == "campaign" { td { (objective_label(r["objective"].as_str())) } }
                                    @for c in columns {
                                        td.num data-metric=(c.key) { (fmt_metric(c.kind, field(r, c.key), digits(c.key, dp))) }
                                    }
                                }
                            }
                        }
                        tfoot {
                            tr {
                                th scope="row" { "Total (" (all.len()) " " (if all.len() == 1 { noun.0 } else { noun.1 }) ")" }
                                td {}
                                @if level == "campaign" { td {} }
                                @for c in columns { td.num data-metric=(c.key) { (fmt_metric(c.kind, sums.get(c.key), digits(c.key, dp))) } }
                            }
                        }
                    }
                }
                @if all.len() > MAX_TABLE_ROWS { p.hint { "Showing the first " (MAX_TABLE_ROWS) " of " (all.len()) " " (noun.1) "; the total row covers all of them." } }
                @if within.is_none() {
                    p.hint { a.download href=(csv_href(t, &p)) download { "Download CSV" } " of these " (noun.1) " (every row, exact figures)." }
                }
                p.hint { (columns.iter().find(|c| c.key == "results").map(|c| c.label.as_str()).unwrap_or("Results")) " use Facebook's default attribution (7-day click, 1-day view). CTR, CPC, cost per result and ROAS are computed from the summed clicks, impressions, spend, results and their value." }
            }
        }
    })
}

/// The effective statuses the table filters by, with their labels.
const STATUSES: &[(&str, &str)] = &[
    ("ACTIVE", "Active"),
    ("PAUSED", "Paused"),
    ("CAMPAIGN_PAUSED", "Campaign paused"),
    ("ADSET_PAUSED", "Ad set paused"),
    ("ARCHIVED", "Archived"),
    ("WITH_ISSUES", "With issues"),
    ("DISAPPROVED", "Disapproved"),
];

/// `CAMPAIGN_PAUSED` → "Campaign paused"; unknown values as they came, none as "–".
fn status_label(raw: Option<&str>) -> String {
    match raw {
        None => "–".into(),
        Some(s) => STATUSES
            .iter()
            .find(|(k, _)| *k == s)
            .map(|(_, l)| (*l).to_string())
            .unwrap_or_else(|| words(s)),
    }
}

/// `OUTCOME_SALES` → "Sales".
fn objective_label(raw: Option<&str>) -> String {
    raw.map_or_else(|| "–".into(), |o| words(o.strip_prefix("OUTCOME_").unwrap_or(o)))
}

/// `APP_PROMOTION` → "App promotion".
fn words(raw: &str) -> String {
    let lower = raw.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_objectives_read_as_words() {
        assert_eq!(status_label(Some("CAMPAIGN_PAUSED")), "Campaign paused");
        assert_eq!(status_label(Some("IN_PROCESS")), "In process");
        assert_eq!(status_label(None), "–");
        assert_eq!(objective_label(Some("OUTCOME_APP_PROMOTION")), "App promotion");
        assert_eq!(objective_label(Some("LINK_CLICKS")), "Link clicks");
    }
}
