//! The sandbox as an OpenID Connect identity provider, as Google plays one: a discovery
//! document, an authorization endpoint with a consent page, a token endpoint that checks the
//! code, the client and PKCE (S256) and answers a signed ID token (RS256), the keys (JWKS)
//! and userinfo. Tests and the demo sign in "with Google" against it, with no internet.
//!
//! Its signing key is a fixed test key shipped with the sandbox: it signs nothing but the
//! sandbox's own ID tokens.

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use sha2::Digest;

use crate::identity::{Grant, Identity};
use crate::request::lock;
use crate::state::Shared;

mod page;

const SIGNING_KEY: &str = include_str!("signing-key.pem");
/// The public half of [`SIGNING_KEY`] as a JWK: its modulus and exponent, base64url.
const KEY_N: &str = "-jkszrBYIUa2eJc-Qp-WKgVYwaINQ24_V1Qic9xgKyTRgs8lM1EhMrG1hYRb6KuVz6oiFM9xm3WjmO0axeAtzddxaN4p1KYuCoRug03FuDUxyHmEvUnmHnwYhoe14UMzjCZMBTp-23IG5ZX-Qg7dIpR0X9hOWhxAdrftvDuUbjz5czVts2axQdDcyWmQhSGgZtGXT3J0CjBf9DpgT9UoU_CvFg7SdHdgR5fJGs6fLhnlTD99IxexnowpWb8ViZ81FTHzKbm_UnkrfUNpa5-r4jXeZTOojtIlwwZRopZm8-9IYXUZuv9LDjK7mOfEYwS0vvUTQpsbDKVcHO_P5qDCJQ";
const KEY_E: &str = "AQAB";
const KEY_ID: &str = "sandbox-1";
/// How long a code and an ID token live (Google's codes last minutes, its ID tokens an hour).
const CODE_SECONDS: i64 = 600;
const TOKEN_SECONDS: i64 = 3600;

/// The OAuth client the sandbox knows: `(client id, client secret)`, from the app's.
pub(crate) fn client(sh: &Shared) -> (String, String) {
    (
        format!("{}.apps.sandbox.test", sh.creds.0),
        format!("idp-{}", sh.creds.1),
    )
}

pub(crate) fn routes() -> Router<std::sync::Arc<Shared>> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/o/oauth2/v2/auth", get(authorize).post(decide))
        .route("/oauth2/token", post(token))
        .route("/oauth2/v3/certs", get(keys))
        .route("/v1/userinfo", get(userinfo))
}

/// The issuer is where the sandbox is reached, as its `Host` says.
fn issuer(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

async fn discovery(headers: HeaderMap) -> Response {
    let iss = issuer(&headers);
    axum::Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/o/oauth2/v2/auth"),
        "token_endpoint": format!("{iss}/oauth2/token"),
        "jwks_uri": format!("{iss}/oauth2/v3/certs"),
        "userinfo_endpoint": format!("{iss}/v1/userinfo"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
    }))
    .into_response()
}

async fn keys() -> Response {
    axum::Json(json!({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": KEY_ID, "n": KEY_N, "e": KEY_E}]}))
        .into_response()
}

/// The parameters of an authorization request (also the consent form's hidden fields).
#[derive(Debug, Clone, Deserialize, Default)]
pub(crate) struct AuthRequest {
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub redirect_uri: String,
    #[serde(default)]
    pub response_type: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub state: String,
    pub nonce: Option<String>,
    #[serde(default)]
    pub code_challenge: String,
    #[serde(default)]
    pub code_challenge_method: String,
}

/// Checks a request as Google does; a bad one gets an error page, never a redirect (the
/// redirect URI is not trusted yet).
fn check(sh: &Shared, r: &AuthRequest) -> Result<(), String> {
    let redirect = url::Url::parse(&r.redirect_uri).map_err(|_| "redirect_uri is not a URL".to_string())?;
    if r.client_id != client(sh).0 {
        return Err("The OAuth client was not found (invalid_client).".into());
    }
    if !matches!(redirect.scheme(), "http" | "https") {
        return Err("redirect_uri must be http(s)".into());
    }
    if r.response_type != "code" {
        return Err("response_type must be code".into());
    }
    if !r.scope.split(' ').any(|s| s == "openid") {
        return Err("scope must include openid".into());
    }
    if r.code_challenge.is_empty() || r.code_challenge_method != "S256" {
        return Err("PKCE is required: code_challenge with code_challenge_method=S256".into());
    }
    Ok(())
}

async fn authorize(State(sh): State<std::sync::Arc<Shared>>, Query(r): Query<AuthRequest>) -> Response {
    if let Err(why) = check(&sh, &r) {
        return (StatusCode::BAD_REQUEST, Html(page::error(&why))).into_response();
    }
    if sh.cfg().auto_approve {
        let identity = lock(&sh.idp).identity.clone();
        return grant(&sh, &r, identity);
    }
    let identity = lock(&sh.idp).identity.clone();
    Html(page::consent(&r, &identity)).into_response()
}

#[derive(Deserialize)]
struct Decision {
    decision: String,
    #[serde(default)]
    email: String,
    #[serde(flatten)]
    request: AuthRequest,
}

async fn decide(State(sh): State<std::sync::Arc<Shared>>, Form(d): Form<Decision>) -> Response {
    if let Err(why) = check(&sh, &d.request) {
        return (StatusCode::BAD_REQUEST, Html(page::error(&why))).into_response();
    }
    if d.decision != "approve" {
        return back(&d.request, &[("error", "access_denied")]);
    }
    let mut identity = lock(&sh.idp).identity.clone();
    if !d.email.trim().is_empty() {
        identity.email = d.email.trim().to_ascii_lowercase();
    }
    grant(&sh, &d.request, identity)
}

fn grant(sh: &Shared, r: &AuthRequest, identity: Identity) -> Response {
    let code = format!("4/{}", sh.random_string(40));
    lock(&sh.idp).codes.insert(
        code.clone(),
        Grant {
            client_id: r.client_id.clone(),
            redirect_uri: r.redirect_uri.clone(),
            nonce: r.nonce.clone(),
            challenge: r.code_challenge.clone(),
            identity,
            expires: chrono::Utc::now().timestamp() + CODE_SECONDS,
        },
    );
    back(r, &[("code", &code)])
}

/// Back to the client's redirect URI with `params` and the state.
fn back(r: &AuthRequest, params: &[(&str, &str)]) -> Response {
    let mut url = match url::Url::parse(&r.redirect_uri) {
        Ok(u) => u,
        Err(_) => return (StatusCode::BAD_REQUEST, "bad redirect_uri").into_response(),
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        q.append_pair("state", &r.state);
    }
    Redirect::to(url.as_str()).into_response()
}

#[derive(Deserialize)]
struct TokenRequest {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    client_id: Option<String>,
    client_secret: Option<String>,
    #[serde(default)]
    code_verifier: String,
}

fn token_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// The client's credentials: in the form, or as HTTP Basic (`client_secret_basic`).
fn client_credentials(headers: &HeaderMap, t: &TokenRequest) -> Option<(String, String)> {
    if let (Some(id), Some(secret)) = (&t.client_id, &t.client_secret) {
        return Some((id.clone(), secret.clone()));
    }
    let basic = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(basic).ok()?;
    let (id, secret) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

async fn token(State(sh): State<std::sync::Arc<Shared>>, headers: HeaderMap, Form(t): Form<TokenRequest>) -> Response {
    if t.grant_type != "authorization_code" {
        return token_error("unsupported_grant_type", "only authorization_code");
    }
    if client_credentials(&headers, &t) != Some(client(&sh)) {
        return token_error("invalid_client", "The OAuth client was not found.");
    }
    // A code works once, whatever the outcome.
    let Some(g) = lock(&sh.idp).codes.remove(&t.code) else {
        return token_error("invalid_grant", "Malformed auth code.");
    };
    let verifier_hash =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(t.code_verifier.as_bytes()));
    if g.expires < chrono::Utc::now().timestamp() {
        return token_error("invalid_grant", "Bad Request: the code expired");
    }
    if g.redirect_uri != t.redirect_uri || g.client_id != client(&sh).0 {
        return token_error("invalid_grant", "Bad Request: redirect_uri_mismatch");
    }
    if verifier_hash != g.challenge {
        return token_error("invalid_grant", "Invalid code verifier.");
    }
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": issuer(&headers),
        "aud": g.client_id,
        "azp": g.client_id,
        "sub": g.identity.subject(),
        "email": g.identity.email,
        "email_verified": g.identity.email_verified,
        "iat": now,
        "exp": now + TOKEN_SECONDS,
    });
    if let Some(nonce) = &g.nonce {
        claims["nonce"] = json!(nonce);
    }
    let mut head = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    head.kid = Some(KEY_ID.into());
    let id_token = match jsonwebtoken::EncodingKey::from_rsa_pem(SIGNING_KEY.as_bytes())
        .and_then(|key| jsonwebtoken::encode(&head, &claims, &key))
    {
        Ok(t) => t,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, format!("signing failed: {e}")).into_response(),
    };
    let access = format!("ya29.{}", sh.random_string(40));
    lock(&sh.idp).tokens.insert(access.clone(), g.identity);
    axum::Json(json!({
        "access_token": access,
        "expires_in": TOKEN_SECONDS,
        "id_token": id_token,
        "scope": "openid email",
        "token_type": "Bearer",
    }))
    .into_response()
}

async fn userinfo(State(sh): State<std::sync::Arc<Shared>>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "));
    let identity = bearer.and_then(|t| lock(&sh.idp).tokens.get(t).cloned());
    match identity {
        Some(i) => axum::Json(json!({"sub": i.subject(), "email": i.email, "email_verified": i.email_verified}))
            .into_response(),
        None => (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "invalid_token"}))).into_response(),
    }
}
