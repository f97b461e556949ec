//! JSON text written by hand, for the hot paths that skip serde's per-value dispatch (the
//! metrics API's rows, a daily row's actions): strings escaped exactly as serde_json does.

/// `s` in quotes, for text known to need no escaping (digits, days, metric names).
pub(crate) fn quoted(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// `s` as a JSON string, escaped exactly as serde_json escapes it. Ids, names and action
/// types rarely hold a quote, a backslash or a control character, so they are scanned once
/// and copied.
pub fn json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        quoted(out, s);
    } else {
        // Writing into a `Vec` cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// `n` with leading zeros to `width` digits (`width` 0: as JSON writes an integer).
pub fn push_padded(out: &mut Vec<u8>, n: i64, width: usize) {
    let mut b = itoa::Buffer::new();
    let digits = b.format(n);
    for _ in digits.len()..width {
        out.push(b'0');
    }
    out.extend_from_slice(digits.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for s in [
            "plain",
            "Say \"hi\"",
            "back\\slash",
            "tab\tnew\nline\u{1}",
            "é ünïcode ✓",
            "",
        ] {
            let mut out = Vec::new();
            json_str(&mut out, s);
            assert_eq!(
                String::from_utf8(out).expect("utf-8"),
                serde_json::to_string(s).expect("json")
            );
        }
        let mut out = Vec::new();
        push_padded(&mut out, -42, 0);
        push_padded(&mut out, 7, 2);
        assert_eq!(out, b"-4207");
    }
}
