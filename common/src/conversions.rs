//! Standard conversions the way Ads Manager counts them. Meta reports one event under several
//! redundant action types (a purchase may come as `omni_purchase`, `purchase` and
//! `offsite_conversion.fb_pixel_purchase` at once, or as any one of them alone), so each
//! conversion is a precedence list: on every row the first type present wins and the others
//! are ignored, never added (docs/schema.md, "Conversions").
//!
//! This list is the one definition. The purchase rollup columns are computed from it when a
//! row is written, and `storage::conversions::publish` copies it into the
//! `conversion_action_types` table at start-up, which the `insight_conversions` view (the
//! metrics API's and Grafana's reader) joins.

use crate::graph::Window;
use crate::normalize::{ActionFigures, DailyRow};

/// One standard conversion.
#[derive(Debug, PartialEq, Eq)]
pub struct Conversion {
    /// Its key in the API, the team setting and `conversion_action_types.conversion`.
    pub key: &'static str,
    /// Plural label for tiles and tables ("Purchases").
    pub label: &'static str,
    /// The metric names of its count, value and cost per conversion.
    pub count_metric: &'static str,
    pub value_metric: &'static str,
    pub cost_metric: &'static str,
    /// The Ads Manager column this matches.
    pub ads_manager: &'static str,
    /// Action types in precedence order: the first one a row carries is the row's figure.
    pub action_types: &'static [&'static str],
}

pub const PURCHASES: Conversion = Conversion {
    key: "purchases",
    label: "Purchases",
    count_metric: "purchases",
    value_metric: "purchase_value",
    cost_metric: "cost_per_purchase",
    ads_manager: "Purchases / Purchases conversion value",
    action_types: &[
        "omni_purchase",
        "purchase",
        "offsite_conversion.fb_pixel_purchase",
        "onsite_web_purchase",
        "onsite_web_app_purchase",
        "web_in_store_purchase",
        "app_custom_event.fb_mobile_purchase",
        "offline_conversion.purchase",
        "onsite_conversion.purchase",
    ],
};

pub const LEADS: Conversion = Conversion {
    key: "leads",
    label: "Leads",
    count_metric: "leads",
    value_metric: "lead_value",
    cost_metric: "cost_per_lead",
    ads_manager: "Leads",
    action_types: &[
        "omni_lead",
        "lead",
        "offsite_conversion.fb_pixel_lead",
        "onsite_conversion.lead_grouped",
        "leadgen_grouped",
    ],
};

pub const ADD_TO_CART: Conversion = Conversion {
    key: "add_to_cart",
    label: "Adds to cart",
    count_metric: "add_to_cart",
    value_metric: "add_to_cart_value",
    cost_metric: "cost_per_add_to_cart",
    ads_manager: "Adds to cart / Adds to cart conversion value",
    action_types: &[
        "omni_add_to_cart",
        "add_to_cart",
        "offsite_conversion.fb_pixel_add_to_cart",
        "onsite_web_add_to_cart",
        "onsite_web_app_add_to_cart",
        "app_custom_event.fb_mobile_add_to_cart",
        "offline_conversion.add_to_cart",
        "onsite_conversion.add_to_cart",
    ],
};

pub const INITIATE_CHECKOUT: Conversion = Conversion {
    key: "initiate_checkout",
    label: "Checkouts initiated",
    count_metric: "initiate_checkout",
    value_metric: "initiate_checkout_value",
    cost_metric: "cost_per_initiate_checkout",
    ads_manager: "Checkouts initiated / Checkouts initiated conversion value",
    action_types: &[
        "omni_initiated_checkout",
        "initiate_checkout",
        "offsite_conversion.fb_pixel_initiate_checkout",
        "onsite_web_initiate_checkout",
        "app_custom_event.fb_mobile_initiated_checkout",
        "offline_conversion.initiate_checkout",
        "onsite_conversion.initiate_checkout",
    ],
};

pub const COMPLETE_REGISTRATION: Conversion = Conversion {
    key: "complete_registration",
    label: "Registrations completed",
    count_metric: "complete_registration",
    value_metric: "complete_registration_value",
    cost_metric: "cost_per_complete_registration",
    ads_manager: "Registrations completed",
    action_types: &[
        "omni_complete_registration",
        "complete_registration",
        "offsite_conversion.fb_pixel_complete_registration",
        "onsite_web_complete_registration",
        "app_custom_event.fb_mobile_complete_registration",
        "offline_conversion.complete_registration",
        "onsite_conversion.complete_registration",
    ],
};

pub const APP_INSTALLS: Conversion = Conversion {
    key: "app_installs",
    label: "App installs",
    count_metric: "app_installs",
    value_metric: "app_install_value",
    cost_metric: "cost_per_app_install",
    ads_manager: "App installs",
    action_types: &["omni_app_install", "app_install", "mobile_app_install"],
};

/// Every standard conversion, purchases first (the default primary conversion).
pub const CONVERSIONS: [&Conversion; 6] = [
    &PURCHASES,
    &LEADS,
    &ADD_TO_CART,
    &INITIATE_CHECKOUT,
    &COMPLETE_REGISTRATION,
    &APP_INSTALLS,
];

impl Conversion {
    pub fn by_key(key: &str) -> Option<&'static Conversion> {
        CONVERSIONS.into_iter().find(|c| c.key == key)
    }

    /// The conversion whose precedence list holds `action_type`, if any.
    pub fn of_action_type(action_type: &str) -> Option<&'static Conversion> {
        CONVERSIONS.into_iter().find(|c| c.action_types.contains(&action_type))
    }

    /// The row's figures for this conversion: those of the first action type of the list the
    /// row carries (in any window), or `None` when it carries none of them.
    pub fn pick<'a>(&self, actions: &'a [ActionFigures]) -> Option<&'a ActionFigures> {
        // Lists are short and rows carry a few types: a scan beats any index.
        self.action_types
            .iter()
            .find_map(|t| actions.iter().find(|a| &*a.action_type == *t))
    }
}

/// What a team counts as its result: a standard conversion or any action type (a custom
/// conversion `offsite_conversion.custom.<id>`, say). Stored as the conversion's key or as
/// `action:<type>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Goal {
    Standard(&'static Conversion),
    ActionType(String),
}

impl Default for Goal {
    fn default() -> Self {
        Goal::Standard(&PURCHASES)
    }
}

/// The prefix of an action type named as a metric or a goal.
pub const ACTION_PREFIX: &str = "action:";

/// Checks an action type named by a user: Facebook's types are ASCII words joined by `.`, `_`
/// and `-` (`offsite_conversion.custom.123456789`), so anything else is a typo, not a type.
pub fn check_action_type(raw: &str) -> Result<&str, String> {
    let ok = !raw.is_empty()
        && raw.len() <= 200
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(raw)
    } else {
        Err(format!(
            "{raw:?} is not an action type (letters, digits, '_', '.' and '-', at most 200 characters)"
        ))
    }
}

impl Goal {
    /// Parses `purchases`, `leads`, … or `action:<type>`.
    pub fn parse(raw: &str) -> Result<Goal, String> {
        if let Some(t) = raw.strip_prefix(ACTION_PREFIX) {
            return Ok(Goal::ActionType(check_action_type(t)?.to_string()));
        }
        Conversion::by_key(raw).map(Goal::Standard).ok_or_else(|| {
            let keys: Vec<&str> = CONVERSIONS.iter().map(|c| c.key).collect();
            format!(
                "unknown conversion {raw:?} (one of {}, or action:<action type>)",
                keys.join(", ")
            )
        })
    }

    /// The stored form, which [`Goal::parse`] reads back.
    pub fn as_setting(&self) -> String {
        match self {
            Goal::Standard(c) => c.key.to_string(),
            Goal::ActionType(t) => format!("{ACTION_PREFIX}{t}"),
        }
    }

    /// Plural label ("Purchases", or the action type itself).
    pub fn label(&self) -> String {
        match self {
            Goal::Standard(c) => c.label.to_string(),
            Goal::ActionType(t) => t.clone(),
        }
    }
}

impl DailyRow {
    /// Purchases per window, then purchase values per window (micro-units), in the order of
    /// [`crate::normalize::purchase_columns`]: the figures of the row's first purchase type in
    /// [`PURCHASES`]' precedence. A window Facebook did not report counts 0.
    pub fn purchase_rollup(&self) -> [i64; 2 * Window::ALL.len()] {
        let mut out = [0; 2 * Window::ALL.len()];
        if let Some(p) = PURCHASES.pick(&self.actions) {
            for w in Window::ALL {
                out[w.index()] = p.counts[w.index()].unwrap_or(0);
                out[w.index() + Window::ALL.len()] = p.values[w.index()].unwrap_or(0);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(action_type: &str, default: i64) -> ActionFigures {
        let mut f = ActionFigures::new(action_type);
        f.set(Window::Default, default, None);
        f
    }

    #[test]
    fn the_first_type_present_wins_and_redundant_buckets_are_never_added() {
        let row = vec![
            figures("offsite_conversion.fb_pixel_purchase", 6),
            figures("link_click", 40),
            figures("purchase", 7),
            figures("omni_purchase", 8),
        ];
        assert_eq!(PURCHASES.pick(&row).map(|a| &*a.action_type), Some("omni_purchase"));
        let pixel_only = vec![figures("offsite_conversion.fb_pixel_purchase", 6)];
        assert_eq!(PURCHASES.pick(&pixel_only).and_then(|a| a.counts[0]), Some(6));
        assert!(LEADS.pick(&row).is_none());
        let app = [figures("app_custom_event.fb_mobile_purchase", 2)];
        assert_eq!(PURCHASES.pick(&app).and_then(|a| a.counts[0]), Some(2));
    }

    #[test]
    fn every_action_type_belongs_to_one_conversion_at_most() {
        let mut seen = std::collections::HashSet::new();
        for c in CONVERSIONS {
            assert!(!c.action_types.is_empty());
            for t in c.action_types {
                assert!(seen.insert(*t), "{t} is listed twice");
                assert!(check_action_type(t).is_ok());
            }
        }
        assert_eq!(Conversion::of_action_type("leadgen_grouped"), Some(&LEADS));
        assert_eq!(Conversion::of_action_type("link_click"), None);
    }

    #[test]
    fn goals_round_trip_and_bad_ones_say_why() {
        for raw in [
            "purchases",
            "leads",
            "app_installs",
            "action:offsite_conversion.custom.123",
        ] {
            assert_eq!(Goal::parse(raw).expect(raw).as_setting(), raw);
        }
        assert_eq!(Goal::default().as_setting(), "purchases");
        assert!(Goal::parse("sales").expect_err("unknown").contains("leads"));
        assert!(Goal::parse("action:").is_err());
        assert!(Goal::parse("action:a b").is_err());
        assert!(Goal::parse("action:x'; DROP TABLE teams; --").is_err());
    }
}
