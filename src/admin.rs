//! `adsync admin ...`: operator commands on users, teams, memberships, tokens and syncs.

use adsync_common::ids::{ApiTokenId, Email, Role, TeamId};
use adsync_common::password::hash_password;
use adsync_common::{Config, Secret};
use adsync_storage::queue::Queue;
use adsync_storage::sync_runs::NewRun;
use adsync_storage::{Db, StorageError, api_tokens, teams, users};
use anyhow::{Context, bail};
use clap::Subcommand;

mod connections;

pub use connections::{RotationReport, Undecryptable, list_connections, rotate_key, undecryptable_tokens};

/// Where a new password comes from.
#[derive(Debug, clap::Args)]
pub struct PasswordArgs {
    /// The password, at least 8 characters (visible in the process list and shell
    /// history: prefer --password-stdin).
    #[arg(long, conflicts_with = "password_stdin", required_unless_present = "password_stdin")]
    password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
}

impl PasswordArgs {
    fn read(self) -> anyhow::Result<Secret<String>> {
        let password = match (self.password, self.password_stdin) {
            (Some(p), _) => p,
            (None, true) => {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                line.trim_end_matches(['\r', '\n']).to_string()
            }
            (None, false) => return Err(usage("give --password or --password-stdin")),
        };
        Ok(Secret::new(password))
    }
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a user (password from --password or, safer, --password-stdin).
    CreateUser {
        /// The user's e-mail (their sign-in name).
        #[arg(long)]
        email: String,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Set a user's password; every session they have ends.
    SetPassword {
        /// The user's e-mail.
        #[arg(long)]
        email: String,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Print a single-use link that sets a new password for a user, valid for 24 hours, to
    /// pass on by hand (for a forgotten password when adsync sends no e-mail). The user's
    /// unused links issued before stop working.
    ResetLink {
        /// The user's e-mail.
        #[arg(long)]
        email: String,
    },
    /// List users.
    ListUsers,
    /// Create a team, optionally with its first owner.
    CreateTeam {
        /// The team's name.
        #[arg(long)]
        name: String,
        /// E-mail of an existing user who becomes the owner.
        #[arg(long)]
        owner: Option<String>,
    },
    /// List teams.
    ListTeams,
    /// Add a user to a team (or change their role).
    AddMember {
        /// Team id (see list-teams).
        #[arg(long)]
        team: TeamId,
        /// E-mail of an existing user.
        #[arg(long)]
        email: String,
        /// owner (manages connections and resyncs) or member (reads metrics).
        #[arg(long, default_value = "member")]
        role: Role,
    },
    /// Remove a user from a team.
    RemoveMember {
        /// Team id (see list-teams).
        #[arg(long)]
        team: TeamId,
        /// E-mail of the member to remove.
        #[arg(long)]
        email: String,
    },
    /// List a team's members.
    ListMembers {
        /// Team id (see list-teams).
        #[arg(long)]
        team: TeamId,
    },
    /// Create an API token for a user; it is printed once and never again.
    CreateToken {
        /// E-mail of the user the token acts as.
        #[arg(long)]
        email: String,
        /// A label to tell tokens apart in list-tokens.
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// List API tokens (never their values).
    ListTokens {
        /// Only the tokens of this user.
        #[arg(long)]
        email: Option<String>,
    },
    /// Revoke an API token by id.
    RevokeToken {
        /// Token id (see list-tokens).
        id: ApiTokenId,
    },
    /// List ad platform connections: team, status, Facebook user, expiry, key id (never tokens).
    ListConnections,
    /// Re-encrypt every stored token with the current ADSYNC_ENCRYPTION_KEY (old keys in
    /// ADSYNC_ENCRYPTION_KEYS_OLD must still be configured to read the others).
    RotateKey,
    /// Queue a sync run for a team (a manual resync).
    Resync {
        /// Team id (see list-teams).
        #[arg(long)]
        team: TeamId,
        /// First day to sync, YYYY-MM-DD (default: the lookback window).
        #[arg(long)]
        since: Option<String>,
        /// Last day to sync, YYYY-MM-DD (default: today in each ad account's time zone).
        #[arg(long)]
        until: Option<String>,
        /// Only this ad account (`act_<n>`; default: every active ad account of the team).
        #[arg(long)]
        ad_account_id: Option<String>,
    },
}

impl AdminCommand {
    /// Whether the command pushes a job (only these need the queue configured).
    pub fn needs_queue(&self) -> bool {
        matches!(self, AdminCommand::Resync { .. })
    }
}

/// A bad argument value: exit code 2, like the usage errors clap reports itself.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(String);

fn usage(message: impl std::fmt::Display) -> anyhow::Error {
    UsageError(message.to_string()).into()
}

fn email(raw: &str) -> anyhow::Result<Email> {
    Email::parse(raw).map_err(usage)
}

async fn user_id(db: &Db, raw: &str) -> anyhow::Result<adsync_common::ids::UserId> {
    let e = email(raw)?;
    Ok(users::find_by_email(db, &e)
        .await?
        .with_context(|| format!("no user with e-mail {e}"))?
        .id)
}

fn ensure_long_enough(password: &Secret<String>) -> anyhow::Result<()> {
    adsync_common::password::check_new_password(password).map_err(usage)
}

/// Creates a user with an argon2id hash. `Conflict` when the e-mail is taken.
pub async fn create_user(
    db: &Db,
    raw_email: &str,
    password: Secret<String>,
) -> anyhow::Result<adsync_common::ids::UserId> {
    let e = email(raw_email)?;
    ensure_long_enough(&password)?;
    let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
    match users::create(db, &e, &hash).await {
        Err(StorageError::Conflict) => bail!("a user with e-mail {e} already exists"),
        other => Ok(other?),
    }
}

pub async fn run(cmd: AdminCommand, db: &Db, queue: Option<&Queue>, config: &Config) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::CreateUser { email, password } => {
            let id = create_user(db, &email, password.read()?).await?;
            println!("created user {id} <{email}>");
        }
        AdminCommand::SetPassword { email, password } => {
            let id = user_id(db, &email).await?;
            let password = password.read()?;
            ensure_long_enough(&password)?;
            let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
            users::set_password(db, id, &hash).await?;
            println!("password of <{email}> changed; their sessions have ended");
        }
        AdminCommand::ResetLink { email } => {
            let id = user_id(db, &email).await?;
            let ttl = chrono::Duration::hours(adsync_api::ADMIN_RESET_HOURS);
            let secret = adsync_storage::password_resets::create(db, id, ttl).await?;
            println!("{}", adsync_api::reset_link(&config.public_url, &secret));
            eprintln!(
                "single-use link for {email}, valid for {} hours; it is shown only now",
                adsync_api::ADMIN_RESET_HOURS
            );
        }
        AdminCommand::ListUsers => {
            for u in users::list(db).await? {
                println!("{}\t{}\t{}", u.id, u.email, u.created_at.to_rfc3339());
            }
        }
        AdminCommand::CreateTeam { name, owner } => {
            let name = name.trim();
            if name.is_empty() {
                return Err(usage("the team name must not be empty"));
            }
            let owner = match owner {
                Some(o) => Some(user_id(db, &o).await?),
                None => None,
            };
            let team = teams::create(db, name).await?;
            if let Some(owner) = owner {
                teams::set_member(db, team, owner, Role::Owner).await?;
            }
            println!("created team {team} {name:?}");
        }
        AdminCommand::ListTeams => {
            for t in teams::list(db).await? {
                println!("{}\t{}", t.id, t.name);
            }
        }
        AdminCommand::AddMember { team, email, role } => {
            teams::get(db, team).await?.with_context(|| format!("no team {team}"))?;
            let user = user_id(db, &email).await?;
            teams::set_member(db, team, user, role).await?;
            println!("{email} is now {role} of team {team}");
        }
        AdminCommand::RemoveMember { team, email } => {
            let user = user_id(db, &email).await?;
            teams::remove_member(db, team, user, None).await.map_err(|e| match e {
                StorageError::NotFound => anyhow::anyhow!("{email} is not in team {team}"),
                StorageError::LastOwner => {
                    anyhow::anyhow!("{email} is the only owner of team {team}: make another member owner first")
                }
                e => e.into(),
            })?;
            println!("removed {email} from team {team}");
        }
        AdminCommand::ListMembers { team } => {
            for m in teams::members(db, team).await? {
                println!("{}\t{}\t{}", m.user_id, m.email, m.role);
            }
        }
        AdminCommand::CreateToken { email, name } => {
            let user = user_id(db, &email).await?;
            let (id, secret) = api_tokens::create(db, user, &name).await?;
            eprintln!("token {id} created for {email}; it is shown once, store it now:");
            println!("{}", secret.expose());
        }
        AdminCommand::ListTokens { email } => {
            let user = match email {
                Some(e) => Some(user_id(db, &e).await?),
                None => None,
            };
            for t in api_tokens::list(db, user).await? {
                let used = t.last_used_at.map(|d| d.to_rfc3339()).unwrap_or_else(|| "never".into());
                println!(
                    "{}\tuser {}\t{}\tcreated {}\tlast used {}",
                    t.id,
                    t.user_id,
                    t.name,
                    t.created_at.to_rfc3339(),
                    used
                );
            }
        }
        AdminCommand::RevokeToken { id } => {
            api_tokens::revoke(db, id)
                .await
                .map_err(|_| anyhow::anyhow!("no token {id}"))?;
            println!("revoked token {id}");
        }
        AdminCommand::ListConnections => {
            for line in list_connections(db).await? {
                println!("{line}");
            }
        }
        AdminCommand::RotateKey => {
            let keyring = config.keyring()?;
            let report = rotate_key(db, &keyring).await?;
            println!("key {}: {report}", keyring.current_key_id());
            for failed in &report.failed {
                eprintln!("{failed}: {}", failed.reason);
            }
            if !report.failed.is_empty() {
                bail!(
                    "{} token(s) could not be decrypted with the configured keys (ADSYNC_ENCRYPTION_KEY / ADSYNC_ENCRYPTION_KEYS_OLD)",
                    report.failed.len()
                );
            }
        }
        AdminCommand::Resync {
            team,
            since,
            until,
            ad_account_id,
        } => {
            let (since, until) =
                adsync_common::dates::parse_bounds(since.as_deref(), until.as_deref()).map_err(usage)?;
            teams::get(db, team).await?.with_context(|| format!("no team {team}"))?;
            let new = NewRun::manual(team, ad_account_id, since, until, None);
            if let Some(refusal) = adsync_storage::syncs::refusal(db, adsync_connect::FACEBOOK.platform, &new).await? {
                bail!("{refusal}");
            }
            let queue = queue.context("the queue is not configured")?;
            let run = adsync_storage::syncs::request(db, queue, &new).await?;
            println!("queued sync run {}", run.id);
        }
    }
    Ok(())
}
