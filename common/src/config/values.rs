//! Reading and checking single values: `.env`, log filters, URLs, versions and numbers.
//! Each failure is a [`ConfigError`] naming its variable, in one line, never echoing a
//! secret.

use url::Url;

use super::{ConfigError, invalid};

/// Loads `.env` from the working directory into the environment, if there is one.
/// Variables already set win over the file. A file that exists but cannot be read or parsed
/// is an error: silently ignoring it would run with settings the operator did not mean.
///
/// It sets process environment variables, so call it before starting other threads.
pub fn load_dotenv() -> Result<(), ConfigError> {
    const PATH: &str = ".env";
    match dotenvy::from_path(PATH) {
        Ok(()) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        Err(dotenvy::Error::LineParse(line, at)) => {
            // Name the line by number, never by content: it may hold a secret.
            let first = line.lines().next().unwrap_or_default();
            let number = std::fs::read_to_string(PATH)
                .ok()
                .and_then(|text| text.lines().position(|l| l == first))
                .map(|i| format!("line {}", i + 1))
                .unwrap_or_else(|| "a line".into());
            Err(invalid(
                ".env",
                format!("{number} is not KEY=VALUE (error at character {})", at + 1),
            ))
        }
        Err(e) => Err(invalid(".env", format!("cannot read it ({e})"))),
    }
}

/// A `RUST_LOG`-style filter, or `default`. Checked here so a typo fails at start instead
/// of silently logging at some other level.
pub fn log_filter(value: Option<String>, default: &str) -> Result<String, ConfigError> {
    let filter = value.unwrap_or_else(|| default.to_string());
    tracing_subscriber::EnvFilter::try_new(&filter).map_err(|e| {
        invalid(
            "RUST_LOG",
            format!("not a log filter ({e}), e.g. info or info,adsync=debug"),
        )
    })?;
    Ok(filter)
}

/// Rejects what could never connect: an unknown scheme, or a URL the database driver
/// cannot parse. The message never repeats the URL (it may carry a password).
pub(super) fn check_database_url(url: &str) -> Result<(), ConfigError> {
    use std::str::FromStr;
    let parsed = if let Some(rest) = url.strip_prefix("sqlite:") {
        let rest = rest.trim_start_matches("//");
        if rest.split('?').next().is_none_or(str::is_empty) && !rest.contains("mode=memory") {
            return Err(invalid(
                "DATABASE_URL",
                "names no SQLite file, e.g. sqlite://data/adsync.db",
            ));
        }
        sqlx::sqlite::SqliteConnectOptions::from_str(url).map(drop)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        sqlx::postgres::PgConnectOptions::from_str(url).map(drop)
    } else {
        return Err(invalid("DATABASE_URL", "must start with sqlite:// or postgres://"));
    };
    parsed.map_err(|e| invalid("DATABASE_URL", format!("malformed ({e})")))
}

/// The configuration's variables, read by name (trimmed, empty as unset). Each parser reads
/// the variable it names in its errors, so a call writes the name once.
pub(super) struct Vars<'a>(pub(super) &'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    /// A whole number within `range`.
    pub(super) fn num(
        &self,
        name: &'static str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<u64, ConfigError> {
        parse_num(name, (self.0)(name), default, range)
    }

    /// A duration (`30s`, `5m`, …) within `range`; `example` goes into the error.
    pub(super) fn duration(
        &self,
        name: &'static str,
        default: std::time::Duration,
        range: std::ops::RangeInclusive<std::time::Duration>,
        example: &str,
    ) -> Result<std::time::Duration, ConfigError> {
        parse_duration(name, (self.0)(name), default, range, example)
    }

    /// An http(s) URL with a host.
    pub(super) fn url(&self, name: &'static str, default: &str) -> Result<Url, ConfigError> {
        parse_url(name, (self.0)(name), default)
    }

    /// An id and its secret (an app's or a client's): both set, or neither.
    pub(super) fn pair(&self, id: &'static str, secret: &'static str) -> Result<Option<(String, String)>, ConfigError> {
        match ((self.0)(id), (self.0)(secret)) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(invalid(secret, format!("must be set when {id} is"))),
            (None, Some(_)) => Err(invalid(id, format!("must be set when {secret} is"))),
            (Some(i), Some(s)) => Ok(Some((i, s))),
        }
    }
}

fn parse_url(variable: &'static str, value: Option<String>, default: &str) -> Result<Url, ConfigError> {
    let raw = value.unwrap_or_else(|| default.to_string());
    let url = Url::parse(&raw).map_err(|e| invalid(variable, format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid(variable, "expected an http(s) URL with a host"));
    }
    Ok(url)
}

pub(super) fn parse_api_version(value: Option<String>) -> Result<String, ConfigError> {
    let v = value.unwrap_or_else(|| "v25.0".into());
    let ok = v.strip_prefix('v').is_some_and(|rest| {
        let mut it = rest.split('.');
        matches!((it.next(), it.next(), it.next()), (Some(a), Some(b), None)
            if !a.is_empty() && !b.is_empty() && a.chars().chain(b.chars()).all(|c| c.is_ascii_digit()))
    });
    if ok {
        Ok(v)
    } else {
        Err(invalid("FACEBOOK_API_VERSION", "expected a version like v25.0"))
    }
}

fn parse_num(
    variable: &'static str,
    value: Option<String>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let n = match value {
        None => default,
        Some(s) => s
            .parse()
            .map_err(|_| invalid(variable, format!("expected a whole number, got {s:?}")))?,
    };
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(invalid(
            variable,
            format!("must be between {} and {}", range.start(), range.end()),
        ))
    }
}

fn parse_duration(
    variable: &'static str,
    value: Option<String>,
    default: std::time::Duration,
    range: std::ops::RangeInclusive<std::time::Duration>,
    example: &str,
) -> Result<std::time::Duration, ConfigError> {
    let Some(s) = value else { return Ok(default) };
    humantime::parse_duration(&s)
        .ok()
        .filter(|d| range.contains(d))
        .ok_or_else(|| {
            invalid(
                variable,
                format!(
                    "expected a duration between {} and {}, e.g. {example}",
                    humantime::format_duration(*range.start()),
                    humantime::format_duration(*range.end())
                ),
            )
        })
}
