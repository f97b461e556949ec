//! Normalized insights: what one Graph API row becomes in our tables. Money turns into
//! integer micro-units of the account currency (exact, summable in SQL on both databases);
//! actions become figures per action type and attribution window.

use std::sync::Arc;

use chrono::NaiveDate;
use compact_str::CompactString;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::graph::{GraphError, InsightRow, Level, Window};

/// The rollup's column of purchase counts (`value = false`) or values in a window (on
/// `insights_daily`, in [`Window::ALL`]'s order).
pub fn purchase_column(window: Window, value: bool) -> String {
    match value {
        false => format!("purchases_{window}"),
        true => format!("purchase_value_{window}_micros"),
    }
}

/// The rollup's columns: the count for each window, then the value for each.
pub fn purchase_columns() -> Vec<String> {
    [false, true]
        .into_iter()
        .flat_map(|value| Window::ALL.into_iter().map(move |w| purchase_column(w, value)))
        .collect()
}

/// One object's metrics on one day (and breakdown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyRow {
    pub object_id: CompactString,
    pub date: NaiveDate,
    /// `""` when not broken down, else its values as a query string in key order
    /// ([`crate::breakdowns::row_key`]).
    pub breakdown: String,
    pub campaign_id: Option<CompactString>,
    pub adset_id: Option<CompactString>,
    pub impressions: i64,
    pub reach: Option<i64>,
    pub clicks: i64,
    pub inline_link_clicks: i64,
    pub spend_micros: i64,
    /// One entry per action type, in the order Facebook listed them.
    pub actions: Vec<ActionFigures>,
    /// Names seen on the row, for the campaigns / ad sets / ads tables.
    pub names: Names,
}

/// The names a row carries, for the campaigns / ad sets / ads tables: its campaign's (id
/// `campaign_id`), its ad set's (`adset_id`) and, on ad rows, its ad's (`object_id`). Only
/// names: the ids are the row's own, not copies of them on every row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    pub campaign: Option<CompactString>,
    pub adset: Option<CompactString>,
    pub ad: Option<CompactString>,
}

/// One action type's figures on a row, per attribution window of [`Window::ALL`]: a row carries
/// a few types with up to seven windows each, held in place rather than as an entry per
/// window (building, grouping and freeing those was a tenth of a backfill's CPU,
/// docs/benchmarks.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionFigures {
    /// Shared between rows.
    pub action_type: Arc<str>,
    /// The count per window; `None` where Facebook reported nothing in that window.
    pub counts: [Option<i64>; Window::ALL.len()],
    /// The value per window in micro-units; `None` where the count is, and in every window of
    /// a type without values (link clicks, say).
    pub values: [Option<i64>; Window::ALL.len()],
}

impl ActionFigures {
    pub fn new(action_type: impl Into<Arc<str>>) -> Self {
        ActionFigures {
            action_type: action_type.into(),
            counts: [None; Window::ALL.len()],
            values: [None; Window::ALL.len()],
        }
    }

    /// Sets a window's figures.
    pub fn set(&mut self, window: Window, count: i64, value_micros: Option<i64>) {
        self.counts[window.index()] = Some(count);
        self.values[window.index()] = value_micros;
    }

    /// The windows with figures: the window, its count and its value.
    pub fn windows(&self) -> impl Iterator<Item = (Window, i64, Option<i64>)> + '_ {
        Window::ALL
            .into_iter()
            .zip(self.counts.iter().zip(&self.values))
            .filter_map(|(w, (c, v))| c.map(|c| (w, c, *v)))
    }

    /// `(type, window, count, value)` figures grouped per type, in the order the types first
    /// come; a (type, window) given twice keeps the later figures. Unknown windows are left out.
    pub fn group<'t>(figures: impl IntoIterator<Item = (&'t str, &'t str, i64, Option<i64>)>) -> Vec<ActionFigures> {
        let mut out: Vec<ActionFigures> = Vec::new();
        for (action_type, window, count, value) in figures {
            let at = match out.iter().position(|t| &*t.action_type == action_type) {
                Some(at) => at,
                None => {
                    out.push(ActionFigures::new(action_type));
                    out.len() - 1
                }
            };
            if let Some(window) = Window::parse(window) {
                out[at].set(window, count, value);
            }
        }
        out
    }

    /// Takes the windows `later` reports, as a later report of the same type.
    fn merge(&mut self, later: &ActionFigures) {
        for i in 0..Window::ALL.len() {
            if later.counts[i].is_some() {
                self.counts[i] = later.counts[i];
                self.values[i] = later.values[i];
            }
        }
    }
}

/// Decimal → micro-units, exactly (Facebook reports at most 2–4 decimals for money). Up to
/// six decimals the mantissa is scaled as an integer, without Decimal arithmetic (a row has
/// a few dozen figures); only more decimals are rounded.
pub fn to_micros(d: Decimal) -> Result<i64, GraphError> {
    // The message names what, never the figure (errors quote no value from Facebook).
    let out_of_range = || GraphError::Decode("insights row: an amount is out of range".into());
    if d.scale() <= 6 {
        let factor = 10i128.pow(6 - d.scale());
        return d
            .mantissa()
            .checked_mul(factor)
            .and_then(|m| i64::try_from(m).ok())
            .ok_or_else(out_of_range);
    }
    (d * Decimal::from(1_000_000)).round().to_i64().ok_or_else(out_of_range)
}

fn to_count(d: Decimal) -> Result<i64, GraphError> {
    let out_of_range = || GraphError::Decode("insights row: a count is out of range".into());
    if d.scale() == 0 {
        return i64::try_from(d.mantissa()).map_err(|_| out_of_range());
    }
    d.round().to_i64().ok_or_else(out_of_range)
}

/// Converts a parsed Graph row at `level` into our normalized form. It takes the row, so
/// its ids and names are copied without an allocation (see [`CompactString`]).
pub fn normalize(level: Level, row: &InsightRow) -> Result<DailyRow, GraphError> {
    let missing = |what: &str| GraphError::Decode(format!("insights row at {} level without {what}", level.as_str()));
    let InsightRow {
        account_id,
        campaign_id,
        campaign_name,
        adset_id,
        adset_name,
        ad_id,
        ad_name,
        date_start,
        impressions,
        reach,
        clicks,
        inline_link_clicks,
        spend,
        actions: stats,
        action_values,
        breakdowns,
        ..
    } = row;
    let object_id = match level {
        Level::Account => account_id.as_ref().map(|a| {
            if a.starts_with("act_") {
                a.clone()
            } else {
                compact_str::format_compact!("act_{a}")
            }
        }),
        Level::Campaign => campaign_id.clone(),
        Level::Adset => adset_id.clone(),
        Level::Ad => ad_id.clone(),
    }
    .ok_or_else(|| missing("its id"))?;
    let breakdown = if breakdowns.is_empty() {
        String::new()
    } else {
        crate::breakdowns::row_key(breakdowns.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    };
    let mut actions: Vec<ActionFigures> = Vec::with_capacity(stats.len());
    for a in stats {
        let value = action_values
            .iter()
            .find(|v| Arc::ptr_eq(&v.action_type, &a.action_type) || v.action_type == a.action_type);
        let mut figures = ActionFigures::new(a.action_type.clone());
        // The default is the entries' `value`, the named windows their keys. A window is
        // stored when either list reports it; the other's figure is then 0.
        for w in Window::ALL {
            let (count, amount) = match w {
                Window::Default => (Some(a.value), value.map(|v| v.value)),
                w => (a.windows.get(w), value.and_then(|v| v.windows.get(w))),
            };
            if count.is_none() && amount.is_none() {
                continue;
            }
            let amount = value.map(|_| to_micros(amount.unwrap_or_default())).transpose()?;
            figures.set(w, to_count(count.unwrap_or_default())?, amount);
        }
        // A type listed twice (Facebook should not) keeps the later entry's windows.
        match actions.iter_mut().find(|t| t.action_type == figures.action_type) {
            Some(earlier) => earlier.merge(&figures),
            None => actions.push(figures),
        }
    }
    // A value without a count (a breakdown's share of a purchase's value, say) is kept, with
    // a count of 0: dropping it would lose money the totals hold.
    for v in action_values {
        if actions.iter().any(|a| a.action_type == v.action_type) {
            continue;
        }
        let mut figures = ActionFigures::new(v.action_type.clone());
        for w in Window::ALL {
            let amount = match w {
                Window::Default => Some(v.value),
                w => v.windows.get(w),
            };
            if let Some(amount) = amount {
                figures.set(w, 0, Some(to_micros(amount)?));
            }
        }
        actions.push(figures);
    }
    Ok(DailyRow {
        object_id,
        date: *date_start,
        breakdown,
        names: Names {
            campaign: campaign_id.as_ref().and(campaign_name.clone()),
            adset: adset_id.as_ref().and(adset_name.clone()),
            // Off ad rows the ad's id is not the row's; its ad rows carry the name.
            ad: (level == Level::Ad).then(|| ad_name.clone()).flatten(),
        },
        campaign_id: campaign_id.clone(),
        adset_id: adset_id.clone(),
        impressions: *impressions,
        reach: Some(*reach),
        clicks: *clicks,
        inline_link_clicks: *inline_link_clicks,
        spend_micros: to_micros(*spend)?,
        actions,
    })
}

#[cfg(test)]
mod tests;
