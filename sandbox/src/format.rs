//! Number encodings of the Graph API: every number is a JSON string; money in the
//! account currency's decimals, rates with up to six decimals.

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

/// Minor units as the API's money string (`"12.34"`, or `"1234"` for JPY).
pub fn money_str(minor: u64, decimals: u32) -> String {
    money(minor, decimals).to_string()
}

/// A ratio with at most six decimals, trailing zeros trimmed (`"1.234568"`, `"2"`).
pub fn rate_str(num: Decimal, den: Decimal) -> Option<String> {
    if den.is_zero() {
        return None;
    }
    let v = (num / den).round_dp(6).normalize();
    Some(v.to_string())
}

/// Count as a string.
pub fn count_str(n: u64) -> String {
    n.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_uses_currency_decimals() {
        assert_eq!(money_str(1234, 2), "12.34");
        assert_eq!(money_str(1200, 2), "12.00");
        assert_eq!(money_str(5, 2), "0.05");
        assert_eq!(money_str(1234, currency_decimals("JPY")), "1234");
    }

    #[test]
    fn rates_are_trimmed_six_decimals() {
        let r = rate_str(Decimal::from(10), Decimal::from(3));
        assert_eq!(r.as_deref(), Some("3.333333"));
        assert_eq!(rate_str(Decimal::from(4), Decimal::from(2)).as_deref(), Some("2"));
        assert_eq!(rate_str(Decimal::ONE, Decimal::ZERO), None);
    }
}
