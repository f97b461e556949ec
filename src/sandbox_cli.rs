//! `adsync sandbox`: the Graph API sandbox as its own process, and its ground truth.

use std::time::Duration;

use adsync_sandbox::{DatasetName, FaultConfig, Level, SandboxConfig};
use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

/// The heading of the options that choose the data, for serving and for `truth` alike.
const DATA: &str = "Data (for serving and for truth)";

#[derive(Debug, Args)]
pub struct SandboxArgs {
    #[command(subcommand)]
    pub command: Option<SandboxCommand>,
    /// Port to listen on (127.0.0.1).
    #[arg(long, default_value_t = 8090)]
    pub port: u16,
    /// small (1 account, 12 ads, 90 days), medium (2 accounts, 200 ads, a year), large
    /// (2,000 ads, a year) or many (16 small accounts).
    #[arg(long, default_value = "small", global = true, help_heading = DATA)]
    pub dataset: DatasetName,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42, global = true, help_heading = DATA)]
    pub seed: u64,
    /// Restatement generation: 0 none; another number changes the conversions of the last
    /// 28 days, as Facebook's attribution does.
    #[arg(long, default_value_t = 0, global = true, help_heading = DATA)]
    pub restatement: u32,
    /// The last day with data (YYYY-MM-DD); default the dataset's fixed 2026-11-20. The demo
    /// and the bench pass the wall clock's date, so adsync finds data up to its own today.
    #[arg(long, global = true, help_heading = DATA, value_name = "DATE")]
    pub today: Option<chrono::NaiveDate>,
    /// Approve the OAuth dialog without showing it.
    #[arg(long)]
    pub auto_approve: bool,
    /// Latency added to every Graph API response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// No call budgets (no usage-based throttling); for benchmarks of adsync itself.
    #[arg(long, conflicts_with_all = ["account_calls", "budget_window"])]
    pub unlimited_budget: bool,
    /// Calls per budget window of each ad account bucket (ads_insights, ads_management).
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub account_calls: u32,
    /// The rolling window the budgets count calls over.
    #[arg(long, default_value = "5m", value_parser = parse_duration, value_name = "DURATION")]
    pub budget_window: Duration,
    /// How long an exhausted bucket stays blocked.
    #[arg(long, default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    pub budget_block: Duration,
    /// Lifetime of the short-lived token a code exchange gives (90s, 30m, 2h, 60d; a bare
    /// number is seconds).
    #[arg(long, default_value = "2h", value_parser = parse_duration, value_name = "DURATION")]
    pub short_token_ttl: Duration,
    /// Lifetime of the long-lived token `fb_exchange_token` gives.
    #[arg(long, default_value = "60d", value_parser = parse_duration, value_name = "DURATION")]
    pub long_token_ttl: Duration,
    /// Largest page (`limit`) served; a larger one answers code 1 "Please reduce the amount
    /// of data you're asking for".
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_page_size: u32,
    /// A synchronous insights call asking for more days × fields than this answers code 100
    /// subcode 1504018 ("... reduce the amount of data ..."). Unset: no such limit.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), value_name = "N")]
    pub max_days_x_fields: Option<u64>,
    /// An insights request spanning more rows than this (objects × days × breakdown values)
    /// is refused: a call with code 1, an async report with "Job Failed". Unset: no limit.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), value_name = "N")]
    pub max_request_rows: Option<u64>,
    /// Status polls an async report run takes until "Job Completed".
    #[arg(long, default_value_t = 4)]
    pub async_steps: u32,
    /// Injected faults to start from: none, or flaky (a few percent of calls fail once).
    #[arg(long, value_enum, default_value_t = Faults::None)]
    pub faults: Faults,
    /// The rate of one fault kind, 0 to 1, over the preset; repeatable. Kinds:
    /// unknown_error, transient, throttle_17, throttle_613, throttle_80000, reduce_data, slow,
    /// drop_connection, expired_token, revoked_token, async_failure.
    #[arg(long = "fault", value_name = "KIND=RATE", value_parser = parse_fault)]
    pub fault_rates: Vec<(String, f64)>,
    /// Seed of the fault decisions (default: --seed): other faults on the same data.
    #[arg(long)]
    pub fault_seed: Option<u64>,
}

/// Fault presets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Faults {
    None,
    Flaky,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Print the exact expected totals of an account, level and date range (JSON), for the
    /// data chosen by --dataset, --seed, --restatement and --today.
    Truth {
        /// Ad account id (`act_<n>`); default: the dataset's first account.
        #[arg(long)]
        account: Option<String>,
        /// account, campaign, adset or ad.
        #[arg(long, default_value = "account")]
        level: String,
        /// First day (YYYY-MM-DD); default: 30 days up to --until.
        #[arg(long)]
        since: Option<String>,
        /// Last day (YYYY-MM-DD); default: the dataset's today.
        #[arg(long)]
        until: Option<String>,
    },
}

/// `90s`, `30m`, `2h`, `60d` or a bare number of seconds.
fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration (e.g. 90s, 30m, 2h, 60d)"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => return Err(format!("unknown unit {other:?} in {raw:?} (s, m, h or d)")),
    };
    n.checked_mul(scale)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{raw:?} is too long"))
}

/// `transient=0.05`: checked against the sandbox's fault kinds.
fn parse_fault(raw: &str) -> Result<(String, f64), String> {
    let (kind, rate) = raw
        .split_once('=')
        .ok_or_else(|| format!("{raw:?}: expected KIND=RATE, e.g. transient=0.05"))?;
    let rate: f64 = rate
        .trim()
        .parse()
        .map_err(|_| format!("{raw:?}: the rate must be a number from 0 to 1"))?;
    FaultConfig::none().set_rate(kind.trim(), rate)?;
    Ok((kind.trim().to_string(), rate))
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

fn sandbox_config(args: &SandboxArgs) -> anyhow::Result<SandboxConfig> {
    let mut faults = match args.faults {
        Faults::None => FaultConfig::none(),
        Faults::Flaky => FaultConfig::flaky(),
    };
    for (kind, rate) in &args.fault_rates {
        faults.set_rate(kind, *rate).map_err(anyhow::Error::msg)?;
    }
    faults.seed = args.fault_seed;
    Ok(SandboxConfig {
        dataset: args.dataset,
        seed: args.seed,
        restatement: args.restatement,
        today: args.today,
        auto_approve: args.auto_approve,
        latency: Duration::from_millis(args.latency_ms),
        budget: if args.unlimited_budget {
            adsync_sandbox::BudgetConfig::unlimited()
        } else {
            adsync_sandbox::BudgetConfig {
                account_calls: args.account_calls,
                window: args.budget_window,
                block: args.budget_block,
                ..adsync_sandbox::BudgetConfig::default()
            }
        },
        short_token_ttl: args.short_token_ttl,
        long_token_ttl: args.long_token_ttl,
        max_page_size: args.max_page_size,
        max_days_x_fields: args.max_days_x_fields,
        max_request_rows: args.max_request_rows,
        async_steps: args.async_steps,
        faults,
        ..SandboxConfig::default()
    })
}

pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    match &args.command {
        Some(SandboxCommand::Truth {
            account,
            level,
            since,
            until,
        }) => {
            let today = args.today.unwrap_or_else(adsync_sandbox::Dataset::fixed_today);
            let ds = adsync_sandbox::Dataset::generate_until(args.dataset, args.seed, today);
            ds.set_restatement(args.restatement);
            let account = match account {
                Some(a) => a.clone(),
                None => ds
                    .accounts()
                    .first()
                    .map(|a| a.id.clone())
                    .context("the dataset has no accounts")?,
            };
            let (since, until) =
                adsync_common::dates::bounds_or_default(since.as_deref(), until.as_deref(), ds.today())?;
            let value =
                adsync_sandbox::truth(&ds, &account, parse_level(level)?, since, until).map_err(anyhow::Error::msg)?;
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(())
        }
        None => {
            let config = sandbox_config(&args)?;
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
                .await
                .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
            println!(
                "Graph API sandbox on http://127.0.0.1:{} (dataset {}, seed {}; app id {}, app secret {}). Ctrl-C stops it.",
                args.port, config.dataset, config.seed, config.app_id, config.app_secret
            );
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            adsync_sandbox::serve(config, listener, shutdown).await?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        sandbox: SandboxArgs,
    }

    fn parse(args: &[&str]) -> Result<SandboxArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("sandbox").chain(args.iter().copied())).map(|c| c.sandbox)
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("60d"), Ok(Duration::from_secs(60 * 86_400)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        for bad in ["", "h", "2w", "-1s", "1.5h", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn truth_takes_the_parents_dataset_seed_and_restatement() {
        for args in [
            &["--dataset", "medium", "--seed", "7", "--restatement", "2", "truth"][..],
            &["truth", "--dataset", "medium", "--seed", "7", "--restatement", "2"][..],
        ] {
            let a = parse(args).expect("parses");
            assert!(matches!(a.command, Some(SandboxCommand::Truth { .. })), "{args:?}");
            assert_eq!(
                (a.dataset, a.seed, a.restatement),
                (DatasetName::Medium, 7, 2),
                "{args:?}"
            );
        }
    }

    #[test]
    fn flags_reach_the_sandbox_config() {
        let a = parse(&[
            "--short-token-ttl",
            "90s",
            "--long-token-ttl",
            "1d",
            "--max-page-size",
            "100",
            "--async-steps",
            "6",
            "--faults",
            "flaky",
            "--fault",
            "transient=0.5",
            "--fault",
            "slow=0",
            "--fault-seed",
            "9",
        ])
        .expect("parses");
        let c = sandbox_config(&a).expect("config");
        assert_eq!(c.short_token_ttl, Duration::from_secs(90));
        assert_eq!(c.long_token_ttl, Duration::from_secs(86_400));
        assert_eq!((c.max_page_size, c.async_steps), (100, 6));
        assert_eq!((c.faults.transient, c.faults.slow), (0.5, 0.0));
        assert_eq!(c.faults.unknown_error, FaultConfig::flaky().unknown_error);
        assert_eq!((c.faults.seed, c.seed), (Some(9), 42));
        let d = sandbox_config(&parse(&[]).expect("defaults")).expect("config");
        assert_eq!(d.async_steps, SandboxConfig::default().async_steps);
        assert_eq!(d.short_token_ttl, SandboxConfig::default().short_token_ttl);
        assert_eq!(d.long_token_ttl, SandboxConfig::default().long_token_ttl);
        assert_eq!(d.faults.transient, 0.0);
        for bad in [
            &["--fault", "gremlins=0.1"][..],
            &["--fault", "transient=2"][..],
            &["--fault", "transient"][..],
            &["--max-page-size", "0"][..],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
