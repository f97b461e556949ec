//! Who the token belongs to and what it reaches: `/me`, `/me/adaccounts` (every page), and
//! revoking the app (`DELETE /me/permissions`).

use reqwest::Method;
use serde::Deserialize;

use super::client::{Call, GraphClient, MAX_PAGE_SIZE};
use super::error::GraphError;
use crate::Secret;

/// The Facebook user behind a token.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FacebookUser {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// Only asked for by Facebook Login ([`GraphClient::login_identity`]).
    #[serde(default)]
    pub email: Option<String>,
}

/// An ad account the token can read.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct AdAccountInfo {
    /// `act_<n>`
    pub id: String,
    /// `<n>`
    pub account_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub timezone_name: String,
}

#[derive(Deserialize)]
pub(crate) struct Paged<T> {
    #[serde(deserialize_with = "page_data", bound(deserialize = "T: Deserialize<'de>"))]
    pub data: Vec<T>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

/// A page's `data`, its vector sized up front for a full page of insights rows: grown from
/// empty, it moved every row read so far again at each doubling (a row is a few hundred bytes).
fn page_data<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Rows<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Rows<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut rows = Vec::with_capacity(MAX_PAGE_SIZE as usize);
            while let Some(row) = seq.next_element()? {
                rows.push(row);
            }
            Ok(rows)
        }
    }
    d.deserialize_seq(Rows(std::marker::PhantomData))
}

#[derive(Deserialize, Default)]
pub(crate) struct Paging {
    #[serde(default)]
    pub cursors: Option<Cursors>,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Cursors {
    #[serde(default)]
    pub after: Option<String>,
}

impl Paging {
    /// The `after` cursor, only when `next` says more rows remain.
    pub fn after(self) -> Option<String> {
        self.next?;
        self.cursors.and_then(|c| c.after).filter(|a| !a.is_empty())
    }
}

/// Page size for small lists.
const LIST_LIMIT: u32 = 100;
/// The smallest page asked for when Facebook wants less (its own default page).
const MIN_LIST_LIMIT: u32 = 25;
/// A guard against a server that never stops paging.
const MAX_LIST_PAGES: usize = 1_000;

#[derive(Deserialize)]
struct Success {
    #[serde(default)]
    success: bool,
}

impl GraphClient {
    /// `GET /me`.
    pub async fn me(&self, token: &Secret<String>) -> Result<FacebookUser, GraphError> {
        self.me_fields(token, "id,name").await
    }

    /// `GET /me?fields=id,name,email`: who signed in with Facebook Login. `email` is left out
    /// when the person declined the `email` permission or has no confirmed address.
    pub async fn login_identity(&self, token: &Secret<String>) -> Result<FacebookUser, GraphError> {
        self.me_fields(token, "id,name,email").await
    }

    async fn me_fields(&self, token: &Secret<String>, fields: &'static str) -> Result<FacebookUser, GraphError> {
        let call = Call::get("me", token).query("fields", fields);
        Ok(self.json("me response", call).await?.0)
    }

    /// `GET /me/adaccounts`, following every page.
    pub async fn ad_accounts(&self, token: &Secret<String>) -> Result<Vec<AdAccountInfo>, GraphError> {
        let fields = Some("id,account_id,name,currency,timezone_name");
        self.list("me/adaccounts", fields, token, "adaccounts response").await
    }

    /// Every item of a small list edge. Pages get smaller (down to 25, Facebook's default
    /// page) when Facebook asks for less data.
    async fn list<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        fields: Option<&str>,
        token: &Secret<String>,
        what: &str,
    ) -> Result<Vec<T>, GraphError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        let mut limit = LIST_LIMIT;
        for _ in 0..MAX_LIST_PAGES {
            let mut call = Call::get(path, token).query("limit", limit.to_string());
            if let Some(f) = fields {
                call = call.query("fields", f);
            }
            if let Some(a) = after.as_deref() {
                call = call.query("after", a);
            }
            let page = match self.json::<Paged<T>>(what, call).await {
                Err(GraphError::ReduceData { .. }) if limit > MIN_LIST_LIMIT => {
                    limit = (limit / 2).max(MIN_LIST_LIMIT);
                    continue;
                }
                other => other?.0,
            };
            out.extend(page.data);
            match page.paging.and_then(Paging::after) {
                Some(a) => after = Some(a),
                None => return Ok(out),
            }
        }
        Err(GraphError::Decode(format!("{what}: more than {MAX_LIST_PAGES} pages")))
    }

    /// `DELETE /me/permissions`: revokes the app for this user (every token of theirs).
    pub async fn revoke(&self, token: &Secret<String>) -> Result<(), GraphError> {
        let call = Call::new(Method::DELETE, "me/permissions", Some(token.expose()));
        let (s, _) = self.json::<Success>("revoke response", call).await?;
        if s.success {
            Ok(())
        } else {
            Err(GraphError::Decode("revoke: success is false".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_only_when_next_is_present() {
        let last: Paged<AdAccountInfo> =
            serde_json::from_str(r#"{"data":[],"paging":{"cursors":{"before":"a","after":"b"}}}"#).expect("json");
        assert_eq!(last.paging.and_then(Paging::after), None);
        let more: Paged<AdAccountInfo> = serde_json::from_str(
            r#"{"data":[{"id":"act_1","account_id":"1","name":"Acme","currency":"EUR","timezone_name":"Europe/Berlin"}],
                "paging":{"cursors":{"before":"a","after":"b"},"next":"https://graph.facebook.com/v25.0/me/adaccounts?after=b"}}"#,
        )
        .expect("json");
        assert_eq!(more.data[0].account_id, "1");
        assert_eq!(more.paging.and_then(Paging::after).as_deref(), Some("b"));
    }
}
