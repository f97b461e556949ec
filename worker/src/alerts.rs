//! Sends the alerts written to the webhook outbox (`storage::webhooks`): every few seconds a
//! worker claims the due deliveries, POSTs each signed (`common::alerts`), and records the
//! outcome; a failed attempt is retried with backoff, and after the last one the delivery
//! stays `failed` until an owner replays it. Several workers never send one delivery at
//! once (a claim is a lease); a worker that dies mid-send leaves it due again.

use std::time::Duration;

use adsync_common::alerts::{self, SIGNATURE_HEADER};
use adsync_common::crypto::Keyring;
use adsync_storage::webhooks::{self, Due, MAX_ATTEMPTS, Outcome};
use adsync_storage::{StorageError, now};

use crate::WorkerState;

/// How often the outbox is looked at.
const TICK: Duration = Duration::from_secs(5);
/// How long an endpoint has to answer; the claim outlasts it.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries claimed at once.
const BATCH: i64 = 50;

pub async fn run(state: WorkerState) {
    let http = client();
    loop {
        match deliver_due(&state, &http).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "webhook deliveries attempted"),
            Err(e) => tracing::warn!(error = %e, "webhook deliveries failed; will retry"),
        }
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = tokio::time::sleep(TICK) => {}
        }
    }
}

/// The client deliveries are sent with: no redirects (an endpoint answers itself).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(SEND_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("adsync-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Sends every due delivery once; returns how many were attempted.
pub async fn deliver_due(state: &WorkerState, http: &reqwest::Client) -> Result<usize, StorageError> {
    let lease = chrono::Duration::from_std(SEND_TIMEOUT * 3).unwrap_or(chrono::Duration::seconds(30));
    let due = webhooks::claim_due(&state.db, lease, BATCH).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let keyring = match state.config.keyring() {
        Ok(k) => k,
        Err(e) => {
            tracing::warn!(error = %e, "no encryption key: webhook secrets cannot be read");
            return Ok(0);
        }
    };
    let count = due.len();
    for d in due {
        let outcome = send(http, &keyring, &d).await;
        let outcome = match outcome {
            Ok(status) if (200..300).contains(&status) => Outcome::Delivered { status },
            failed => {
                let attempts = d.attempts + 1;
                let retry_at = (attempts < MAX_ATTEMPTS)
                    .then(|| now() + chrono::Duration::from_std(alerts::retry_delay(attempts)).unwrap_or_default());
                let (status, error) = match &failed {
                    Ok(status) => (Some(*status), format!("the endpoint answered {status}")),
                    Err(e) => (None, e.clone()),
                };
                tracing::info!(delivery = d.id, attempts, error = %error, "webhook delivery failed");
                webhooks::record(
                    &state.db,
                    d.id,
                    Outcome::Failed {
                        status,
                        error: &error,
                        retry_at,
                    },
                )
                .await?;
                continue;
            }
        };
        webhooks::record(&state.db, d.id, outcome).await?;
    }
    Ok(count)
}

/// POSTs one delivery; the endpoint's status, or why there was none.
async fn send(http: &reqwest::Client, keyring: &Keyring, d: &Due) -> Result<u16, String> {
    let secret = keyring
        .decrypt(&d.secret_ciphertext)
        .map_err(|e| format!("the endpoint's secret cannot be read: {e}"))?;
    let signature = alerts::signature(secret.expose(), now().timestamp(), &d.payload);
    let res = http
        .post(&d.url)
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header("Adsync-Event-Id", &d.event_id)
        .header("Adsync-Event-Type", &d.event_type)
        .body(d.payload.clone())
        .send()
        .await
        // Without the URL: it may carry a token of the receiver's.
        .map_err(|e| format!("no answer: {}", e.without_url()))?;
    Ok(res.status().as_u16())
}
