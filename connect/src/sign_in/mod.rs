//! Signing in to adsync with an identity provider: Google over OpenID Connect, Facebook with
//! Facebook Login. This is the provider half: start (state, nonce, PKCE), and finish (check
//! the state, exchange the code, establish who signed in). What that identity then does
//! (sign a user in, create one, ask for a password before linking) is the API's.
//!
//! Every sign-in is bound three ways: its `state` is stored (digest only) and works once
//! within [`STATE_TTL`]; the browser that started keeps the PKCE verifier in a cookie and the
//! callback must present it (only its S256 challenge is stored), so a callback URL replayed
//! in another browser does nothing; and Google's ID token must carry the stored nonce.

mod error;
mod facebook;
mod oidc;

use std::sync::Arc;
use std::time::Duration;

use oauth2::PkceCodeChallenge;
use url::Url;

use adsync_common::Secret;
use adsync_common::config::SignInConfig;
use adsync_common::ids::{Email, UserId};
use adsync_common::password::new_bearer_secret;
use adsync_storage::Db;
use adsync_storage::sign_in_states::{self, NewSignIn, Taken};

use crate::CallbackParams;

pub use error::SignInError;
pub use facebook::FacebookLogin;
pub use oidc::{IdClaims, OidcProvider};

/// How long a sign-in may take at the provider.
pub const STATE_TTL: Duration = Duration::from_secs(600);

/// The identity providers adsync knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdProvider {
    Google,
    Facebook,
}

impl IdProvider {
    pub const ALL: [IdProvider; 2] = [IdProvider::Google, IdProvider::Facebook];

    /// Its id in URLs and tables.
    pub fn id(self) -> &'static str {
        match self {
            IdProvider::Google => "google",
            IdProvider::Facebook => "facebook",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            IdProvider::Google => "Google",
            IdProvider::Facebook => "Facebook",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }
}

/// A started sign-in: send the browser to `url`, and keep `verifier` in its cookie named by
/// `browser_key` (one per sign-in, so two tabs signing in at once do not overwrite each other).
#[derive(Debug)]
pub struct Started {
    pub url: Url,
    pub verifier: Secret<String>,
    pub browser_key: String,
}

/// A short name for the sign-in a `state` stands for, to name its cookie by: 16 hex digits
/// of the state's SHA-256 (the state itself stays out of cookie names).
pub fn browser_key(state: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(state.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Who signed in, as the provider vouches.
#[derive(Debug, Clone)]
pub struct Verified {
    pub provider: IdProvider,
    /// The provider's stable id of the account (`sub`, or the Facebook user id).
    pub subject: String,
    /// Only an address the provider says is verified.
    pub email: Option<Email>,
    /// Set when the sign-in was started from this user's account page, to link.
    pub link_user: Option<UserId>,
    /// Where to go afterwards (a path of this site).
    pub next: String,
}

#[derive(Clone)]
pub struct SignIn {
    db: Db,
    public_url: Url,
    google: Option<Arc<OidcProvider>>,
    facebook: Option<FacebookLogin>,
}

impl SignIn {
    pub fn new(db: Db, config: &SignInConfig, public_url: &Url) -> Result<Self, SignInError> {
        let google = config.google.as_ref().map(OidcProvider::new).transpose()?.map(Arc::new);
        let facebook = config.facebook.as_ref().map(FacebookLogin::new).transpose()?;
        Ok(Self {
            db,
            public_url: public_url.clone(),
            google,
            facebook,
        })
    }

    /// The providers configured, in the order the login page shows them.
    pub fn providers(&self) -> Vec<IdProvider> {
        IdProvider::ALL
            .into_iter()
            .filter(|p| match p {
                IdProvider::Google => self.google.is_some(),
                IdProvider::Facebook => self.facebook.is_some(),
            })
            .collect()
    }

    /// The callback registered with the provider: `{public URL}/login/{provider}/callback`.
    pub fn redirect_uri(&self, provider: IdProvider) -> Result<Url, SignInError> {
        let base = self.public_url.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}/login/{}/callback", provider.id()))
            .map_err(|e| SignInError::Misconfigured(format!("public URL: {e}")))
    }

    /// Starts a sign-in (or, with `link_user`, a link from that user's account page).
    pub async fn start(
        &self,
        provider: IdProvider,
        link_user: Option<UserId>,
        next: &str,
    ) -> Result<Started, SignInError> {
        let redirect = self.redirect_uri(provider)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = new_bearer_secret("");
        let ttl = chrono::Duration::from_std(STATE_TTL).unwrap_or(chrono::Duration::minutes(10));
        let state = sign_in_states::create(
            &self.db,
            NewSignIn {
                provider: provider.id(),
                link_user,
                nonce: nonce.expose(),
                challenge: challenge.as_str(),
                next,
                ttl,
            },
        )
        .await?;
        let url = match provider {
            IdProvider::Google => {
                self.google()?
                    .authorize_url(&redirect, state.expose(), nonce.expose(), &challenge)
                    .await?
            }
            IdProvider::Facebook => self.facebook()?.authorize_url(&redirect, state.expose()),
        };
        Ok(Started {
            url,
            verifier: Secret::new(verifier.secret().clone()),
            browser_key: browser_key(state.expose()),
        })
    }

    /// Finishes a sign-in: the state must be fresh and presented with the verifier of the
    /// browser that started it; then the provider says who signed in.
    pub async fn finish(
        &self,
        provider: IdProvider,
        callback: CallbackParams,
        verifier: Option<&str>,
    ) -> Result<Verified, SignInError> {
        let state = callback.state.as_deref().filter(|s| !s.is_empty());
        let pending = match (state, verifier) {
            (None, _) => return Err(SignInError::StateMissing),
            (Some(_), None) => return Err(SignInError::OtherBrowser),
            (Some(state), Some(verifier)) => {
                let challenge = oidc::s256(verifier);
                match sign_in_states::take(&self.db, state, &challenge).await? {
                    Taken::Fresh(p) if p.provider == provider.id() => p,
                    Taken::Fresh(_) | Taken::Unknown => return Err(SignInError::StateUnknown),
                    Taken::Reused => return Err(SignInError::StateReused),
                    Taken::Expired => return Err(SignInError::StateExpired),
                    Taken::OtherBrowser => return Err(SignInError::OtherBrowser),
                }
            }
        };
        // Checked after the state, so a denial is only reported to the browser that asked.
        if let Some(error) = callback.error.as_deref() {
            return Err(SignInError::declined_or_failed(
                provider,
                error,
                callback.error_description,
            ));
        }
        let code = callback
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or(SignInError::Provider {
                provider: provider.display_name(),
                detail: "the callback carries no code".into(),
            })?;
        let redirect = self.redirect_uri(provider)?;
        let (subject, email) = match provider {
            IdProvider::Google => {
                let verifier = verifier.unwrap_or_default();
                let claims = self.google()?.finish(code, &redirect, verifier, &pending.nonce).await?;
                let email = claims.verified_email();
                (claims.sub, email)
            }
            IdProvider::Facebook => self.facebook()?.finish(code, &redirect).await?,
        };
        Ok(Verified {
            provider,
            subject,
            email,
            link_user: pending.link_user_id,
            next: pending.next,
        })
    }

    fn google(&self) -> Result<&OidcProvider, SignInError> {
        self.google.as_deref().ok_or(SignInError::NotConfigured("Google"))
    }

    fn facebook(&self) -> Result<&FacebookLogin, SignInError> {
        self.facebook.as_ref().ok_or(SignInError::NotConfigured("Facebook"))
    }
}
