//! PostgreSQL's binary `COPY` format, for writing a page of daily rows with plain inserts
//! (<https://www.postgresql.org/docs/current/sql-copy.html>, "Binary Format"): a header, then
//! per row the field count and each field as its length and its value in the type's binary
//! form, then a trailer. No text to parse, no statement to plan, no tuple store in between.

use chrono::{DateTime, NaiveDate, Utc};

/// Days and microseconds count from PostgreSQL's epoch, 2000-01-01.
const PG_EPOCH_DAYS_FROM_CE: i32 = 730_120;
const PG_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

/// A binary `COPY` payload being written.
pub(crate) struct CopyBinary {
    buf: Vec<u8>,
}

impl CopyBinary {
    /// Starts a payload; `capacity` is a guess of its size in bytes.
    pub fn new(capacity: usize) -> Self {
        let mut buf = Vec::with_capacity(capacity + 23);
        buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        buf.extend_from_slice(&0i32.to_be_bytes()); // flags: no OIDs
        buf.extend_from_slice(&0i32.to_be_bytes()); // no header extension
        CopyBinary { buf }
    }

    /// Starts a row of `fields` fields.
    pub fn row(&mut self, fields: i16) {
        self.buf.extend_from_slice(&fields.to_be_bytes());
    }

    fn null(&mut self) {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
    }

    pub fn int8(&mut self, v: i64) {
        self.buf.extend_from_slice(&8i32.to_be_bytes());
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub fn opt_int8(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.int8(v),
            None => self.null(),
        }
    }

    /// Text longer than a field can be (2 GB) is not written by adsync; it would fail the
    /// statement rather than be cut.
    pub fn text(&mut self, s: &str) {
        let len = i32::try_from(s.len()).unwrap_or(i32::MAX);
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// A text field written in place by `write`, which appends UTF-8 to the buffer: no string
    /// of its own to build and copy.
    pub fn text_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        let at = self.buf.len();
        self.buf.extend_from_slice(&0i32.to_be_bytes());
        write(&mut self.buf);
        let len = i32::try_from(self.buf.len() - at - 4).unwrap_or(i32::MAX);
        self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
    }

    pub fn opt_text(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    pub fn date(&mut self, d: NaiveDate) {
        use chrono::Datelike;
        self.buf.extend_from_slice(&4i32.to_be_bytes());
        self.buf
            .extend_from_slice(&(d.num_days_from_ce() - PG_EPOCH_DAYS_FROM_CE).to_be_bytes());
    }

    pub fn timestamptz(&mut self, t: DateTime<Utc>) {
        self.int8(t.timestamp_micros() - PG_EPOCH_UNIX_MICROS);
    }

    /// The bytes written since the last [`CopyBinary::clear`]: a payload can be sent in
    /// pieces rather than held whole.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Forgets the bytes written so far (they were sent), keeping the buffer's capacity.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Writes the trailer that ends the payload.
    pub fn end(&mut self) {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_is_postgres_epoch() {
        let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).expect("day");
        let mut c = CopyBinary::new(0);
        c.row(2);
        c.date(epoch);
        c.timestamptz(epoch.and_hms_opt(0, 0, 1).expect("time").and_utc());
        c.end();
        let out = c.bytes();
        assert_eq!(&out[..11], b"PGCOPY\n\xff\r\n\0");
        assert_eq!(&out[19..21], &2i16.to_be_bytes());
        assert_eq!(&out[21..29], &[0, 0, 0, 4, 0, 0, 0, 0], "day 0 is 2000-01-01");
        assert_eq!(
            &out[29..41],
            &[0, 0, 0, 8, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x40],
            "one second"
        );
        assert_eq!(&out[41..], &(-1i16).to_be_bytes());
    }

    #[test]
    fn text_written_in_place_is_a_text_field() {
        let (mut a, mut b) = (CopyBinary::new(0), CopyBinary::new(0));
        a.text("[1,2]");
        b.text_with(|out| out.extend_from_slice(b"[1,2]"));
        b.text_with(|_| {});
        a.text("");
        assert_eq!(a.bytes(), b.bytes());
    }
}
