//! Number encodings of the Graph API: every number is a JSON string; money in the
//! account currency's decimals, rates with up to six decimals. Written straight into a
//! response's buffer (see `row_json`).

use rust_decimal::Decimal;

/// Decimal places of a currency (zero-decimal currencies as Facebook lists them).
pub fn currency_decimals(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "CLP" | "COP" | "HUF" | "ISK" | "TWD" | "VND" | "IDR" | "PYG" => 0,
        _ => 2,
    }
}

/// Minor units to a `Decimal` with the currency's scale (`1234` cents → `12.34`).
pub fn money(minor: u64, decimals: u32) -> Decimal {
    Decimal::from_i128_with_scale(i128::from(minor), decimals)
}

/// A ratio with at most six decimals, trailing zeros trimmed (`"1.234568"`, `"2"`).
pub fn rate_str(num: Decimal, den: Decimal) -> Option<String> {
    if den.is_zero() {
        return None;
    }
    let v = (num / den).round_dp(6).normalize();
    Some(v.to_string())
}

/// `s` as a JSON string (names can hold quotes and anything else). Most text needs no
/// escape and is copied after one scan rather than written through serde_json.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing into a `Vec` cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// A count as the API's string: `"1234"`.
pub fn write_count(out: &mut Vec<u8>, n: u64) {
    out.push(b'"');
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    out.push(b'"');
}

/// Minor units as the API's money string: `"12.34"`, `"0.05"`, or `"1234"` for JPY.
pub fn write_money(out: &mut Vec<u8>, minor: u64, decimals: u32) {
    let scale = 10u64.pow(decimals);
    out.push(b'"');
    out.extend_from_slice(itoa::Buffer::new().format(minor / scale).as_bytes());
    if decimals > 0 {
        out.push(b'.');
        let mut digits = itoa::Buffer::new();
        let frac = digits.format(minor % scale).as_bytes();
        out.resize(out.len() + decimals as usize - frac.len(), b'0');
        out.extend_from_slice(frac);
    }
    out.push(b'"');
}

/// A JSON object being written: keeps track of the commas.
pub(crate) struct Object<'o> {
    pub out: &'o mut Vec<u8>,
    empty: bool,
}

impl<'o> Object<'o> {
    pub fn open(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        Object { out, empty: true }
    }

    pub fn close(self) {
        self.out.push(b'}');
    }

    /// `"key":`, after a comma unless it is the first. Keys are the API's field names and
    /// attribution windows (`[a-z0-9_]`, checked in debug builds), copied without a scan:
    /// a row has a few dozen of them.
    pub fn key(&mut self, key: &str) {
        debug_assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "{key}");
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    pub fn text(&mut self, key: &str, value: &str) {
        self.key(key);
        write_str(self.out, value);
    }

    pub fn count(&mut self, key: &str, n: u64) {
        self.key(key);
        write_count(self.out, n);
    }

    /// A count the API omits when it is zero.
    pub fn nonzero(&mut self, key: &str, n: u64) {
        if n > 0 {
            self.count(key, n);
        }
    }

    pub fn money(&mut self, key: &str, minor: u64, decimals: u32) {
        self.key(key);
        write_money(self.out, minor, decimals);
    }

    /// A ratio, omitted when its denominator is zero.
    pub fn rate(&mut self, key: &str, num: Decimal, den: Decimal) {
        if let Some(v) = rate_str(num, den) {
            self.text(key, &v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(write: impl Fn(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        write(&mut out);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn money_uses_currency_decimals() {
        assert_eq!(written(|o| write_money(o, 1234, 2)), r#""12.34""#);
        assert_eq!(written(|o| write_money(o, 1200, 2)), r#""12.00""#);
        assert_eq!(written(|o| write_money(o, 5, 2)), r#""0.05""#);
        assert_eq!(written(|o| write_money(o, 0, 2)), r#""0.00""#);
        assert_eq!(written(|o| write_money(o, 1234, currency_decimals("JPY"))), r#""1234""#);
        // The same text as the exact decimal.
        for minor in [7, 99, 100, 123_456_789] {
            assert_eq!(
                written(|o| write_money(o, minor, 2)),
                format!("\"{}\"", money(minor, 2))
            );
        }
    }

    #[test]
    fn counts_and_text() {
        assert_eq!(written(|o| write_count(o, 0)), r#""0""#);
        assert_eq!(written(|o| write_count(o, u64::MAX)), format!("\"{}\"", u64::MAX));
        assert_eq!(written(|o| write_str(o, "a\"b\\c\u{1}")), r#""a\"b\\c\u0001""#);
        for plain in ["Video Spring #1", "é ünïcode ✓", ""] {
            assert_eq!(
                written(|o| write_str(o, plain)),
                serde_json::to_string(plain).expect("json")
            );
        }
    }

    #[test]
    fn rates_are_trimmed_six_decimals() {
        let r = rate_str(Decimal::from(10), Decimal::from(3));
        assert_eq!(r.as_deref(), Some("3.333333"));
        assert_eq!(rate_str(Decimal::from(4), Decimal::from(2)).as_deref(), Some("2"));
        assert_eq!(rate_str(Decimal::ONE, Decimal::ZERO), None);
    }

    #[test]
    fn keys_are_separated_and_text_is_escaped() {
        let mut out = Vec::new();
        let mut w = Object::open(&mut out);
        w.text("name", "Say \"hi\"\n");
        w.nonzero("clicks", 0);
        w.count("impressions", 42);
        w.close();
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            r#"{"name":"Say \"hi\"\n","impressions":"42"}"#
        );
    }
}
