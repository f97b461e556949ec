//! "All ad accounts" when the accounts report in different currencies. adsync converts
//! nothing, so there is no one total: the overview says so and lists each account's key
//! figures in its own currency, grouped by currency, each a link to that account's view.
//! Each account's range is resolved in its own days (its "last 30 days" end on its today),
//! so a row shows what its link opens.

use adsync_common::ids::TeamId;
use adsync_common::reporting::currency_decimals;
use adsync_storage::connections::AdAccount;
use maud::{Markup, html};

use super::numbers::{Kind, fmt_metric};
use super::{View, resolve_range, totals};
use crate::{ApiError, AppState};

pub(super) async fn section(
    state: &AppState,
    team: TeamId,
    view: &View,
    accounts: &[AdAccount],
    results: &str,
) -> Result<Markup, ApiError> {
    let mut by_currency: Vec<&AdAccount> = accounts.iter().collect();
    by_currency.sort_by(|a, b| (&a.currency, &a.name).cmp(&(&b.currency, &b.name)));
    let mut currencies: Vec<&str> = by_currency.iter().map(|a| a.currency.as_str()).collect();
    currencies.dedup();
    let mut rows = Vec::with_capacity(by_currency.len());
    for a in &by_currency {
        let one = View {
            account: Some(a.id.clone()),
            ..view.clone()
        };
        let (range, _) = resolve_range(view, a.today());
        rows.push((*a, totals(state, team, &one, range).await?));
    }
    Ok(html! {
        section.card.all-accounts aria-labelledby="all-title" {
            h2 id="all-title" { "All ad accounts" }
            p.notice.info role="status" {
                "These ad accounts report in " (list(&currencies)) ". adsync converts nothing, so there is no one total: each account's figures are in its own currency. Open an account for its charts and campaigns."
            }
            div.table-wrap {
                table.perf {
                    thead { tr {
                        th scope="col" { "Ad account" } th scope="col" { "Currency" }
                        th scope="col" .num { "Spend" } th scope="col" .num { "Impressions" }
                        th scope="col" .num { "Clicks" } th scope="col" .num { (results) }
                    } }
                    tbody {
                        @for (a, sums) in &rows {
                            @let dp = currency_decimals(&a.currency);
                            tr data-account=(a.id) data-currency=(a.currency) {
                                th scope="row" { a href=(view.href(team, |v| v.account = Some(a.id.clone()))) { (a.name) } }
                                td { (a.currency) }
                                td.num data-metric="spend" { (fmt_metric(Kind::Money, sums.get("spend"), dp)) }
                                td.num { (fmt_metric(Kind::Count, sums.get("impressions"), dp)) }
                                td.num { (fmt_metric(Kind::Count, sums.get("clicks"), dp)) }
                                td.num { (fmt_metric(Kind::Count, sums.get("results"), dp)) }
                            }
                        }
                    }
                }
            }
        }
    })
}

/// `EUR`, `EUR and USD`, `EUR, GBP and USD`.
fn list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::list;

    #[test]
    fn currencies_read_as_a_sentence() {
        assert_eq!(list(&["EUR"]), "EUR");
        assert_eq!(list(&["EUR", "USD"]), "EUR and USD");
        assert_eq!(list(&["EUR", "GBP", "USD"]), "EUR, GBP and USD");
    }
}
