//! The start-up check that every stored token decrypts with the configured keys. A process
//! with a lost or mistyped key would otherwise start and fail each sync of the teams it
//! cannot read; refusing at once, naming the connections, points at the configuration.

use adsync_common::Config;
use adsync_common::config::ConfigError;
use adsync_storage::Db;

use crate::admin::undecryptable_tokens;

/// Connections named in the one-line error; the rest are counted there and logged.
const NAMED: usize = 5;

/// Fails with a configuration error naming the connections (team, platform; never a token)
/// whose stored token no configured key decrypts. Runs whether or not a Facebook app is
/// configured: the tokens are there either way.
pub async fn stored_tokens_decrypt(db: &Db, config: &Config) -> anyhow::Result<()> {
    let keyring = match config.encryption_key {
        Some(_) => Some(config.keyring()?),
        None => None,
    };
    let failing = undecryptable_tokens(db, keyring.as_ref()).await?;
    if failing.is_empty() {
        return Ok(());
    }
    // The error line names the first few; the log names the rest (`rotate-key` lists all).
    for f in failing.iter().skip(NAMED) {
        tracing::error!(connection_id = f.connection, team_id = %f.team, platform = %f.platform, reason = %f.reason, "stored token undecryptable");
    }
    let mut named: Vec<String> = failing.iter().take(NAMED).map(ToString::to_string).collect();
    if failing.len() > NAMED {
        named.push(format!("and {} more", failing.len() - NAMED));
    }
    let named = named.join(", ");
    let message = match keyring {
        None => format!("required: the stored tokens of {named} are encrypted"),
        Some(_) => format!(
            "the stored tokens of {named} cannot be decrypted with the configured keys; \
             set the key they were written with (current or in ADSYNC_ENCRYPTION_KEYS_OLD)"
        ),
    };
    Err(ConfigError {
        variable: "ADSYNC_ENCRYPTION_KEY",
        message,
    }
    .into())
}
