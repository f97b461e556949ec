//! Signing in with a provider: which ones are configured. Each is offered on the login page
//! only when its app credentials are set.

use url::Url;

use super::values::Vars;
use super::{ConfigError, FacebookApp};
use crate::Secret;

/// The identity providers users may sign in with.
#[derive(Clone, Debug, Default)]
pub struct SignInConfig {
    /// Google, over OpenID Connect (`GOOGLE_CLIENT_ID`, `GOOGLE_CLIENT_SECRET`,
    /// `GOOGLE_ISSUER_URL`).
    pub google: Option<OidcClient>,
    /// Facebook Login (`FACEBOOK_LOGIN_APP_ID`, `FACEBOOK_LOGIN_APP_SECRET`; the dialog and
    /// Graph URLs and version are the ads connection's `FACEBOOK_*`). It may be the same app
    /// as the ads connection.
    pub facebook: Option<FacebookApp>,
}

/// An OpenID Connect client: the issuer (whose discovery document names every endpoint and
/// whose ID tokens must say so) and the client's credentials.
#[derive(Clone, Debug)]
pub struct OidcClient {
    pub issuer: Url,
    pub client_id: String,
    pub client_secret: Secret<String>,
}

impl SignInConfig {
    pub(super) fn load(vars: &Vars<'_>, facebook_urls: &FacebookApp) -> Result<Self, ConfigError> {
        let issuer = vars.url("GOOGLE_ISSUER_URL", "https://accounts.google.com")?;
        let google = vars
            .pair("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET")?
            .map(|(client_id, secret)| OidcClient {
                issuer,
                client_id,
                client_secret: Secret::new(secret),
            });
        let facebook = vars
            .pair("FACEBOOK_LOGIN_APP_ID", "FACEBOOK_LOGIN_APP_SECRET")?
            .map(|(app_id, secret)| FacebookApp {
                app_id,
                app_secret: Secret::new(secret),
                ..facebook_urls.clone()
            });
        Ok(Self { google, facebook })
    }

    pub fn any(&self) -> bool {
        self.google.is_some() || self.facebook.is_some()
    }
}
