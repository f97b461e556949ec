//! The identity provider's pages: the consent screen and the error page.

use super::{AuthRequest, Identity};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Choose the account (an e-mail, prefilled) and continue, or cancel.
pub(super) fn consent(r: &AuthRequest, identity: &Identity) -> String {
    let hidden: String = [
        ("client_id", r.client_id.as_str()),
        ("redirect_uri", &r.redirect_uri),
        ("response_type", &r.response_type),
        ("scope", &r.scope),
        ("state", &r.state),
        ("nonce", r.nonce.as_deref().unwrap_or("")),
        ("code_challenge", &r.code_challenge),
        ("code_challenge_method", &r.code_challenge_method),
    ]
    .iter()
    .filter(|(k, v)| *k != "nonce" || !v.is_empty())
    .map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", esc(v)))
    .collect();
    format!(
        r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in with Google (sandbox)</title></head>
<body><h1>Sign in with Google</h1>
<p>The sandbox plays Google: choose the account to sign in as. An app asks for your e-mail address.</p>
<form method="post" action="/o/oauth2/v2/auth">{hidden}
<label>E-mail <input name="email" type="email" value="{email}"></label>
<button name="decision" value="approve">Continue</button>
<button name="decision" value="deny">Cancel</button>
</form></body></html>"#,
        email = esc(&identity.email)
    )
}

pub(super) fn error(why: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Error</title></head><body><h1>Access blocked: authorization error</h1><p>{}</p></body></html>",
        esc(why)
    )
}
