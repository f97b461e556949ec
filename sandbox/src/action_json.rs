//! The action lists of an insights row (`actions`, `action_values`, `cost_per_action_type`)
//! as the API writes them: one entry per action type with data, its default `value` and
//! the requested attribution windows.

use rust_decimal::Decimal;

use crate::dataset::{Account, Reporting};
use crate::figures::{
    ADD_TO_CART, APP_PURCHASE_VALUE, APP_PURCHASES, DEFAULT_WINDOWS, Figures, INITIATE_CHECKOUT, INSTALLS,
    LANDING_PAGE_VIEWS, LEADS, LINK_CLICKS, PURCHASE_VALUE, PURCHASES, QUALIFIED_LEADS, WINDOWS,
};
use crate::format::{Object, rate_str, write_count, write_money, write_str};

/// `cost_per_action_type`: spend per action, for the action types counted at all.
pub(crate) fn write_costs(w: &mut Object<'_>, spend: Decimal, actions: &[ActionType<'_>], m: &Figures) {
    let costs: Vec<(&str, String)> = actions
        .iter()
        .map(|a| (a.name, a.windows.default_value(m)))
        .filter(|a| a.1 > 0)
        .filter_map(|a| rate_str(spend, Decimal::from(a.1)).map(|v| (a.0, v)))
        .collect();
    if costs.is_empty() {
        return;
    }
    w.key("cost_per_action_type");
    w.out.push(b'[');
    for (i, (kind, v)) in costs.iter().enumerate() {
        if i > 0 {
            w.out.push(b',');
        }
        w.out.extend_from_slice(b"{\"action_type\":");
        write_str(w.out, kind);
        w.out.extend_from_slice(b",\"value\":");
        write_str(w.out, v);
        w.out.push(b'}');
    }
    w.out.push(b']');
}

/// Where an action type's per-window figures come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Windows {
    /// A conversion block of six windows.
    Block(usize),
    /// Clicks: counted in the click windows only, as the whole.
    ClicksOnly(u64),
    /// A block less a part of it (the web's purchases: all of them less the app's).
    Less(usize, usize),
    /// A block times a fixed amount (a custom conversion's value: so much per conversion).
    Times(usize, u64),
}

impl Windows {
    pub fn get(self, m: &Figures, window: usize) -> u64 {
        match self {
            Windows::Block(b) => m.get(b + window),
            Windows::ClicksOnly(n) if window < 3 => n,
            Windows::ClicksOnly(_) => 0,
            // A breakdown splits each block on its own: a part can exceed its whole there.
            Windows::Less(b, part) => m.get(b + window).saturating_sub(m.get(part + window)),
            Windows::Times(b, amount) => m.get(b + window) * amount,
        }
    }

    /// The default attribution's figure, the `value` field: 7-day click plus 1-day view.
    pub fn default_value(self, m: &Figures) -> u64 {
        DEFAULT_WINDOWS.iter().map(|&w| self.get(m, w)).sum()
    }
}

/// One action type an account reports and where its figures come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ActionType<'a> {
    pub name: &'a str,
    pub windows: Windows,
}

fn sorted(mut list: Vec<ActionType<'_>>) -> Vec<ActionType<'_>> {
    list.sort_by_key(|a| a.name);
    list
}

/// The action types of the account's rows (`actions`), in the API's (alphabetical) order.
/// Which types carry a conversion is the account's [`Reporting`].
pub(crate) fn actions<'a>(account: &'a Account, m: &Figures) -> Vec<ActionType<'a>> {
    use Windows::{Block, ClicksOnly, Less};
    let t = |name: &'a str, windows| ActionType { name, windows };
    let lpv = t("landing_page_view", ClicksOnly(m.get(LANDING_PAGE_VIEWS)));
    let link = t("link_click", ClicksOnly(m.get(LINK_CLICKS)));
    sorted(match account.reporting {
        Reporting::PurchaseOnly => vec![
            t("add_to_cart", Block(ADD_TO_CART)),
            lpv,
            link,
            t("purchase", Block(PURCHASES)),
        ],
        Reporting::AllBuckets => vec![
            t("add_to_cart", Block(ADD_TO_CART)),
            t("app_custom_event.fb_mobile_purchase", Block(APP_PURCHASES)),
            t("initiate_checkout", Block(INITIATE_CHECKOUT)),
            lpv,
            link,
            t("offsite_conversion.fb_pixel_add_to_cart", Block(ADD_TO_CART)),
            t(
                "offsite_conversion.fb_pixel_initiate_checkout",
                Block(INITIATE_CHECKOUT),
            ),
            t("offsite_conversion.fb_pixel_purchase", Less(PURCHASES, APP_PURCHASES)),
            t("omni_add_to_cart", Block(ADD_TO_CART)),
            t("omni_initiated_checkout", Block(INITIATE_CHECKOUT)),
            t("omni_purchase", Block(PURCHASES)),
            t("onsite_web_purchase", Less(PURCHASES, APP_PURCHASES)),
            t("purchase", Block(PURCHASES)),
        ],
        Reporting::PixelOnly => vec![
            lpv,
            link,
            t("offsite_conversion.fb_pixel_add_to_cart", Block(ADD_TO_CART)),
            t(
                "offsite_conversion.fb_pixel_initiate_checkout",
                Block(INITIATE_CHECKOUT),
            ),
            t("offsite_conversion.fb_pixel_purchase", Block(PURCHASES)),
        ],
        Reporting::OmniOnly => vec![
            lpv,
            link,
            t("omni_add_to_cart", Block(ADD_TO_CART)),
            t("omni_initiated_checkout", Block(INITIATE_CHECKOUT)),
            t("omni_purchase", Block(PURCHASES)),
        ],
        Reporting::AppOnly => vec![
            t("app_custom_event.fb_mobile_add_to_cart", Block(ADD_TO_CART)),
            t("app_custom_event.fb_mobile_purchase", Block(PURCHASES)),
            link,
            t("mobile_app_install", Block(INSTALLS)),
            t("omni_app_install", Block(INSTALLS)),
        ],
        Reporting::LeadGen => {
            let mut list = vec![
                lpv,
                t("lead", Block(LEADS)),
                t("leadgen_grouped", Block(LEADS)),
                link,
                t("offline_conversion.purchase", Block(PURCHASES)),
                t("onsite_conversion.lead_grouped", Block(LEADS)),
            ];
            list.extend(
                account
                    .custom_conversion
                    .as_deref()
                    .map(|c| t(c, Block(QUALIFIED_LEADS))),
            );
            list
        }
    })
}

/// A qualified lead's value in a lead-generation account, in minor units (25.00).
pub(crate) const QUALIFIED_LEAD_VALUE: u64 = 2500;

/// The action types with a value (`action_values`), in the API's order; amounts in minor
/// units of the account currency.
pub(crate) fn values(account: &Account) -> Vec<ActionType<'_>> {
    use Windows::{Block, Less, Times};
    let t = |name, windows| ActionType { name, windows };
    sorted(match account.reporting {
        Reporting::PurchaseOnly => vec![t("purchase", Block(PURCHASE_VALUE))],
        Reporting::AllBuckets => vec![
            t("app_custom_event.fb_mobile_purchase", Block(APP_PURCHASE_VALUE)),
            t(
                "offsite_conversion.fb_pixel_purchase",
                Less(PURCHASE_VALUE, APP_PURCHASE_VALUE),
            ),
            t("omni_purchase", Block(PURCHASE_VALUE)),
            t("onsite_web_purchase", Less(PURCHASE_VALUE, APP_PURCHASE_VALUE)),
            t("purchase", Block(PURCHASE_VALUE)),
        ],
        Reporting::PixelOnly => vec![t("offsite_conversion.fb_pixel_purchase", Block(PURCHASE_VALUE))],
        Reporting::OmniOnly => vec![t("omni_purchase", Block(PURCHASE_VALUE))],
        Reporting::AppOnly => vec![t("app_custom_event.fb_mobile_purchase", Block(PURCHASE_VALUE))],
        Reporting::LeadGen => {
            let mut list = vec![t("offline_conversion.purchase", Block(PURCHASE_VALUE))];
            list.extend(
                account
                    .custom_conversion
                    .as_deref()
                    .map(|c| t(c, Times(QUALIFIED_LEADS, QUALIFIED_LEAD_VALUE))),
            );
            list
        }
    })
}

/// How an action list's numbers are written.
#[derive(Clone, Copy)]
pub(crate) enum Amount {
    Count,
    /// Minor units in a currency with this many decimals.
    Money(u32),
}

/// An action list (`actions`, `action_values`) being written; omitted when no entry has data.
pub(crate) struct List<'w, 'o> {
    obj: &'w mut Object<'o>,
    key: &'static str,
    entries: usize,
}

impl<'w, 'o> List<'w, 'o> {
    pub fn open(obj: &'w mut Object<'o>, key: &'static str) -> Self {
        List { obj, key, entries: 0 }
    }

    /// `{"action_type":..,"value":..,"<window>":..}` with the requested windows that have
    /// data; nothing when neither the value nor any window has.
    pub fn entry(&mut self, kind: &str, value: u64, windows: &[usize], window: impl Fn(usize) -> u64, amount: Amount) {
        if value == 0 && windows.iter().all(|&i| window(i) == 0) {
            return;
        }
        if self.entries == 0 {
            self.obj.key(self.key);
            self.obj.out.push(b'[');
        } else {
            self.obj.out.push(b',');
        }
        self.entries += 1;
        let out = &mut *self.obj.out;
        let number = |out: &mut Vec<u8>, n: u64| match amount {
            Amount::Count => write_count(out, n),
            Amount::Money(decimals) => write_money(out, n, decimals),
        };
        out.extend_from_slice(b"{\"action_type\":");
        write_str(out, kind);
        out.extend_from_slice(b",\"value\":");
        number(out, value);
        for &i in windows {
            let v = window(i);
            if v > 0 {
                out.push(b',');
                write_str(out, WINDOWS[i]);
                out.push(b':');
                number(out, v);
            }
        }
        out.push(b'}');
    }

    pub fn close(self) {
        if self.entries > 0 {
            self.obj.out.push(b']');
        }
    }
}
