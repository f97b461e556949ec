//! `adsync sandbox`: the Graph API sandbox as its own process, and its ground truth.

use adsync_sandbox::{DatasetName, Level, SandboxConfig};
use anyhow::Context;
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct SandboxArgs {
    #[command(subcommand)]
    pub command: Option<SandboxCommand>,
    /// Port to listen on (127.0.0.1).
    #[arg(long, default_value_t = 8090)]
    pub port: u16,
    /// Dataset: small, medium or large.
    #[arg(long, default_value = "small")]
    pub dataset: DatasetName,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Approve the OAuth dialog without showing it.
    #[arg(long)]
    pub auto_approve: bool,
    /// Latency added to every Graph API response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// No call budgets (no usage-based throttling); for benchmarks of adsync itself.
    #[arg(long)]
    pub unlimited_budget: bool,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Print the exact expected totals for an account, level and date range (JSON).
    Truth {
        #[arg(long, default_value = "small")]
        dataset: DatasetName,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Ad account id (`act_<n>`); default: the dataset's first account.
        #[arg(long)]
        account: Option<String>,
        #[arg(long, default_value = "account")]
        level: String,
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        until: Option<String>,
    },
}

fn parse_level(raw: &str) -> anyhow::Result<Level> {
    Ok(match raw {
        "account" => Level::Account,
        "campaign" => Level::Campaign,
        "adset" => Level::Adset,
        "ad" => Level::Ad,
        other => anyhow::bail!("unknown level {other:?} (account, campaign, adset or ad)"),
    })
}

pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    match args.command {
        Some(SandboxCommand::Truth {
            dataset,
            seed,
            account,
            level,
            since,
            until,
        }) => {
            let ds = adsync_sandbox::Dataset::generate(dataset, seed);
            let account = match account {
                Some(a) => a,
                None => ds
                    .accounts()
                    .first()
                    .map(|a| a.id.clone())
                    .context("the dataset has no accounts")?,
            };
            let until = match until {
                Some(u) => adsync_common::dates::parse_day("until", &u)?,
                None => ds.today(),
            };
            let since = match since {
                Some(s) => adsync_common::dates::parse_day("since", &s)?,
                None => until - chrono::Duration::days(29),
            };
            let value =
                adsync_sandbox::truth(&ds, &account, parse_level(&level)?, since, until).map_err(anyhow::Error::msg)?;
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(())
        }
        None => {
            let config = SandboxConfig {
                dataset: args.dataset,
                seed: args.seed,
                auto_approve: args.auto_approve,
                latency: std::time::Duration::from_millis(args.latency_ms),
                budget: if args.unlimited_budget {
                    adsync_sandbox::BudgetConfig::unlimited()
                } else {
                    adsync_sandbox::BudgetConfig::default()
                },
                ..SandboxConfig::default()
            };
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
                .await
                .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
            println!(
                "Graph API sandbox on http://127.0.0.1:{} (app id {}, app secret {}). Ctrl-C stops it.",
                args.port, config.app_id, config.app_secret
            );
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            adsync_sandbox::serve(config, listener, shutdown).await?;
            Ok(())
        }
    }
}
