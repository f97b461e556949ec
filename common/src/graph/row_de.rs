//! Reading insights rows straight from a page's JSON text into [`InsightRow`], without a
//! `serde_json::Value` per row first: that tree (a map per row, per action, a string per key)
//! cost more CPU in a backfill than everything else adsync does with the row.
//!
//! Facebook's encoding rules are those of the module above: numbers arrive as strings (plain
//! JSON numbers are accepted too), omitted or `null` fields are zero or absent, unknown string
//! fields are breakdown values. Errors name the field, never its value.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::row::{ActionStat, InsightRow, KNOWN, Windows};

/// The start of every message these visitors fail with; [`super::GraphError::decode`] keeps
/// such messages (they hold a field name, never a value).
pub(crate) const ROW_ERROR: &str = "insights row: ";

fn bad<E: de::Error>(field: &str) -> E {
    E::custom(format_args!("{ROW_ERROR}{field} is not in the expected format"))
}

/// Visitor methods that refuse a shape by the field's name: serde's own message for an
/// unexpected type could quote the value.
macro_rules! refuse_other_shapes {
    ($out:ty $(, $also:ident)*) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<$out, E> {
            Err(bad(self.0))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$out, E> {
            Err(bad(self.0))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$out, E> {
            Err(bad(self.0))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$out, E> {
            Err(bad(self.0))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$out, E> {
            Err(bad(self.0))
        }
        $(refuse_other_shapes!(@one $out, $also);)*
    };
    (@one $out:ty, visit_map) => {
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<$out, A::Error> {
            Err(bad(self.0))
        }
    };
    (@one $out:ty, visit_seq) => {
        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<$out, A::Error> {
            Err(bad(self.0))
        }
    };
    (@one $out:ty, visit_unit) => {
        fn visit_unit<E: de::Error>(self) -> Result<$out, E> {
            Err(bad(self.0))
        }
    };
}

/// A map key, borrowed from the page text unless it held escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// What a scalar field may hold: text, an integer, a float, or nothing (`null`). Anything
/// else (an object, a list) is `Other`, consumed and left for the field to refuse.
enum Scalar<'a> {
    Text(Cow<'a, str>),
    Int(i128),
    Float(f64),
    Null,
    Other,
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Text(Cow::Owned(s.to_owned())))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Int(n.into()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Int(n.into()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Float(n))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar<'de>, D::Error> {
                de::Deserialize::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(V)
    }
}

impl Scalar<'_> {
    fn text(self) -> Option<String> {
        match self {
            Scalar::Text(s) => Some(s.into_owned()),
            Scalar::Int(n) => Some(n.to_string()),
            Scalar::Float(n) => Some(n.to_string()),
            // Like a missing field: ids and names are optional.
            Scalar::Null | Scalar::Other => None,
        }
    }

    /// A count: missing or `null` is 0; `"12.5"` is an error.
    fn count<E: de::Error>(self, field: &str) -> Result<i64, E> {
        match self {
            Scalar::Text(s) => s.trim().parse().map_err(|_| bad(field)),
            Scalar::Int(n) => i64::try_from(n).map_err(|_| bad(field)),
            Scalar::Null => Ok(0),
            Scalar::Float(_) | Scalar::Other => Err(bad(field)),
        }
    }

    fn decimal<E: de::Error>(self, field: &str) -> Result<Option<Decimal>, E> {
        let parse = |s: &str| {
            Decimal::from_str(s)
                .or_else(|_| Decimal::from_scientific(s))
                .map_err(|_| bad(field))
        };
        match self {
            Scalar::Text(s) => parse(s.trim()).map(Some),
            Scalar::Int(n) => parse(&n.to_string()).map(Some),
            Scalar::Float(n) => parse(&n.to_string()).map(Some),
            Scalar::Null => Ok(None),
            Scalar::Other => Err(bad(field)),
        }
    }
}

/// One `actions` / `action_values` / `cost_per_action_type` list (`null` is empty).
struct ActionList(&'static str);

impl<'de> DeserializeSeed<'de> for ActionList {
    type Value = Vec<ActionStat>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<ActionStat>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ActionList {
    type Value = Vec<ActionStat>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.0)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Vec<ActionStat>, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<ActionStat>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(stat) = seq.next_element_seed(Action(self.0))? {
            out.push(stat);
        }
        Ok(out)
    }

    refuse_other_shapes!(Vec<ActionStat>, visit_map);
}

/// The action type, shared: a row names a few types and every row names the same few, so
/// each is allocated once per thread rather than once per row and list. Up to 64 are kept
/// (Facebook has a few dozen); any beyond are allocated as they come.
fn shared_action_type(s: &str) -> Arc<str> {
    thread_local! {
        static SEEN: RefCell<Vec<Arc<str>>> = const { RefCell::new(Vec::new()) };
    }
    SEEN.with_borrow_mut(|seen| {
        if let Some(t) = seen.iter().find(|t| ***t == *s) {
            return t.clone();
        }
        let t: Arc<str> = s.into();
        if seen.len() < 64 {
            seen.push(t.clone());
        }
        t
    })
}

/// One entry of an action list: `action_type`, the default `value`, and a figure per
/// attribution window (the other keys; text that is not a number, such as an action
/// breakdown label, is skipped).
struct Action(&'static str);

impl<'de> DeserializeSeed<'de> for Action {
    type Value = ActionStat;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ActionStat, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Action {
    type Value = ActionStat;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an entry of {}", self.0)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ActionStat, A::Error> {
        let field = self.0;
        let mut action_type = None;
        let mut value = Decimal::ZERO;
        let mut windows = Windows::default();
        while let Some(Key(key)) = map.next_key::<Key>()? {
            let key = key.as_ref();
            if !matches!(key, "action_type" | "value") && !Windows::is_window(key) {
                // Not a figure adsync keeps (an action breakdown's label, a key Facebook
                // added): skipped unread.
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let v: Scalar = map.next_value()?;
            match key {
                "action_type" => match v {
                    Scalar::Text(s) => action_type = Some(shared_action_type(&s)),
                    _ => return Err(bad(field)),
                },
                // `null` reads as omitted: 0 for the default value, no figure for a window.
                "value" => value = v.decimal(field)?.unwrap_or_default(),
                window => {
                    if let Some(d) = v.decimal(field)? {
                        windows.set(window, d);
                    }
                }
            }
        }
        Ok(ActionStat {
            action_type: action_type.ok_or_else(|| bad(field))?,
            value,
            windows,
        })
    }

    refuse_other_shapes!(ActionStat, visit_seq, visit_unit);
}

impl<'de> de::Deserialize<'de> for InsightRow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = InsightRow;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an insights row")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<InsightRow, A::Error> {
                let mut row = InsightRow::default();
                let (mut start, mut stop) = (None, None);
                let date = |v: Scalar, field: &str| -> Result<NaiveDate, A::Error> {
                    match v {
                        Scalar::Text(s) => s.parse::<NaiveDate>().map_err(|_| bad(field)),
                        _ => Err(bad(field)),
                    }
                };
                while let Some(Key(key)) = map.next_key::<Key>()? {
                    let k = key.as_ref();
                    match k {
                        "actions" => row.actions = map.next_value_seed(ActionList("actions"))?,
                        "action_values" => row.action_values = map.next_value_seed(ActionList("action_values"))?,
                        "cost_per_action_type" => {
                            row.cost_per_action_type = map.next_value_seed(ActionList("cost_per_action_type"))?
                        }
                        _ => {
                            let v: Scalar = map.next_value()?;
                            match k {
                                "account_id" => row.account_id = v.text(),
                                "campaign_id" => row.campaign_id = v.text(),
                                "campaign_name" => row.campaign_name = v.text(),
                                "adset_id" => row.adset_id = v.text(),
                                "adset_name" => row.adset_name = v.text(),
                                "ad_id" => row.ad_id = v.text(),
                                "ad_name" => row.ad_name = v.text(),
                                "date_start" => start = Some(date(v, k)?),
                                "date_stop" => stop = Some(date(v, k)?),
                                "impressions" => row.impressions = v.count(k)?,
                                "reach" => row.reach = v.count(k)?,
                                "clicks" => row.clicks = v.count(k)?,
                                "unique_clicks" => row.unique_clicks = v.count(k)?,
                                "inline_link_clicks" => row.inline_link_clicks = v.count(k)?,
                                "spend" => row.spend = v.decimal(k)?.unwrap_or_default(),
                                "frequency" => row.frequency = v.decimal(k)?,
                                "cpc" => row.cpc = v.decimal(k)?,
                                "cpm" => row.cpm = v.decimal(k)?,
                                "ctr" => row.ctr = v.decimal(k)?,
                                // Other known fields are not stored.
                                _ if KNOWN.contains(&k) => {}
                                // Any other text field is a breakdown value.
                                _ => {
                                    if let Scalar::Text(s) = v {
                                        row.breakdowns.insert(key.into_owned(), s.into_owned());
                                    }
                                }
                            }
                        }
                    }
                }
                row.date_start = start.ok_or_else(|| bad("date_start"))?;
                row.date_stop = stop.ok_or_else(|| bad("date_stop"))?;
                Ok(row)
            }
        }
        d.deserialize_map(V)
    }
}
