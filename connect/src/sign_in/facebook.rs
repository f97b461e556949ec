//! Facebook Login: Facebook's OAuth dialog with the `email` permission, the code exchange,
//! and `GET /me?fields=id,name,email`. Facebook has no ID token here; the app-scoped user id
//! is the subject. Facebook only returns an address its user confirmed, so a returned
//! `email` counts as verified; none is returned when the person declined the permission.

use url::Url;

use super::SignInError;
use adsync_common::config::FacebookApp;
use adsync_common::graph::{GraphClient, GraphError};
use adsync_common::ids::Email;

const NAME: &str = "Facebook";

#[derive(Clone)]
pub struct FacebookLogin {
    graph: GraphClient,
}

impl FacebookLogin {
    pub fn new(app: &FacebookApp) -> Result<Self, SignInError> {
        let graph = GraphClient::new(app).map_err(|e| SignInError::Misconfigured(format!("Facebook Login: {e}")))?;
        Ok(Self { graph })
    }

    pub(super) fn authorize_url(&self, redirect: &Url, state: &str) -> Url {
        self.graph.authorize_url(redirect, state, &["email"])
    }

    fn fail(e: GraphError) -> SignInError {
        if e.is_retryable() || matches!(e, GraphError::Http(_)) {
            SignInError::Unavailable {
                provider: NAME,
                detail: e.to_string(),
            }
        } else {
            SignInError::Provider {
                provider: NAME,
                detail: e.to_string(),
            }
        }
    }

    /// The Facebook user id and their address, if shared.
    pub(super) async fn finish(&self, code: &str, redirect: &Url) -> Result<(String, Option<Email>), SignInError> {
        let token = self.graph.exchange_code(code, redirect).await.map_err(Self::fail)?;
        let me = self.graph.login_identity(&token.token).await.map_err(Self::fail)?;
        if me.id.is_empty() {
            return Err(SignInError::Invalid {
                provider: NAME,
                detail: "/me answered no id".into(),
            });
        }
        let email = me.email.as_deref().and_then(|e| Email::parse(e).ok());
        Ok((me.id, email))
    }
}
