//! The reader against serde_json on the same documents.

use super::*;

/// The document re-read into a `serde_json::Value` through the reader: what the reader
/// sees, to compare with what serde_json sees.
fn value(r: &mut JsonReader) -> Result<serde_json::Value, Malformed> {
    use serde_json::Value;
    Ok(match r.peek()? {
        Kind::Object => {
            r.begin_object()?;
            let mut m = serde_json::Map::new();
            while let Some(k) = r.next_key()? {
                m.insert(k.into_owned(), value(r)?);
            }
            Value::Object(m)
        }
        Kind::Array => {
            r.begin_array()?;
            let mut v = Vec::new();
            while r.next_element()? {
                v.push(value(r)?);
            }
            Value::Array(v)
        }
        Kind::String => Value::String(r.string()?.into_owned()),
        Kind::Number => serde_json::from_str(r.number()?).map_err(|_| r.malformed())?,
        Kind::Bool | Kind::Null => serde_json::from_str(r.literal()?).map_err(|_| r.malformed())?,
    })
}

fn read(text: &str) -> Result<serde_json::Value, Malformed> {
    let mut r = JsonReader::new(text);
    let v = value(&mut r)?;
    r.finish()?;
    Ok(v)
}

#[test]
fn reads_what_serde_json_reads() {
    for text in [
        r#"{"data": [{"a": "1", "b": -12.5e+3, "c": null, "d": [true, false, {}], "e": []}], "paging": {}}"#,
        r#" [ 0 , -0 , 1E2 , 0.25 , "x" ] "#,
        r#"{"esc\"aped": "line\nbreak \u00e9 \ud83d\ude00 \\ \/"}"#,
        r#""""#,
        "{}",
    ] {
        let expected: serde_json::Value = serde_json::from_str(text).expect(text);
        assert_eq!(read(text).expect(text), expected, "{text}");
    }
}

#[test]
fn refuses_what_serde_json_refuses() {
    for text in [
        "",
        "{",
        "[1,]",
        "[,1]",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{a:1}",
        "[1 2]",
        "01",
        "1.",
        "-",
        "1e",
        ".5",
        "\"tab\there\"",
        "\"bad \\x escape\"",
        "\"open",
        "tru",
        "nul",
        "[1] x",
        "{\"a\":1}}",
    ] {
        assert!(serde_json::from_str::<serde_json::Value>(text).is_err(), "{text}");
        assert!(read(text).is_err(), "{text:?} read");
    }
}

#[test]
fn plain_text_ends_at_the_first_quote_backslash_or_control_character() {
    for (s, len) in [
        ("", 0),
        ("abc", 3),
        ("abcdefgh", 8),
        ("abcdefghij\"", 10),
        ("abcdefg\"", 7),
        ("a\\b", 1),
        ("abcdefgh\u{1}", 8),
        ("\u{7f}\u{80}é✓ and more \"", 18),
        ("12345678901234567\n", 17),
    ] {
        assert_eq!(plain_text_len(s.as_bytes()), len, "{s:?}");
    }
    // Every position of every stop byte, after bytes that could upset the arithmetic.
    for stop in [b'"', b'\\', 0x00, 0x1f] {
        for at in 0..20 {
            let mut s = vec![0xffu8; 24];
            s.iter_mut().skip(1).step_by(2).for_each(|b| *b = 0x21);
            s[at] = stop;
            assert_eq!(plain_text_len(&s), at, "{stop:#x} at {at}");
        }
    }
    // Against the byte loop, over bytes drawn from a fixed sequence.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..2_000 {
        let s: Vec<u8> = (0..40)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mostly plain bytes, some stops.
                [b'a', 0xe2, 0x7f, 0x20, b'"', b'\\', 0x1f, 0x9c][(state % 8) as usize] | (state >> 60 & 0x10) as u8
            })
            .collect();
        let by_bytes = s.iter().take_while(|b| !ENDS_PLAIN_TEXT[usize::from(**b)]).count();
        assert_eq!(plain_text_len(&s), by_bytes, "{s:?}");
    }
}

#[test]
fn deep_nesting_is_refused_not_followed() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(JsonReader::new(&deep).skip().is_err());
    let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
    assert_eq!(JsonReader::new(&ok).skip(), Ok(ok.as_str()));
}

#[test]
fn errors_give_the_offset_not_the_text() {
    let e = read(r#"{"token": SECRET}"#).expect_err("malformed");
    assert_eq!(e.to_string(), "malformed JSON at byte 10");
}

mod generated {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::read;

    /// Any JSON document serde_json can write: nested lists and objects of every kind of
    /// scalar, strings with any character (control characters and quotes escaped).
    fn document() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1e15f64..1e15).prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn every_document_serde_json_writes_reads_as_it_reads_it(doc in document()) {
            for text in [
                serde_json::to_string(&doc).expect("json"),
                serde_json::to_string_pretty(&doc).expect("json"),
            ] {
                // Compared with serde_json's reading of the text, not with `doc`: without its
                // `float_roundtrip` feature serde_json may read back a neighbouring float.
                let expected: Value = serde_json::from_str(&text).expect("serde_json reads its own text");
                prop_assert_eq!(read(&text).ok(), Some(expected), "{}", text);
            }
        }

        /// Short texts of JSON's punctuation, digits and literal letters: mostly malformed,
        /// and what is not must read as serde_json reads it.
        #[test]
        fn any_text_is_refused_or_read_as_serde_json_reads_it(text in "[\\[\\]{}\",:0-9eE.+\\- \t\\\\tfrulnsau]{0,24}") {
            match serde_json::from_str::<Value>(&text) {
                Ok(v) => prop_assert_eq!(read(&text).ok(), Some(v)),
                Err(_) => prop_assert!(read(&text).is_err()),
            }
        }
    }
}
