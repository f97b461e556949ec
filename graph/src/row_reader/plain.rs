//! The forms Facebook writes figures and days in, read without the general parsers (rust_decimal's,
//! chrono's): a page holds a few dozen of them a row. Anything else is left to those parsers.

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// The form every figure of a page takes (`"12.34"`, `"-5"`), read without rust_decimal's
/// general parser: 18 digits at most, digits on both sides of a point. `None` for any other
/// form, which the general parser then reads (or refuses).
pub(super) fn plain_decimal(s: &str) -> Option<Decimal> {
    let digits = s.strip_prefix('-').unwrap_or(s).as_bytes();
    let (mut mantissa, mut count, mut point) = (0i64, 0usize, None);
    for (i, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' if count < 18 => {
                mantissa = mantissa * 10 + i64::from(b - b'0');
                count += 1;
            }
            b'.' if point.is_none() && i > 0 => point = Some(i),
            _ => return None,
        }
    }
    let scale = match point {
        Some(at) if at + 1 == digits.len() => return None,
        Some(at) => u32::try_from(digits.len() - at - 1).ok()?,
        None => 0,
    };
    if count == 0 {
        return None;
    }
    Some(Decimal::new(
        if digits.len() < s.len() { -mantissa } else { mantissa },
        scale,
    ))
}

/// `YYYY-MM-DD`, the form Facebook writes days in, read without chrono's format parser;
/// `None` for any other form, which chrono then reads (or refuses).
pub(super) fn plain_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range]
            .iter()
            .try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn plain_figures_and_days_read_as_the_general_parsers_read_them() {
        for s in [
            "0",
            "12",
            "-5",
            "12.34",
            "0.000001",
            "999999999999999999",
            "12.50",
            "-0.5",
        ] {
            assert_eq!(plain_decimal(s), Decimal::from_str(s).ok(), "{s}");
            assert_eq!(
                plain_decimal(s).map(|d| d.scale()),
                Decimal::from_str(s).ok().map(|d| d.scale()),
                "{s}"
            );
        }
        for s in [
            "",
            "-",
            ".5",
            "5.",
            "1e3",
            "+1",
            "1,5",
            " 1",
            "1.2.3",
            "9999999999999999999",
            "١٢",
        ] {
            assert_eq!(plain_decimal(s), None, "{s}: left to the general parser");
        }
        for s in ["2026-11-01", "2024-02-29", "0001-01-01"] {
            assert_eq!(plain_date(s), s.parse().ok(), "{s}");
        }
        for s in [
            "2026-02-30",
            "2026-13-01",
            "2026-1-01",
            "2026/11/01",
            "20261101xx",
            "2026-11-0a",
        ] {
            assert_eq!(plain_date(s), None, "{s}");
        }
    }
}
