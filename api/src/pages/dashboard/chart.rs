//! The trend charts: inline SVG drawn on the server (no JavaScript), one small chart per
//! metric, with native tooltips and the same numbers as a table for screen readers.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use maud::{Markup, html};

use super::numbers::{Kind, MICRO, Sums, fmt_metric};

/// `2026-11-20` → `11-20` (chart axis labels: the page's one date format, less the year).
fn short_day(d: &str) -> String {
    NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .map(|d| d.format("%m-%d").to_string())
        .unwrap_or_else(|_| d.to_string())
}

/// A "nice" axis maximum: 1, 2, 2.5 or 5 times a power of ten, at least `v`.
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|m| *m >= v)
        .unwrap_or(10.0 * p)
}

fn compact(v: f64) -> String {
    let (n, s) = match v.abs() {
        a if a >= 1e6 => (v / 1e6, "M"),
        a if a >= 1e3 => (v / 1e3, "k"),
        _ => (v, ""),
    };
    let t = format!("{n:.1}");
    format!("{}{s}", t.strip_suffix(".0").unwrap_or(&t))
}

pub(super) fn charts(
    series: &BTreeMap<String, Sums>,
    granularity: &str,
    currency: &str,
    dp: u32,
    results: &str,
    partial_left_out: bool,
) -> Markup {
    let charts = [
        ("spend", "Spend", Kind::Money),
        ("impressions", "Impressions", Kind::Count),
        ("clicks", "Clicks", Kind::Count),
        ("results", results, Kind::Count),
    ];
    let per = match granularity {
        "week" => "week",
        "month" => "month",
        _ => "day",
    };
    html! {
        section.card aria-labelledby="trend-title" {
            h2 id="trend-title" { "Trend per " (per) }
            @if partial_left_out {
                p.caption.partial { "The " (per) "s cut by the range's edges are left out of the charts (they hold fewer days); the key figures above count every day." }
            }
            div.charts {
                @for (key, label, kind) in &charts {
                    @let pts: Vec<(&str, i128)> = series.iter().map(|(d, s)| (d.as_str(), s.get(key).unwrap_or(0))).collect();
                    (chart(key, &format!("{label}{}", if matches!(kind, Kind::Money) { format!(" ({currency})") } else { String::new() }), &pts, *kind, dp))
                }
            }
            details.data {
                summary { "Show the numbers as a table" }
                div.table-wrap tabindex="0" role="region" aria-label="Trend numbers" {
                    table {
                        thead { tr { th scope="col" { "Period starting" } @for (_, label, _) in &charts { th scope="col" .num { (label) } } } }
                        tbody {
                            @for (d, s) in series {
                                tr { th scope="row" { (d) } @for (key, _, kind) in &charts { td.num { (fmt_metric(*kind, s.get(key), dp)) } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn chart(key: &str, title: &str, pts: &[(&str, i128)], kind: Kind, dp: u32) -> Markup {
    const W: f64 = 320.0;
    const H: f64 = 150.0;
    let (x0, x1, y0, y1) = (38.0, W - 6.0, 10.0, H - 24.0);
    let vals: Vec<f64> = pts.iter().map(|(_, v)| *v as f64 / MICRO as f64).collect();
    let max = nice_max(vals.iter().cloned().fold(0.0, f64::max));
    let n = pts.len().max(1);
    let step = if n > 1 { (x1 - x0) / (n - 1) as f64 } else { 0.0 };
    let x = |i: usize| if n > 1 { x0 + step * i as f64 } else { (x0 + x1) / 2.0 };
    let y = |v: f64| y1 - (v / max) * (y1 - y0);
    let line: String = vals
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{}{:.1},{:.1}", if i == 0 { "M" } else { " L" }, x(i), y(*v)))
        .collect();
    let area = format!("{line} L{:.1},{y1:.1} L{:.1},{y1:.1} Z", x(n - 1), x(0));
    let total: i128 = pts.iter().map(|(_, v)| v).sum();
    let peak = pts.iter().max_by_key(|(_, v)| *v);
    let id = format!("chart-{key}");
    // Up to four evenly spaced date labels, always the first and the last.
    let labelled: Vec<usize> = if n < 4 {
        (0..n).collect()
    } else {
        (0..4).map(|k| (n - 1) * k / 3).collect()
    };
    html! {
        figure.chart {
            figcaption id={ (id) "-t" } { (title) span.total { (fmt_metric(kind, Some(total), dp)) } }
            svg viewBox={ "0 0 " (W) " " (H) } role="img" aria-labelledby={ (id) "-t " (id) "-d" } preserveAspectRatio="none" {
                desc id={ (id) "-d" } {
                    (title) " from " (pts.first().map(|p| p.0).unwrap_or("")) " to " (pts.last().map(|p| p.0).unwrap_or(""))
                    @if let Some((d, v)) = peak { "; highest " (fmt_metric(kind, Some(*v), dp)) " on " (d) }
                }
                @for frac in [0.0, 0.5, 1.0] {
                    line.grid x1=(x0) x2=(x1) y1=(y(max * frac)) y2=(y(max * frac)) {}
                    text.axis x=(x0 - 4.0) y=(y(max * frac) + 3.0) text-anchor="end" { (compact(max * frac)) }
                }
                path.area d=(area) {}
                path.line d=(line) {}
                @for (i, (d, v)) in pts.iter().enumerate() {
                    @if labelled.contains(&i) {
                        text.axis x=(x(i)) y=(H - 8.0) text-anchor=(if i == 0 && n > 1 { "start" } else if i + 1 == n && n > 1 { "end" } else { "middle" }) { (short_day(d)) }
                    }
                    rect.hit x=(x(i) - step / 2.0) y=(y0) width=(step.max(4.0)) height=(y1 - y0) {
                        title { (d) ": " (fmt_metric(kind, Some(*v), dp)) }
                    }
                }
            }
        }
    }
}
