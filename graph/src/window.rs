//! Attribution windows, listed once: Facebook's default attribution (the `value` of an
//! action on the wire, stored as `default`) and the six windows adsync asks for by name.
//! Requests, rows, the stored figures, the purchase rollup's columns and the metrics API's
//! `window` parameter all use [`Window`].

use std::fmt;

use serde::{Serialize, Serializer};

/// One attribution window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Window {
    /// Facebook's default attribution (the ad account's setting).
    Default,
    Click1d,
    Click7d,
    Click28d,
    View1d,
    View7d,
    View28d,
}

impl Window {
    /// Every window, the default first: the order of stored figures and rollup columns.
    pub const ALL: [Window; 7] = [
        Window::Default,
        Window::Click1d,
        Window::Click7d,
        Window::Click28d,
        Window::View1d,
        Window::View7d,
        Window::View28d,
    ];

    /// The windows asked for by name (`action_attribution_windows`), in [`Window::ALL`]'s order.
    pub const NAMED: [Window; 6] = [
        Window::Click1d,
        Window::Click7d,
        Window::Click28d,
        Window::View1d,
        Window::View7d,
        Window::View28d,
    ];

    /// The stored name, which is also Facebook's name of a named window.
    pub const fn as_str(self) -> &'static str {
        match self {
            Window::Default => "default",
            Window::Click1d => "1d_click",
            Window::Click7d => "7d_click",
            Window::Click28d => "28d_click",
            Window::View1d => "1d_view",
            Window::View7d => "7d_view",
            Window::View28d => "28d_view",
        }
    }

    /// A stored name (`default`, `7d_click`, ...); `None` for anything else. A match, not a
    /// search: every key of every action on a page comes here.
    pub fn parse(name: &str) -> Option<Window> {
        Some(match name {
            "default" => Window::Default,
            "1d_click" => Window::Click1d,
            "7d_click" => Window::Click7d,
            "28d_click" => Window::Click28d,
            "1d_view" => Window::View1d,
            "7d_view" => Window::View7d,
            "28d_view" => Window::View28d,
            _ => return None,
        })
    }

    /// The place in [`Window::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The place in [`Window::NAMED`]; `None` for the default.
    pub const fn named_index(self) -> Option<usize> {
        match self {
            Window::Default => None,
            w => Some(w as usize - 1),
        }
    }

    /// The stored names, comma-separated (for error messages).
    pub fn names() -> String {
        Window::ALL.map(Window::as_str).join(", ")
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Window {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_places_agree() {
        for (i, w) in Window::ALL.into_iter().enumerate() {
            assert_eq!(Window::parse(w.as_str()), Some(w));
            assert_eq!(w.index(), i);
        }
        for (i, w) in Window::NAMED.into_iter().enumerate() {
            assert_eq!(w.named_index(), Some(i));
            assert_eq!(Window::ALL[i + 1], w);
        }
        assert_eq!(Window::Default.named_index(), None);
        assert_eq!(Window::parse("value"), None);
        assert_eq!(Window::parse("2d_click"), None);
        assert_eq!(
            serde_json::to_string(&Window::View7d).unwrap_or_default(),
            "\"7d_view\""
        );
    }
}
