//! Conversions in the database: the precedence lists published for SQL readers, the action
//! types a team has data for, and each team's primary conversion.

use super::{BeginWrite, Db, StorageError, StorageResult, on_pool};
use adsync_common::conversions::{CONVERSIONS, Conversion, Goal};
use adsync_common::graph::Window;
use adsync_common::ids::TeamId;

/// `(action_type, conversion, precedence)` rows of [`CONVERSIONS`], precedence from 1.
fn definition() -> Vec<(String, String, i64)> {
    let mut rows: Vec<(String, String, i64)> = CONVERSIONS
        .iter()
        .flat_map(|c| {
            c.action_types
                .iter()
                .enumerate()
                .map(|(i, t)| (t.to_string(), c.key.to_string(), i as i64 + 1))
        })
        .collect();
    rows.sort();
    rows
}

/// Makes `conversion_action_types` say what [`CONVERSIONS`] says, so the
/// `insight_conversions` view (the metrics API's and Grafana's reader) counts as this
/// version's rollup does. Run at every start, after the migrations; a no-op when the table
/// already agrees, which is every start but the first of a version that changed a list.
/// Replicas starting together may both rewrite it: upserts and a delete of what is gone
/// leave the same rows whichever commits last.
pub async fn publish(db: &Db) -> StorageResult<()> {
    const READ: &str = "SELECT action_type, conversion, CAST(precedence AS BIGINT) FROM conversion_action_types \
                        ORDER BY action_type, conversion, precedence";
    const UPSERT: &str = "INSERT INTO conversion_action_types (action_type, conversion, precedence) VALUES ($1, $2, $3) \
                          ON CONFLICT (action_type) DO UPDATE SET conversion = excluded.conversion, precedence = excluded.precedence";
    const DELETE: &str = "DELETE FROM conversion_action_types WHERE action_type = $1";
    let wanted = definition();
    on_pool!(db, p => {
        let stored: Vec<(String, String, i64)> = sqlx::query_as(READ).fetch_all(p).await?;
        if stored != wanted {
            let mut tx = p.begin_write().await?;
            for (action_type, _, _) in stored.iter().filter(|s| !wanted.iter().any(|w| w.0 == s.0)) {
                sqlx::query(DELETE).bind(action_type).execute(&mut *tx).await?;
            }
            for (action_type, conversion, precedence) in &wanted {
                sqlx::query(UPSERT).bind(action_type).bind(conversion).bind(precedence).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            tracing::info!("published the conversion precedence lists");
        }
    });
    Ok(())
}

/// An action type a team has data for, as its account-level rows report it (every action
/// of an ad is also on its account's row).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ActionTypeSeen {
    pub action_type: String,
    /// The standard conversion whose precedence list holds it, if any.
    pub conversion: Option<&'static str>,
    /// Attribution windows with a figure, in [`Window::ALL`]'s order.
    #[schema(value_type = Vec<String>)]
    pub windows: Vec<Window>,
    /// Whether Facebook reports a value for it (`action_values`).
    pub has_values: bool,
    pub first_date: chrono::NaiveDate,
    pub last_date: chrono::NaiveDate,
}

/// Every action type in the team's synced data, by name.
pub async fn action_types(db: &Db, team: TeamId) -> StorageResult<Vec<ActionTypeSeen>> {
    const SQL: &str = "SELECT action_type, attribution_window, \
         CAST(MAX(CASE WHEN value_micros IS NULL THEN 0 ELSE 1 END) AS BIGINT), MIN(date), MAX(date) \
         FROM insight_actions WHERE team_id = $1 AND level = 'account' AND level <> 'ad' AND breakdown = '' \
         GROUP BY action_type, attribution_window ORDER BY action_type";
    type Row = (String, String, i64, chrono::NaiveDate, chrono::NaiveDate);
    let rows: Vec<Row> = on_pool!(db, p => sqlx::query_as(SQL).bind(team).fetch_all(p).await?);
    let mut out: Vec<ActionTypeSeen> = Vec::new();
    for (action_type, window, has_values, first, last) in rows {
        let window = Window::parse(&window);
        let at = match out.last_mut() {
            Some(seen) if seen.action_type == action_type => seen,
            _ => {
                out.push(ActionTypeSeen {
                    conversion: Conversion::of_action_type(&action_type).map(|c| c.key),
                    action_type,
                    windows: Vec::new(),
                    has_values: false,
                    first_date: first,
                    last_date: last,
                });
                out.last_mut().ok_or(StorageError::NotFound)?
            }
        };
        at.windows.extend(window);
        at.has_values |= has_values == 1;
        at.first_date = at.first_date.min(first);
        at.last_date = at.last_date.max(last);
    }
    for seen in &mut out {
        seen.windows.sort();
    }
    Ok(out)
}

/// The team's primary conversion; a stored value this version cannot read (written by a
/// newer one, say) counts as the default, purchases.
pub async fn goal(db: &Db, team: TeamId) -> StorageResult<Goal> {
    const SQL: &str = "SELECT primary_conversion FROM teams WHERE id = $1";
    let raw: Option<String> = on_pool!(db, p => sqlx::query_scalar(SQL).bind(team).fetch_optional(p).await?);
    let raw = raw.ok_or(StorageError::NotFound)?;
    Ok(Goal::parse(&raw).unwrap_or_else(|e| {
        tracing::warn!(team = team.0, error = %e, "unreadable primary conversion; counting purchases");
        Goal::default()
    }))
}

/// Sets the team's primary conversion.
pub async fn set_goal(db: &Db, team: TeamId, goal: &Goal) -> StorageResult<()> {
    const SQL: &str = "UPDATE teams SET primary_conversion = $1 WHERE id = $2";
    let n = on_pool!(db, p => sqlx::query(SQL).bind(goal.as_setting()).bind(team).execute(p).await?.rows_affected());
    if n == 0 { Err(StorageError::NotFound) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_rows_are_the_lists_in_order() {
        let rows = definition();
        let purchases: Vec<&(String, String, i64)> = rows.iter().filter(|r| r.1 == "purchases").collect();
        assert_eq!(
            purchases.len(),
            adsync_common::conversions::PURCHASES.action_types.len()
        );
        assert!(rows.contains(&("omni_purchase".into(), "purchases".into(), 1)));
        assert!(rows.contains(&("leadgen_grouped".into(), "leads".into(), 5)));
    }
}
