//! The breakdown panel: for each breakdown the team syncs, the range's figures per value
//! (age group, country, placement, …), from the metrics API's `breakdown=`.

use adsync_common::breakdowns::{self, Breakdown};
use adsync_common::dates::DateRange;
use adsync_common::ids::TeamId;
use maud::{Markup, html};

use super::numbers::{Kind, digits, field, fmt_metric};
use super::{View, params, rows};
use crate::routes::metrics::query;
use crate::{ApiError, AppState};

const METRICS: &str = "spend,impressions,clicks,ctr,results,cost_per_result";

pub(super) async fn panel(
    state: &AppState,
    team: TeamId,
    view: &View,
    range: DateRange,
    dp: u32,
    results: &str,
    enabled: &[Breakdown],
) -> Result<Markup, ApiError> {
    if enabled.is_empty() {
        return Ok(html! {});
    }
    let mut tables = Vec::new();
    for &b in enabled {
        let mut p = params(view, "account", "total", METRICS, range);
        p.breakdown = Some(b.key().into());
        p.sort = Some("-spend".into());
        let answer = query(state, team, &p).await?;
        tables.push((b, rows(&answer).to_vec()));
    }
    let columns = [
        ("spend", "Spend", Kind::Money),
        ("impressions", "Impressions", Kind::Count),
        ("clicks", "Clicks", Kind::Count),
        ("ctr", "CTR", Kind::Percent),
        ("results", results, Kind::Count),
        ("cost_per_result", "Cost per result", Kind::Money),
    ];
    Ok(html! {
        section.card aria-labelledby="breakdown-title" {
            h2 id="breakdown-title" { "Breakdowns" }
            div.breakdown-tables {
                @for (b, rows) in &tables {
                    figure.breakdown data-breakdown=(b.key()) {
                        figcaption { "By " (b.label().to_lowercase()) }
                        @if rows.is_empty() {
                            p.hint { "No delivery by " (b.label().to_lowercase()) " in this range yet." }
                        } @else {
                            table.perf {
                                thead { tr {
                                    th scope="col" { (b.label()) }
                                    @for (_, label, _) in &columns { th scope="col" .num { (label) } }
                                } }
                                tbody {
                                    @for r in rows {
                                        @let values = breakdowns::values(&breakdown_key(r));
                                        tr {
                                            th scope="row" { (values.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" · ")) }
                                            @for (key, _, kind) in &columns { td.num { (fmt_metric(*kind, field(r, key), digits(key, dp))) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.hint { "Each value's own figures over the range; reach is not shown, since it is never added up over days or values. Reach by breakdown exists for the last 13 months only." }
        }
    })
}

/// The row's breakdown values as the key they came from (the API writes them as an object).
fn breakdown_key(row: &serde_json::Value) -> String {
    let pairs: Vec<(&str, &str)> = row["breakdown"]
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v)))
                .collect()
        })
        .unwrap_or_default();
    breakdowns::row_key(pairs)
}
