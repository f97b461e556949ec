//! OAuth 2 providers described by data rather than code: what the connect flow needs to know
//! about an ad platform (its endpoints, scopes, refresh tokens and token lifetimes), read
//! from a JSON file (`ADSYNC_PROVIDERS_FILE`) or inline (`ADSYNC_PROVIDERS`). A described
//! provider is offered when the variables its description names for its client id and
//! secret are set. `providers/` holds Google Ads and LinkedIn Ads as examples;
//! docs/operations.md, "Add a provider", walks through one.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::{ConfigError, invalid};
use crate::Secret;

/// How a provider is described (one element of the file's list).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProviderDescription {
    /// Stable id in URLs and tables: lowercase letters, digits and `_`, up to 32.
    pub id: String,
    pub display_name: String,
    pub authorize_url: Url,
    pub token_url: Url,
    /// RFC 7009 revocation endpoint, called on disconnect; none: the grant stays at the
    /// provider until the person removes it there.
    #[serde(default)]
    pub revoke_url: Option<Url>,
    /// Base of the provider's API, for calls made as a team (the proxy).
    pub api_base_url: Url,
    pub scopes: Vec<String>,
    /// Joins scopes in the authorization URL (a space for most; some want a comma).
    #[serde(default = "space")]
    pub scope_separator: String,
    /// Extra authorization parameters (Google needs `access_type=offline` and
    /// `prompt=consent` to issue a refresh token).
    #[serde(default)]
    pub authorize_params: BTreeMap<String, String>,
    /// Whether the provider issues refresh tokens; without, the owner is warned to reconnect
    /// before the access token expires.
    pub refresh_tokens: bool,
    /// Whether a refresh answers a new refresh token and ends the old one.
    #[serde(default)]
    pub rotates_refresh_tokens: bool,
    /// The access token's lifetime when the token answer gives no `expires_in`.
    #[serde(default)]
    pub access_token_seconds: Option<u64>,
    /// Renew this long before the access token expires.
    #[serde(default = "five_minutes")]
    pub refresh_before_seconds: u64,
    /// The environment variables holding the client's id and secret.
    pub client_id_variable: String,
    pub client_secret_variable: String,
}

fn space() -> String {
    " ".into()
}

fn five_minutes() -> u64 {
    300
}

/// A described provider whose credentials are set.
#[derive(Debug, Clone)]
pub struct DescribedProvider {
    pub description: ProviderDescription,
    pub client_id: String,
    pub client_secret: Secret<String>,
}

impl DescribedProvider {
    pub fn refresh_before(&self) -> Duration {
        Duration::from_secs(self.description.refresh_before_seconds)
    }
}

/// Ids taken by providers written in code.
const BUILT_IN: &[&str] = &["facebook", "google", "sandbox"];

/// Checks a list of descriptions; `variable` names where they came from in errors.
pub fn parse_descriptions(variable: &'static str, json: &str) -> Result<Vec<ProviderDescription>, ConfigError> {
    let list: Vec<ProviderDescription> = serde_json::from_str(json)
        .map_err(|e| invalid(variable, format!("not a list of provider descriptions: {e}")))?;
    let mut seen = std::collections::BTreeSet::new();
    for d in &list {
        let bad = |why: String| invalid(variable, format!("provider {:?}: {why}", d.id));
        let id_ok = !d.id.is_empty()
            && d.id.len() <= 32
            && d.id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !id_ok {
            return Err(bad("the id must be 1 to 32 lowercase letters, digits or _".into()));
        }
        if BUILT_IN.contains(&d.id.as_str()) || !seen.insert(d.id.clone()) {
            return Err(bad("the id is already taken".into()));
        }
        if d.display_name.trim().is_empty() || d.scopes.is_empty() {
            return Err(bad("display_name and scopes must not be empty".into()));
        }
        let urls = [
            Some(&d.authorize_url),
            Some(&d.token_url),
            d.revoke_url.as_ref(),
            Some(&d.api_base_url),
        ];
        if let Some(u) = urls.into_iter().flatten().find(|u| !secure_or_local(u)) {
            return Err(bad(format!("{u} must be https (http only on this machine)")));
        }
        if let Some(life) = d.access_token_seconds
            && life <= d.refresh_before_seconds
        {
            return Err(bad(
                "refresh_before_seconds must be shorter than access_token_seconds".into()
            ));
        }
    }
    Ok(list)
}

/// Tokens travel to these URLs: https, or plain http to this machine (the sandbox).
fn secure_or_local(u: &Url) -> bool {
    match u.scheme() {
        "https" => true,
        "http" => matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")),
        _ => false,
    }
}

/// The described providers whose credentials `var` finds.
pub(super) fn load(var: &dyn Fn(&str) -> Option<String>) -> Result<Vec<DescribedProvider>, ConfigError> {
    let (variable, json) = match (var("ADSYNC_PROVIDERS_FILE"), var("ADSYNC_PROVIDERS")) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "ADSYNC_PROVIDERS",
                "set ADSYNC_PROVIDERS_FILE or ADSYNC_PROVIDERS, not both",
            ));
        }
        (Some(path), None) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| invalid("ADSYNC_PROVIDERS_FILE", format!("cannot read {path}: {e}")))?;
            ("ADSYNC_PROVIDERS_FILE", text)
        }
        (None, Some(json)) => ("ADSYNC_PROVIDERS", json),
        (None, None) => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    for description in parse_descriptions(variable, &json)? {
        match (
            var(&description.client_id_variable),
            var(&description.client_secret_variable),
        ) {
            (Some(client_id), Some(secret)) => out.push(DescribedProvider {
                description,
                client_id,
                client_secret: Secret::new(secret),
            }),
            (None, None) => {}
            _ => {
                return Err(invalid(
                    variable,
                    format!(
                        "provider {:?}: set both {} and {}, or neither",
                        description.id, description.client_id_variable, description.client_secret_variable
                    ),
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLES: [&str; 2] = [
        include_str!("../../../providers/google-ads.json"),
        include_str!("../../../providers/linkedin-ads.json"),
    ];

    #[test]
    fn the_shipped_examples_are_valid() {
        let google = parse_descriptions("x", EXAMPLES[0]).expect("google ads");
        assert_eq!(google[0].id, "google_ads");
        assert!(google[0].refresh_tokens && !google[0].rotates_refresh_tokens);
        assert_eq!(
            google[0].authorize_params.get("access_type").map(String::as_str),
            Some("offline")
        );
        let linkedin = parse_descriptions("x", EXAMPLES[1]).expect("linkedin ads");
        assert_eq!(linkedin[0].id, "linkedin_ads");
    }

    #[test]
    fn a_provider_is_offered_only_with_both_credentials() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        let inline = EXAMPLES[0].to_string();
        let none = load(&|k: &str| (k == "ADSYNC_PROVIDERS").then(|| inline.clone())).expect("no credentials");
        assert!(none.is_empty());
        let with = |k: &str| match k {
            "ADSYNC_PROVIDERS" => Some(inline.clone()),
            _ => env(&[("GOOGLE_ADS_CLIENT_ID", "id"), ("GOOGLE_ADS_CLIENT_SECRET", "s3cret")])(k),
        };
        let one = load(&with).expect("configured");
        assert_eq!(
            (one[0].description.id.as_str(), one[0].client_id.as_str()),
            ("google_ads", "id")
        );
        assert!(!format!("{:?}", one[0]).contains("s3cret"));
        let half = |k: &str| match k {
            "ADSYNC_PROVIDERS" => Some(inline.clone()),
            _ => env(&[("GOOGLE_ADS_CLIENT_ID", "id")])(k),
        };
        assert!(
            load(&half)
                .expect_err("half")
                .to_string()
                .contains("GOOGLE_ADS_CLIENT_SECRET")
        );
    }

    #[test]
    fn bad_descriptions_name_what_is_wrong() {
        let base: serde_json::Value = serde_json::from_str(EXAMPLES[0]).expect("json");
        let with = |k: &str, v: serde_json::Value| {
            let mut d = base.clone();
            d[0][k] = v;
            parse_descriptions("ADSYNC_PROVIDERS", &d.to_string())
                .expect_err(k)
                .to_string()
        };
        assert!(with("id", "Google Ads".into()).contains("lowercase"));
        assert!(with("id", "facebook".into()).contains("taken"));
        assert!(with("token_url", "http://oauth2.example.com/token".into()).contains("https"));
        assert!(with("scopes", serde_json::json!([])).contains("scopes"));
        assert!(with("access_token_seconds", 60.into()).contains("refresh_before_seconds"));
        assert!(with("unknown_field", 1.into()).contains("unknown field"));
        let twice = format!("[{0},{0}]", base[0]);
        assert!(
            parse_descriptions("x", &twice)
                .expect_err("twice")
                .to_string()
                .contains("taken")
        );
    }
}
