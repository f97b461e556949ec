//! Users, grants, authorization codes and tokens; code exchange, `fb_exchange_token`,
//! `debug_token`, and the authentication of every Graph call.

use std::time::{Duration, SystemTime};

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::errors::GraphError;
use crate::request::{Req, lock};
use crate::state::Shared;
use crate::tokens::{CODE_TTL, Grant, TokenInfo, unix};

/// Who is calling.
#[derive(Clone, Debug)]
pub(crate) enum Auth {
    App,
    User { user_id: String, grant: Grant },
}

impl Auth {
    pub fn has(&self, perm: &str) -> bool {
        matches!(self, Auth::User { grant, .. } if grant.granted.iter().any(|p| p == perm))
    }
}

pub(crate) fn proof(secret: &str, token: &str) -> String {
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(token.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

fn expired_on(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%A, %d-%b-%y %H:%M:%S UTC")
        .to_string()
}

/// Validates the token (and `appsecret_proof`) of a request.
pub(crate) fn authenticate(sh: &Shared, req: &Req) -> Result<Auth, GraphError> {
    let cfg = sh.cfg();
    let token = req.token.as_deref().ok_or_else(GraphError::no_token)?;
    if token == format!("{}|{}", cfg.app_id, cfg.app_secret) {
        return Ok(Auth::App);
    }
    let user_id = token_user(sh, token)?;
    match req.param("appsecret_proof") {
        Some(p) if p != proof(&cfg.app_secret, token) => return Err(GraphError::bad_proof()),
        None if cfg.require_appsecret_proof => return Err(GraphError::proof_required()),
        _ => {}
    }
    let grant = lock(&sh.oauth).grants.get(&user_id).cloned().unwrap_or_default();
    Ok(Auth::User { user_id, grant })
}

/// The user of a valid (known, unrevoked, unexpired) user token.
pub(crate) fn token_user(sh: &Shared, token: &str) -> Result<String, GraphError> {
    let app_id = sh.cfg().app_id;
    let store = lock(&sh.oauth);
    let info = store.tokens.get(token).ok_or_else(GraphError::bad_token)?;
    if let Some(sub) = info.revoked {
        return Err(GraphError::revoked_token(&app_id, sub));
    }
    if info.expires_at <= SystemTime::now() {
        return Err(GraphError::expired_token(&expired_on(info.expires_at)));
    }
    Ok(info.user_id.clone())
}

fn issue(sh: &Shared, user_id: &str, ttl: Duration) -> Value {
    let token = format!("EAAB{}", sh.random_string(150));
    let now = SystemTime::now();
    let info = TokenInfo {
        user_id: user_id.to_string(),
        issued_at: now,
        expires_at: now + ttl,
        revoked: None,
    };
    lock(&sh.oauth).tokens.insert(token.clone(), info);
    sh.stats().tokens_issued += 1;
    json!({"access_token": token, "token_type": "bearer", "expires_in": ttl.as_secs()})
}

fn check_client(sh: &Shared, req: &Req) -> Result<(), GraphError> {
    let cfg = sh.cfg();
    if req.param("client_id") != Some(cfg.app_id.as_str()) {
        return Err(GraphError::new(
            400,
            101,
            "Error validating application. Invalid application ID.",
        ));
    }
    if req.param("client_secret") != Some(cfg.app_secret.as_str()) {
        return Err(GraphError::new(400, 1, "Error validating client secret."));
    }
    Ok(())
}

/// `GET|POST /oauth/access_token`: code exchange or `fb_exchange_token`.
pub(crate) fn access_token(sh: &Shared, req: &Req) -> Result<Value, GraphError> {
    check_client(sh, req)?;
    let cfg = sh.cfg();
    if req.param("grant_type") == Some("fb_exchange_token") {
        let short = req
            .param("fb_exchange_token")
            .ok_or_else(|| GraphError::param("Missing fb_exchange_token parameter"))?;
        let user_id = token_user(sh, short)?;
        return Ok(issue(sh, &user_id, cfg.long_token_ttl));
    }
    let redirect = req
        .param("redirect_uri")
        .ok_or_else(|| GraphError::param("Missing redirect_uri parameter."))?;
    let code = req
        .param("code")
        .ok_or_else(|| GraphError::param("Missing code parameter."))?;
    let user_id = {
        let mut store = lock(&sh.oauth);
        let info = store
            .codes
            .get_mut(code)
            .ok_or_else(|| GraphError::new(400, 100, "Invalid verification code format.").sub(36_009))?;
        if info.used {
            return Err(GraphError::new(400, 100, "This authorization code has been used.").sub(36_009));
        }
        if info.created + CODE_TTL <= SystemTime::now() {
            return Err(GraphError::new(400, 100, "This authorization code has expired.").sub(36_009));
        }
        if info.redirect_uri != redirect {
            return Err(GraphError::new(
                400,
                100,
                "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
            )
            .sub(36_008));
        }
        info.used = true;
        info.user_id.clone()
    };
    Ok(issue(sh, &user_id, cfg.short_token_ttl))
}

/// `GET /debug_token?input_token=..&access_token={app_id}|{app_secret}`.
pub(crate) fn debug_token(sh: &Shared, req: &Req) -> Result<Value, GraphError> {
    let cfg = sh.cfg();
    if req.token.as_deref() != Some(format!("{}|{}", cfg.app_id, cfg.app_secret).as_str()) {
        return Err(GraphError::new(
            400,
            100,
            "(#100) You must provide an app access token, or a user access token that is an owner or developer of the app",
        ));
    }
    let input = req
        .param("input_token")
        .ok_or_else(|| GraphError::param("The parameter input_token is required"))?;
    let store = lock(&sh.oauth);
    let Some(info) = store.tokens.get(input) else {
        return Ok(
            json!({"data": {"error": {"code": 190, "message": "Invalid OAuth access token."}, "is_valid": false, "scopes": []}}),
        );
    };
    let grant = store.grants.get(&info.user_id).cloned().unwrap_or_default();
    let mut data = json!({
        "app_id": cfg.app_id,
        "type": "USER",
        "application": cfg.app_name,
        "data_access_expires_at": unix(info.issued_at) + 90 * 86_400,
        "expires_at": unix(info.expires_at),
        "is_valid": true,
        "issued_at": unix(info.issued_at),
        "scopes": grant.granted,
        "user_id": info.user_id,
    });
    let error = if let Some(sub) = info.revoked {
        Some(GraphError::revoked_token(&cfg.app_id, sub))
    } else if info.expires_at <= SystemTime::now() {
        Some(GraphError::expired_token(&expired_on(info.expires_at)))
    } else {
        None
    };
    if let Some(e) = error {
        data["is_valid"] = json!(false);
        data["error"] = json!({"code": e.code, "subcode": e.subcode, "message": e.message});
    }
    Ok(json!({ "data": data }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proof_is_hmac_sha256_hex() {
        let p = proof("secret", "token");
        assert_eq!(p.len(), 64);
        assert_ne!(p, proof("secret", "token2"));
    }
}
