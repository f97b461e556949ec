//! An ad account's campaigns, ad sets and ads: `GET /{v}/act_{id}/{campaigns,adsets,ads}`,
//! one page at a time (so a caller can pace each call), with their delivery status and,
//! for campaigns, the objective.

use serde::Deserialize;

use super::accounts::{Paged, Paging};
use super::client::{Call, GraphClient};
use super::error::GraphError;
use super::insights::Level;
use super::usage::Usage;
use crate::Secret;

/// A campaign, ad set or ad as its list shows it. Fields Facebook leaves out are `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct AdObject {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// What the advertiser set: `ACTIVE`, `PAUSED`, `DELETED`, `ARCHIVED`.
    #[serde(default)]
    pub status: Option<String>,
    /// What Facebook makes of it with its parents: `ACTIVE`, `PAUSED`, `CAMPAIGN_PAUSED`,
    /// `ADSET_PAUSED`, `IN_PROCESS`, `WITH_ISSUES`, `DISAPPROVED`, …
    #[serde(default)]
    pub effective_status: Option<String>,
    /// Campaigns only: `OUTCOME_SALES`, `OUTCOME_LEADS`, …
    #[serde(default)]
    pub objective: Option<String>,
    #[serde(default)]
    pub campaign_id: Option<String>,
    #[serde(default)]
    pub adset_id: Option<String>,
}

/// One page of an object list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectsPage {
    pub objects: Vec<AdObject>,
    /// The next page's cursor; `None` on the last page.
    pub after: Option<String>,
}

/// The list edge of a level's objects and the fields asked of it.
fn edge(level: Level) -> Result<(&'static str, &'static str), GraphError> {
    match level {
        Level::Campaign => Ok(("campaigns", "id,name,status,effective_status,objective")),
        Level::Adset => Ok(("adsets", "id,name,status,effective_status,campaign_id")),
        Level::Ad => Ok(("ads", "id,name,status,effective_status,campaign_id,adset_id")),
        Level::Account => Err(GraphError::local("an ad account has no list of accounts")),
    }
}

impl GraphClient {
    /// One page of the account's objects of `level` (campaign, ad set or ad), `limit` per
    /// page, from `after`.
    pub async fn objects_page(
        &self,
        token: &Secret<String>,
        account_id: &str,
        level: Level,
        limit: u32,
        after: Option<&str>,
    ) -> Result<(ObjectsPage, Usage), GraphError> {
        let n = account_id.trim_start_matches("act_");
        super::client::check_segment("ad account id", n)?;
        let (edge, fields) = edge(level)?;
        let mut call = Call::get(format!("act_{n}/{edge}"), token)
            .query("fields", fields)
            .query("limit", limit.clamp(1, crate::client::MAX_PAGE_SIZE).to_string());
        if let Some(a) = after {
            call = call.query("after", a);
        }
        let (page, usage) = self.json::<Paged<AdObject>>("object list response", call).await?;
        Ok((
            ObjectsPage {
                objects: page.data,
                after: page.paging.and_then(Paging::after),
            },
            usage,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_read_what_the_list_carries() {
        let page: Paged<AdObject> = serde_json::from_str(
            r#"{"data":[{"id":"1","name":"Spring","status":"PAUSED","effective_status":"PAUSED","objective":"OUTCOME_SALES"},
                        {"id":"2"}],"paging":{"cursors":{"after":"x"}}}"#,
        )
        .expect("json");
        assert_eq!(page.data[0].objective.as_deref(), Some("OUTCOME_SALES"));
        assert_eq!(
            page.data[1],
            AdObject {
                id: "2".into(),
                ..AdObject::default()
            }
        );
        assert!(edge(Level::Account).is_err());
        assert_eq!(edge(Level::Ad).map(|e| e.0), Ok("ads"));
    }
}
