//! The OAuth dialog: an HTML page with the app name, the requested scopes (each with a
//! checkbox, so a person can decline `ads_read`) and Approve / Deny buttons; the form
//! posts back here and redirects to `redirect_uri` with a code or an error.

use std::time::SystemTime;

use url::Url;

use crate::request::{Reply, Req, lock};
use crate::state::Shared;
use crate::tokens::{CodeInfo, Grant};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn error_page(msg: &str) -> Reply {
    let body = format!(
        "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Sorry, something went wrong.</h1><p>{}</p></body></html>",
        esc(msg)
    );
    Reply::Html { status: 400, body }
}

fn scopes_of(req: &Req) -> Vec<String> {
    let mut v: Vec<String> = req
        .param("scope")
        .unwrap_or("public_profile")
        .split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if !v.iter().any(|s| s == "public_profile") {
        v.insert(0, "public_profile".into());
    }
    v
}

/// Checks client_id and redirect_uri; returns the parsed redirect URL.
fn validate(sh: &Shared, req: &Req) -> Result<Url, Reply> {
    let cfg = sh.cfg();
    if req.param("client_id") != Some(cfg.app_id.as_str()) {
        return Err(error_page(
            "Invalid App ID: The provided app ID does not look like a valid app ID.",
        ));
    }
    let redirect = req
        .param("redirect_uri")
        .ok_or_else(|| error_page("The parameter redirect_uri is required."))?;
    Url::parse(redirect)
        .map_err(|_| error_page("URL blocked: This redirect failed because the redirect URI is not valid."))
}

fn redirect_with(mut url: Url, pairs: &[(&str, &str)]) -> Reply {
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    Reply::Redirect(url.to_string())
}

/// Approves `scopes` minus `declined`: a single-use code back to the redirect URI.
fn approve(sh: &Shared, req: &Req, url: Url, declined: Vec<String>) -> Reply {
    let code = format!("AQ{}", sh.random_string(120));
    let redirect_uri = req.param("redirect_uri").unwrap_or_default().to_string();
    let granted: Vec<String> = scopes_of(req).into_iter().filter(|s| !declined.contains(s)).collect();
    {
        let mut store = lock(&sh.oauth);
        let user_id = store.user.id.clone();
        store.grants.insert(user_id.clone(), Grant { granted, declined });
        store.codes.insert(
            code.clone(),
            CodeInfo {
                user_id,
                redirect_uri,
                created: SystemTime::now(),
                used: false,
            },
        );
    }
    let state = req.param("state").unwrap_or_default().to_string();
    redirect_with(url, &[("code", &code), ("state", &state)])
}

fn forced_declines(sh: &Shared) -> Vec<String> {
    if lock(&sh.oauth).decline_ads_read {
        vec!["ads_read".to_string()]
    } else {
        Vec::new()
    }
}

/// `GET /{v}/dialog/oauth`.
pub(crate) fn show(sh: &Shared, req: &Req) -> Reply {
    let url = match validate(sh, req) {
        Ok(u) => u,
        Err(page) => return page,
    };
    let cfg = sh.cfg();
    if cfg.auto_approve {
        return approve(sh, req, url, forced_declines(sh));
    }
    let user = lock(&sh.oauth).user.name.clone();
    let hidden: String = ["client_id", "redirect_uri", "state", "scope", "response_type"]
        .iter()
        .filter_map(|k| req.param(k).map(|v| (k, v)))
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", esc(v)))
        .collect();
    let scopes: String = scopes_of(req)
        .iter()
        .map(|s| {
            format!(
                "<li><label><input type=\"checkbox\" name=\"grant\" value=\"{0}\" checked> {0}</label></li>",
                esc(s)
            )
        })
        .collect();
    let action = format!(
        "{}/dialog/oauth",
        req.version.as_deref().map(|v| format!("/{v}")).unwrap_or_default()
    );
    let body = format!(
        r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Log in with Facebook</title>
<style>body{{font-family:Helvetica,Arial,sans-serif;background:#f0f2f5;}}main{{max-width:420px;margin:60px auto;background:#fff;padding:24px;border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.1)}}button{{padding:8px 20px;margin-right:8px;border-radius:6px;border:0;font-size:15px}}.ok{{background:#1877f2;color:#fff}}</style></head>
<body><main>
<h1>{app}</h1>
<p><b>{app}</b> is requesting access to the following on behalf of <b>{user}</b>:</p>
<form method="post" action="{action}">
{hidden}<input type="hidden" name="granted_scopes_submitted" value="1">
<ul>{scopes}</ul>
<button class="ok" type="submit" name="decision" value="approve">Approve: continue as {user}</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
<p><small>Facebook sandbox: a local stand-in for the Login dialog.</small></p>
</main></body></html>"#,
        app = esc(&cfg.app_name),
        user = esc(&user),
        action = esc(&action),
    );
    Reply::Html { status: 200, body }
}

/// `POST /{v}/dialog/oauth`: the Approve / Deny form.
pub(crate) fn decide(sh: &Shared, req: &Req) -> Reply {
    let url = match validate(sh, req) {
        Ok(u) => u,
        Err(page) => return page,
    };
    let state = req.param("state").unwrap_or_default().to_string();
    if req.param("decision") != Some("approve") {
        return redirect_with(
            url,
            &[
                ("error", "access_denied"),
                ("error_reason", "user_denied"),
                ("error_description", "Permissions error"),
                ("state", &state),
            ],
        );
    }
    let mut declined = forced_declines(sh);
    if req.param("granted_scopes_submitted").is_some() {
        let checked: Vec<&str> = req
            .params
            .get("grant")
            .map(|g| g.split(',').collect())
            .unwrap_or_default();
        for s in scopes_of(req) {
            if !checked.contains(&s.as_str()) && !declined.contains(&s) {
                declined.push(s);
            }
        }
    }
    approve(sh, req, url, declined)
}
