//! Why a sign-in with a provider failed, in words the person can act on. Never contains a
//! token, a code or a secret.

use adsync_storage::StorageError;

use super::IdProvider;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("Signing in with {0} is not configured on this server.")]
    NotConfigured(&'static str),
    #[error("You declined to sign in with {0}. Sign in with your e-mail and password, or try again.")]
    Declined(&'static str),
    #[error("The sign-in link is incomplete (no state). Start again from the sign-in page.")]
    StateMissing,
    #[error("This sign-in is not known here or has expired. Start again from the sign-in page.")]
    StateUnknown,
    #[error("This sign-in was already finished; each works once. Start again from the sign-in page.")]
    StateReused,
    #[error("This sign-in took too long (10 minutes at most). Start again from the sign-in page.")]
    StateExpired,
    #[error("This sign-in was started in another browser. Start again from the sign-in page in this one.")]
    OtherBrowser,
    #[error("{provider} did not confirm who you are ({detail}). Please try again.")]
    Provider { provider: &'static str, detail: String },
    #[error("{provider} is not reachable right now ({detail}). Please try again in a few minutes.")]
    Unavailable { provider: &'static str, detail: String },
    #[error("The sign-in from {provider} could not be verified ({detail}).")]
    Invalid { provider: &'static str, detail: String },
    #[error("sign-in is misconfigured: {0}")]
    Misconfigured(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl SignInError {
    /// `error=access_denied` is the person saying no; anything else the provider failing.
    pub(super) fn declined_or_failed(provider: IdProvider, error: &str, description: Option<String>) -> Self {
        if error == "access_denied" {
            SignInError::Declined(provider.display_name())
        } else {
            let detail = match description {
                Some(d) => format!("{error}: {}", d.chars().take(200).collect::<String>()),
                None => error.chars().take(100).collect(),
            };
            SignInError::Provider {
                provider: provider.display_name(),
                detail,
            }
        }
    }

    /// Whether the fault is ours (a server error) rather than the person's or the provider's.
    pub fn is_internal(&self) -> bool {
        matches!(self, SignInError::Misconfigured(_) | SignInError::Storage(_))
    }
}
