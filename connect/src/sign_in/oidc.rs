//! An OpenID Connect relying party (Google): discovery, the authorization URL, the code
//! exchange with PKCE, and the ID token's verification against the issuer's published keys
//! (signature, issuer, audience, expiry, nonce). Discovery and keys are cached; an unknown
//! key id fetches the keys again once, as issuers rotate them.

use std::time::{Duration, Instant};

use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use oauth2::PkceCodeChallenge;
use serde::Deserialize;
use sha2::Digest;
use tokio::sync::Mutex;
use url::Url;

use super::SignInError;
use adsync_common::Secret;
use adsync_common::config::OidcClient;
use adsync_common::ids::Email;

/// How long discovery and keys are trusted before being fetched again.
const CACHE_FOR: Duration = Duration::from_secs(3600);
/// Clock skew allowed on `exp` and `iat`.
const LEEWAY_SECS: u64 = 60;
const NAME: &str = "Google";

/// The parts of the discovery document adsync uses.
#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: Url,
    token_endpoint: Url,
    jwks_uri: Url,
}

/// The ID token's claims adsync reads.
#[derive(Debug, Clone, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    pub email: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub email_verified: bool,
    pub nonce: Option<String>,
    /// The client the token was issued to (Google sets it); must be ours when present.
    #[serde(default)]
    pub azp: Option<String>,
}

impl IdClaims {
    /// The e-mail, only when the issuer says it is verified.
    pub fn verified_email(&self) -> Option<Email> {
        self.email
            .as_deref()
            .filter(|_| self.email_verified)
            .and_then(|e| Email::parse(e).ok())
    }
}

/// `email_verified` is a boolean, but some issuers (Google, in older tokens) send "true".
fn flexible_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Text(String),
    }
    Ok(match B::deserialize(d)? {
        B::Bool(b) => b,
        B::Text(t) => t.eq_ignore_ascii_case("true"),
    })
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct TokenFailure {
    error: String,
    error_description: Option<String>,
}

pub struct OidcProvider {
    client: OidcClient,
    http: reqwest::Client,
    discovery: Mutex<Option<(Discovery, Instant)>>,
    keys: Mutex<Option<(JwkSet, Instant)>>,
}

/// The PKCE S256 challenge of a verifier (RFC 7636). Not `oauth2`'s
/// `from_code_verifier_sha256`: it panics on a verifier of the wrong length, and this one comes
/// from a cookie, which a client can set to anything.
pub(super) fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

impl OidcProvider {
    pub fn new(client: &OidcClient) -> Result<Self, SignInError> {
        adsync_common::graph::install_crypto_provider();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(adsync_common::graph::CONNECT_TIMEOUT)
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| SignInError::Misconfigured(format!("HTTP client: {e}")))?;
        Ok(Self {
            client: client.clone(),
            http,
            discovery: Mutex::new(None),
            keys: Mutex::new(None),
        })
    }

    fn unavailable(e: impl std::fmt::Display) -> SignInError {
        SignInError::Unavailable {
            provider: NAME,
            detail: e.to_string(),
        }
    }

    fn invalid(detail: impl Into<String>) -> SignInError {
        SignInError::Invalid {
            provider: NAME,
            detail: detail.into(),
        }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: Url, what: &str) -> Result<T, SignInError> {
        let resp = self.http.get(url).send().await.map_err(Self::unavailable)?;
        if !resp.status().is_success() {
            return Err(Self::unavailable(format!("{what} answered {}", resp.status())));
        }
        resp.json()
            .await
            .map_err(|e| Self::invalid(format!("{what} is not what OpenID Connect describes: {e}")))
    }

    /// The issuer's discovery document, which must name the configured issuer.
    async fn discovery(&self) -> Result<Discovery, SignInError> {
        let mut cached = self.discovery.lock().await;
        if let Some((d, at)) = cached.as_ref()
            && at.elapsed() < CACHE_FOR
        {
            return Ok(d.clone());
        }
        let base = self.client.issuer.as_str().trim_end_matches('/');
        let url = Url::parse(&format!("{base}/.well-known/openid-configuration"))
            .map_err(|e| SignInError::Misconfigured(format!("GOOGLE_ISSUER_URL: {e}")))?;
        let d: Discovery = self.get_json(url, "the discovery document").await?;
        if d.issuer.trim_end_matches('/') != base {
            return Err(Self::invalid(format!(
                "the discovery document names the issuer {}, not {base}",
                d.issuer
            )));
        }
        *cached = Some((d.clone(), Instant::now()));
        Ok(d)
    }

    /// The issuer's keys; fetched again when `kid` is not among the cached ones.
    async fn key(&self, jwks_uri: &Url, kid: &str) -> Result<DecodingKey, SignInError> {
        let mut cached = self.keys.lock().await;
        let fresh = |c: &Option<(JwkSet, Instant)>| c.as_ref().is_some_and(|(_, at)| at.elapsed() < CACHE_FOR);
        let known = cached.as_ref().and_then(|(set, _)| set.find(kid).cloned());
        let jwk = match known {
            Some(jwk) if fresh(&cached) => jwk,
            _ => {
                let set: JwkSet = self.get_json(jwks_uri.clone(), "the key set").await?;
                let jwk = set.find(kid).cloned();
                *cached = Some((set, Instant::now()));
                jwk.ok_or_else(|| Self::invalid(format!("no published key has the id {kid}")))?
            }
        };
        DecodingKey::from_jwk(&jwk).map_err(|e| Self::invalid(format!("key {kid}: {e}")))
    }

    pub(super) async fn authorize_url(
        &self,
        redirect: &Url,
        state: &str,
        nonce: &str,
        challenge: &PkceCodeChallenge,
    ) -> Result<Url, SignInError> {
        let mut url = self.discovery().await?.authorization_endpoint;
        url.query_pairs_mut()
            .append_pair("client_id", &self.client.client_id)
            .append_pair("redirect_uri", redirect.as_str())
            .append_pair("response_type", "code")
            .append_pair("scope", "openid email")
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", challenge.as_str())
            .append_pair("code_challenge_method", "S256");
        Ok(url)
    }

    /// Exchanges the code (with the PKCE verifier) and verifies the ID token it brings.
    pub(super) async fn finish(
        &self,
        code: &str,
        redirect: &Url,
        verifier: &str,
        nonce: &str,
    ) -> Result<IdClaims, SignInError> {
        let d = self.discovery().await?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect.as_str()),
            ("client_id", self.client.client_id.as_str()),
            ("client_secret", self.client.client_secret.expose().as_str()),
            ("code_verifier", verifier),
        ];
        let resp = self
            .http
            .post(d.token_endpoint.clone())
            .form(&form)
            .send()
            .await
            .map_err(Self::unavailable)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(Self::unavailable)?;
        if status.is_server_error() {
            return Err(Self::unavailable(format!("the token endpoint answered {status}")));
        }
        if !status.is_success() {
            let detail = match serde_json::from_slice::<TokenFailure>(&body) {
                Ok(f) => format!("{}: {}", f.error, f.error_description.unwrap_or_default()),
                Err(_) => format!("the token endpoint answered {status}"),
            };
            return Err(SignInError::Provider { provider: NAME, detail });
        }
        let answer: TokenAnswer =
            serde_json::from_slice(&body).map_err(|e| Self::invalid(format!("token answer: {e}")))?;
        let id_token = Secret::new(
            answer
                .id_token
                .ok_or_else(|| Self::invalid("the token answer has no ID token"))?,
        );
        self.verify(&d, &id_token, nonce).await
    }

    /// Checks the ID token: signed (RS256) by a key the issuer publishes, issued by it, for
    /// this client, unexpired, and carrying this sign-in's nonce.
    async fn verify(&self, d: &Discovery, id_token: &Secret<String>, nonce: &str) -> Result<IdClaims, SignInError> {
        let header =
            jsonwebtoken::decode_header(id_token.expose()).map_err(|e| Self::invalid(format!("ID token: {e}")))?;
        if header.alg != Algorithm::RS256 {
            return Err(Self::invalid(format!(
                "ID token signed with {:?}, not RS256",
                header.alg
            )));
        }
        let kid = header.kid.ok_or_else(|| Self::invalid("the ID token names no key"))?;
        let key = self.key(&d.jwks_uri, &kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[self.client.client_id.as_str()]);
        validation.set_issuer(&accepted_issuers(&d.issuer));
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        let claims = jsonwebtoken::decode::<IdClaims>(id_token.expose(), &key, &validation)
            .map_err(|e| Self::invalid(rejected(&e)))?
            .claims;
        if claims.nonce.as_deref() != Some(nonce) {
            return Err(Self::invalid("the ID token was not issued for this sign-in (nonce)"));
        }
        if claims.azp.as_deref().is_some_and(|azp| azp != self.client.client_id) {
            return Err(Self::invalid("the ID token was issued to another app (azp)"));
        }
        if claims.sub.is_empty() {
            return Err(Self::invalid("the ID token names no account (sub)"));
        }
        Ok(claims)
    }

    /// Verifies an ID token outside a sign-in (for tests of the checks themselves).
    pub async fn verify_id_token(&self, id_token: &str, nonce: &str) -> Result<IdClaims, SignInError> {
        let d = self.discovery().await?;
        self.verify(&d, &Secret::new(id_token.to_string()), nonce).await
    }
}

/// Why jsonwebtoken refused a token, in words.
fn rejected(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::InvalidSignature => "the ID token's signature does not match the issuer's key".into(),
        ErrorKind::InvalidIssuer => "the ID token was issued by someone else (iss)".into(),
        ErrorKind::InvalidAudience => "the ID token was issued for another app (aud)".into(),
        ErrorKind::ExpiredSignature => "the ID token has expired".into(),
        ErrorKind::ImmatureSignature => "the ID token is not valid yet".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the ID token lacks {claim}"),
        _ => format!("the ID token is malformed ({e})"),
    }
}

/// Google's ID tokens name their issuer with or without the scheme
/// (`https://accounts.google.com` or `accounts.google.com`); both are its.
fn accepted_issuers(issuer: &str) -> Vec<String> {
    let mut out = vec![issuer.to_string()];
    if let Some(bare) = issuer.strip_prefix("https://")
        && bare == "accounts.google.com"
    {
        out.push(bare.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_verified_addresses_are_used() {
        let claims = |email_verified| IdClaims {
            sub: "1".into(),
            email: Some("Ana@Example.com".into()),
            email_verified,
            nonce: None,
            azp: None,
        };
        assert_eq!(
            claims(true).verified_email().map(|e| e.as_str().to_string()),
            Some("ana@example.com".into())
        );
        assert!(claims(false).verified_email().is_none());
    }

    #[test]
    fn email_verified_may_be_text() {
        let c: IdClaims =
            serde_json::from_str(r#"{"sub":"1","email":"a@b.co","email_verified":"true"}"#).expect("claims");
        assert!(c.email_verified);
        let c: IdClaims = serde_json::from_str(r#"{"sub":"1"}"#).expect("claims");
        assert!(!c.email_verified);
    }

    #[test]
    fn google_is_its_issuer_with_or_without_scheme() {
        assert_eq!(
            accepted_issuers("https://accounts.google.com"),
            ["https://accounts.google.com", "accounts.google.com"]
        );
        assert_eq!(accepted_issuers("http://127.0.0.1:9"), ["http://127.0.0.1:9"]);
    }

    #[test]
    fn s256_matches_rfc_7636() {
        // RFC 7636, appendix B.
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
