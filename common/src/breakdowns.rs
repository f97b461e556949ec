//! Breakdowns a team can enable: each is fetched on its own, beside the unbroken rows, at the
//! account and campaign levels, into rows keyed by their values (`insights_daily.breakdown`).
//!
//! A row's key is its breakdown values as a query string, keys in order and values
//! percent-encoded (`age=25-34`, `platform_position=feed&publisher_platform=facebook`,
//! `region=%C3%8Ele-de-France`), so a value holding `&` or `=` cannot be mistaken for two.
//! Reach is never summed across values: each row keeps its own, like every level's.
//! Facebook reports reach by breakdown for the last 13 months only; older rows are fetched
//! without it (`reach` NULL).

use std::fmt;

/// The breakdowns of the Marketing API that adsync fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Breakdown {
    Age,
    Gender,
    Country,
    Region,
    PublisherPlatform,
    /// Placements: Facebook gives them only with `publisher_platform`.
    PlatformPosition,
    DevicePlatform,
}

/// Months back Facebook reports reach (and other unique counts) by breakdown.
pub const REACH_MONTHS: u32 = 13;

impl Breakdown {
    pub const ALL: [Breakdown; 7] = [
        Breakdown::Age,
        Breakdown::Gender,
        Breakdown::Country,
        Breakdown::Region,
        Breakdown::PublisherPlatform,
        Breakdown::PlatformPosition,
        Breakdown::DevicePlatform,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Age => "age",
            Self::Gender => "gender",
            Self::Country => "country",
            Self::Region => "region",
            Self::PublisherPlatform => "publisher_platform",
            Self::PlatformPosition => "platform_position",
            Self::DevicePlatform => "device_platform",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Age => "Age",
            Self::Gender => "Gender",
            Self::Country => "Country",
            Self::Region => "Region",
            Self::PublisherPlatform => "Platform",
            Self::PlatformPosition => "Placement",
            Self::DevicePlatform => "Device",
        }
    }

    pub fn parse(raw: &str) -> Result<Breakdown, String> {
        Self::ALL.into_iter().find(|b| b.key() == raw).ok_or_else(|| {
            let keys: Vec<&str> = Self::ALL.iter().map(|b| b.key()).collect();
            format!("unknown breakdown {raw:?} (one of {})", keys.join(", "))
        })
    }

    /// A comma list (`age,country`), each once, in [`Breakdown::ALL`] order.
    pub fn parse_list(raw: &str) -> Result<Vec<Breakdown>, String> {
        let mut out = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            out.push(Self::parse(part)?);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The list as stored (`teams.breakdowns`).
    pub fn list_setting(list: &[Breakdown]) -> String {
        list.iter().map(|b| b.key()).collect::<Vec<_>>().join(",")
    }

    /// What the insights call asks for (`breakdowns`), in key order.
    pub fn api_keys(self) -> &'static [&'static str] {
        match self {
            Self::PlatformPosition => &["platform_position", "publisher_platform"],
            Self::Age => &["age"],
            Self::Gender => &["gender"],
            Self::Country => &["country"],
            Self::Region => &["region"],
            Self::PublisherPlatform => &["publisher_platform"],
            Self::DevicePlatform => &["device_platform"],
        }
    }

    /// Whether a row's key is one of this breakdown's rows (its keys, exactly).
    pub fn owns(self, row_key: &str) -> bool {
        let keys: Vec<&str> = row_key
            .split('&')
            .filter_map(|p| p.split_once('=').map(|(k, _)| k))
            .collect();
        keys == self.api_keys()
    }

    /// A SQL `LIKE` pattern the keys of this breakdown's rows match, and only they (with
    /// no `&` among the values, which are percent-encoded): `age=%`, or
    /// `platform_position=%&publisher_platform=%`. Together with [`Breakdown::parts`].
    pub fn like_pattern(self) -> String {
        self.api_keys()
            .iter()
            .map(|k| format!("{k}=%"))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// How many `&`-separated parts its keys have.
    pub fn parts(self) -> usize {
        self.api_keys().len()
    }
}

impl fmt::Display for Breakdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A row's breakdown key from its values (any order): keys sorted, values percent-encoded.
pub fn row_key<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
    pairs.sort();
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

/// A row's breakdown values back from its key.
pub fn values(row_key: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(row_key.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_values_cannot_break_them() {
        let key = row_key([("publisher_platform", "facebook"), ("platform_position", "feed")]);
        assert_eq!(key, "platform_position=feed&publisher_platform=facebook");
        assert!(Breakdown::PlatformPosition.owns(&key));
        assert!(!Breakdown::PublisherPlatform.owns(&key));
        let odd = row_key([("region", "Trinidad & Tobago = TT"), ("x", "")]);
        assert_eq!(
            values(&odd),
            [
                ("region".to_string(), "Trinidad & Tobago = TT".to_string()),
                ("x".to_string(), String::new())
            ]
        );
        assert_eq!(row_key([("region", "Île-de-France")]), "region=%C3%8Ele-de-France");
        assert_eq!(row_key(std::iter::empty()), "", "an unbroken row");
    }

    #[test]
    fn settings_parse_and_say_what_is_wrong() {
        assert_eq!(
            Breakdown::parse_list("country, age,age").expect("ok"),
            [Breakdown::Age, Breakdown::Country]
        );
        assert_eq!(
            Breakdown::list_setting(&[Breakdown::Age, Breakdown::DevicePlatform]),
            "age,device_platform"
        );
        assert!(
            Breakdown::parse_list("age,zodiac")
                .expect_err("bad")
                .contains("device_platform")
        );
        assert_eq!(Breakdown::parse_list("").expect("empty"), []);
        assert_eq!(
            Breakdown::PlatformPosition.like_pattern(),
            "platform_position=%&publisher_platform=%"
        );
    }
}
