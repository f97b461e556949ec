//! The action lists of an insights row (`actions`, `action_values`, `cost_per_action_type`)
//! as the API writes them: one entry per action type with data, its default `value` and
//! the requested attribution windows.

use rust_decimal::Decimal;

use crate::format::{Object, rate_str, write_count, write_money, write_str};
use crate::metrics::{ADD_TO_CART, LANDING_PAGE_VIEWS, LINK_CLICKS, Metrics, PURCHASES, WINDOWS};

/// `cost_per_action_type`: spend per action, for the action types counted at all.
pub(crate) fn write_costs(w: &mut Object<'_>, spend: Decimal, actions: &[(&'static str, u64, Windows)]) {
    let costs: Vec<(&str, String)> = actions
        .iter()
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
#[derive(Clone, Copy)]
pub(crate) enum Windows {
    /// A conversion block of six windows.
    Block(usize),
    /// Clicks: counted in the click windows only, as the whole.
    ClicksOnly(u64),
}

impl Windows {
    pub fn get(self, m: &Metrics, window: usize) -> u64 {
        match self {
            Windows::Block(b) => m.get(b + window),
            Windows::ClicksOnly(n) if window < 3 => n,
            Windows::ClicksOnly(_) => 0,
        }
    }
}

/// The action types of a row with their default value, in the API's (alphabetical) order.
pub(crate) fn actions(m: &Metrics) -> [(&'static str, u64, Windows); 4] {
    [
        ("add_to_cart", m.conv_value(ADD_TO_CART), Windows::Block(ADD_TO_CART)),
        (
            "landing_page_view",
            m.get(LANDING_PAGE_VIEWS),
            Windows::ClicksOnly(m.get(LANDING_PAGE_VIEWS)),
        ),
        (
            "link_click",
            m.get(LINK_CLICKS),
            Windows::ClicksOnly(m.get(LINK_CLICKS)),
        ),
        ("purchase", m.conv_value(PURCHASES), Windows::Block(PURCHASES)),
    ]
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
