//! `/me`, `/me/adaccounts`, `/me/permissions` (GET and DELETE).

use serde_json::{Value, json};

use crate::ads::account_json;
use crate::errors::GraphError;
use crate::oauth::Auth;
use crate::paging::page_list;
use crate::query::list_param;
use crate::request::{Req, lock};
use crate::state::Shared;

fn user_of(auth: &Auth) -> Result<&str, GraphError> {
    match auth {
        Auth::User { user_id, .. } => Ok(user_id),
        Auth::App => Err(GraphError::needs_user()),
    }
}

/// `GET /me`. Its `email` (Facebook Login) is the address of whoever signs in at the
/// sandbox (`Control::set_identity`), shared with its OpenID Connect provider. As on
/// Facebook it is only there when asked for in `fields`, granted with the `email`
/// permission, and confirmed; otherwise the field is left out, without an error.
pub(crate) fn me(sh: &Shared, req: &Req, auth: &Auth) -> Result<Value, GraphError> {
    let id = user_of(auth)?;
    let name = lock(&sh.oauth).user.name.clone();
    let mut out = json!({"id": id, "name": name});
    let fields = req.param("fields").map(list_param).transpose()?.unwrap_or_default();
    if fields.iter().any(|f| f == "email") && auth.has("email") {
        let identity = lock(&sh.idp).identity.clone();
        if identity.email_verified {
            out["email"] = json!(identity.email);
        }
    }
    Ok(out)
}

/// `GET /me/adaccounts`: the dataset's accounts the user sees (all unless the test limits
/// them; none without `ads_read`).
pub(crate) fn adaccounts(sh: &Shared, req: &Req, auth: &Auth) -> Result<Value, GraphError> {
    user_of(auth)?;
    let wanted = match req.param("fields") {
        Some(f) => list_param(f)?,
        None => vec!["account_id".to_string()],
    };
    let ds = &sh.dataset;
    let visible = sh.cfg().visible_accounts.unwrap_or(usize::MAX).min(ds.accounts().len());
    let items = if auth.has("ads_read") || auth.has("ads_management") {
        (0..visible)
            .map(|i| account_json(ds, i, &wanted))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        Vec::new()
    };
    page_list(req, items, 25, sh.cfg().max_page_size)
}

/// `GET /me/permissions`.
pub(crate) fn permissions(auth: &Auth) -> Result<Value, GraphError> {
    let Auth::User { grant, .. } = auth else {
        return Err(GraphError::needs_user());
    };
    let mut data: Vec<Value> = grant
        .granted
        .iter()
        .map(|p| json!({"permission": p, "status": "granted"}))
        .collect();
    data.extend(
        grant
            .declined
            .iter()
            .map(|p| json!({"permission": p, "status": "declined"})),
    );
    Ok(json!({ "data": data }))
}

/// `DELETE /me/permissions` (revokes the app: every token of the user answers 190
/// afterwards) or `DELETE /me/permissions/{permission}` (declines one permission).
pub(crate) fn revoke(sh: &Shared, auth: &Auth, permission: Option<&str>) -> Result<Value, GraphError> {
    let user = user_of(auth)?.to_string();
    let mut store = lock(&sh.oauth);
    match permission {
        None => {
            store.grants.remove(&user);
            store.revoke_user(&user, 458);
        }
        Some(p) => {
            if let Some(g) = store.grants.get_mut(&user) {
                g.granted.retain(|x| x != p);
                if !g.declined.iter().any(|x| x == p) {
                    g.declined.push(p.to_string());
                }
            }
        }
    }
    Ok(json!({ "success": true }))
}
