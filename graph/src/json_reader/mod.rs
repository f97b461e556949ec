//! A pull reader of JSON text, for the one document adsync reads in bulk: pages of insights
//! rows. The caller walks the document (object keys, array elements, scalars) and takes
//! what it stores as it passes; strings without escapes are borrowed from the text, numbers
//! are handed over as their text, everything else is skipped without being built.
//!
//! Through serde's visitors the same walk cost more than everything else a backfill does in
//! adsync (docs/benchmarks.md). The grammar is RFC 8259's, checked as strictly as
//! serde_json checks it; escapes, the rare case, are decoded by serde_json itself.

use std::borrow::Cow;

/// Nesting deeper than this is refused rather than followed (the reader recurses to skip).
const MAX_DEPTH: u32 = 128;

/// The bytes that end a string's plain text: the closing quote, a backslash (an escape),
/// and control characters (which JSON requires escaped).
static ENDS_PLAIN_TEXT: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// How many bytes of `s` come before the first that ends a string's plain text (see
/// [`ENDS_PLAIN_TEXT`]). Eight bytes at a time while they last, then one at a time: a page is
/// mostly strings, and a byte loop over them was a fifth of reading it (memchr's setup costs
/// more than the few bytes of a key or a figure).
fn plain_text_len(s: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // A high bit for each byte of `v` below `n` (n <= 0x80); only the lowest one is exact,
    // which is the one wanted.
    let below = |v: u64, n: u8| v.wrapping_sub(ONES * u64::from(n)) & !v & HIGHS;
    let mut at = 0;
    for word in s.chunks_exact(8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let v = u64::from_le_bytes(bytes);
        let hits = below(v ^ (ONES * u64::from(b'"')), 1) | below(v ^ (ONES * u64::from(b'\\')), 1) | below(v, 0x20);
        if hits != 0 {
            return at + (hits.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + s[at..]
        .iter()
        .take_while(|b| !ENDS_PLAIN_TEXT[usize::from(**b)])
        .count()
}

/// Why the text is not the JSON expected. It gives the byte offset, never the text there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed JSON at byte {at}")]
pub(crate) struct Malformed {
    pub at: usize,
}

/// What the next value is, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

pub(crate) struct JsonReader<'a> {
    text: &'a str,
    at: usize,
    /// Set by `begin_object` / `begin_array` until the container's first key or element:
    /// only then may it end without a comma before its closing bracket.
    fresh: bool,
}

impl<'a> JsonReader<'a> {
    pub fn new(text: &'a str) -> Self {
        JsonReader {
            text,
            at: 0,
            fresh: false,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn malformed(&self) -> Malformed {
        Malformed { at: self.at }
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes().get(self.at) {
            self.at += 1;
        }
    }

    /// The next non-space byte, not consumed.
    fn next_byte(&mut self) -> Result<u8, Malformed> {
        self.skip_space();
        self.bytes().get(self.at).copied().ok_or_else(|| self.malformed())
    }

    fn expect(&mut self, b: u8) -> Result<(), Malformed> {
        if self.next_byte()? != b {
            return Err(self.malformed());
        }
        self.at += 1;
        Ok(())
    }

    /// The kind of the next value.
    pub fn peek(&mut self) -> Result<Kind, Malformed> {
        Ok(match self.next_byte()? {
            b'{' => Kind::Object,
            b'[' => Kind::Array,
            b'"' => Kind::String,
            b'-' | b'0'..=b'9' => Kind::Number,
            b't' | b'f' => Kind::Bool,
            b'n' => Kind::Null,
            _ => return Err(self.malformed()),
        })
    }

    /// Checks that only white space follows the document.
    pub fn finish(mut self) -> Result<(), Malformed> {
        self.skip_space();
        if self.at == self.text.len() {
            Ok(())
        } else {
            Err(self.malformed())
        }
    }

    pub fn begin_object(&mut self) -> Result<(), Malformed> {
        self.expect(b'{')?;
        self.fresh = true;
        Ok(())
    }

    /// The object's next key (its value is read next), or `None` at its end.
    pub fn next_key(&mut self) -> Result<Option<Cow<'a, str>>, Malformed> {
        if !self.more(b'}')? {
            return Ok(None);
        }
        if self.next_byte()? != b'"' {
            return Err(self.malformed());
        }
        let key = self.string()?;
        self.expect(b':')?;
        Ok(Some(key))
    }

    pub fn begin_array(&mut self) -> Result<(), Malformed> {
        self.expect(b'[')?;
        self.fresh = true;
        Ok(())
    }

    /// Whether the array has another element (read it next), or is at its end.
    pub fn next_element(&mut self) -> Result<bool, Malformed> {
        self.more(b']')
    }

    /// Past the comma between entries, or past the container's `close`.
    fn more(&mut self, close: u8) -> Result<bool, Malformed> {
        let b = self.next_byte()?;
        let first = std::mem::take(&mut self.fresh);
        if b == close {
            self.at += 1;
            return Ok(false);
        }
        if !first {
            if b != b',' {
                return Err(self.malformed());
            }
            self.at += 1;
        }
        Ok(true)
    }

    /// A string value: borrowed from the text unless it holds escapes.
    pub fn string(&mut self) -> Result<Cow<'a, str>, Malformed> {
        self.expect(b'"')?;
        let start = self.at;
        let bytes = self.bytes();
        let i = start + plain_text_len(&bytes[start..]);
        match bytes.get(i) {
            Some(b'"') => {
                self.at = i + 1;
                Ok(Cow::Borrowed(&self.text[start..i]))
            }
            Some(b'\\') => self.escaped_string(start, i),
            // The text ended, or a control character (which must be escaped).
            _ => Err(Malformed { at: i }),
        }
    }

    /// The rest of a string whose text from `start` holds an escape at `i`, decoded by
    /// serde_json.
    fn escaped_string(&mut self, start: usize, mut i: usize) -> Result<Cow<'a, str>, Malformed> {
        let bytes = self.bytes();
        loop {
            match bytes.get(i) {
                Some(b'"') => break,
                // The backslash and the character it escapes (a `\u`'s hex digits cannot be
                // a quote or a backslash).
                Some(b'\\') => i += 2,
                Some(&b) if b >= 0x20 => i += 1,
                _ => return Err(Malformed { at: i }),
            }
        }
        self.at = i + 1;
        serde_json::from_str::<String>(&self.text[start - 1..=i])
            .map(Cow::Owned)
            .map_err(|_| Malformed { at: start })
    }

    /// A number value, as its text (`-12.5e3`).
    pub fn number(&mut self) -> Result<&'a str, Malformed> {
        self.skip_space();
        let bytes = self.bytes();
        let start = self.at;
        let mut i = start;
        let digits = |i: &mut usize| {
            let from = *i;
            while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        match bytes.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                digits(&mut i);
            }
            _ => return Err(Malformed { at: i }),
        }
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return Err(Malformed { at: i });
            }
        }
        if let Some(b'e' | b'E') = bytes.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = bytes.get(i) {
                i += 1;
            }
            if !digits(&mut i) {
                return Err(Malformed { at: i });
            }
        }
        self.at = i;
        Ok(&self.text[start..i])
    }

    /// `true`, `false` or `null`.
    fn literal(&mut self) -> Result<&'a str, Malformed> {
        self.skip_space();
        let rest = &self.text[self.at..];
        for word in ["true", "false", "null"] {
            if rest.starts_with(word) {
                self.at += word.len();
                return Ok(word);
            }
        }
        Err(self.malformed())
    }

    /// Reads past the next value, checking it; returns its text.
    pub fn skip(&mut self) -> Result<&'a str, Malformed> {
        self.skip_space();
        let start = self.at;
        self.skip_nested(0)?;
        Ok(&self.text[start..self.at])
    }

    fn skip_nested(&mut self, depth: u32) -> Result<(), Malformed> {
        if depth > MAX_DEPTH {
            return Err(self.malformed());
        }
        match self.peek()? {
            Kind::Object => {
                self.begin_object()?;
                while self.next_key()?.is_some() {
                    self.skip_nested(depth + 1)?;
                }
            }
            Kind::Array => {
                self.begin_array()?;
                while self.next_element()? {
                    self.skip_nested(depth + 1)?;
                }
            }
            Kind::String => {
                self.string()?;
            }
            Kind::Number => {
                self.number()?;
            }
            Kind::Bool | Kind::Null => {
                self.literal()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
