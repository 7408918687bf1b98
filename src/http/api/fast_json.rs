//! JSON bodies for the hot list routes. `axum::Json` writes into a 128-byte buffer that grows (and is
//! copied) many times for a 50-row page, and chrono formats each timestamp through `fmt` machinery;
//! together they were a quarter of the process's CPU for `GET /users?limit=50`. Here the body is
//! written into a buffer sized for the page, and UTC timestamps are written digit by digit in the same
//! RFC 3339 form chrono's serde gives (`2026-11-21T12:00:00.123456Z`).

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

use crate::error::Error;
use crate::http::api::error::ApiError;

/// A JSON response written into a buffer of `capacity` bytes to start with.
pub struct SizedJson<T> {
    pub value: T,
    pub capacity: usize,
}

impl<T: Serialize> SizedJson<T> {
    /// The JSON text.
    pub fn to_bytes(&self) -> Result<Bytes, Error> {
        let mut body = Vec::with_capacity(self.capacity);
        serde_json::to_writer(&mut body, &self.value)
            .map_err(|e| Error::Internal(format!("cannot write JSON: {e}")))?;
        Ok(Bytes::from(body))
    }
}

impl<T: Serialize> IntoResponse for SizedJson<T> {
    fn into_response(self) -> Response {
        match self.to_bytes() {
            Ok(body) => response(body),
            Err(e) => ApiError(e).into_response(),
        }
    }
}

/// A `200` with `body`, JSON already written.
pub fn response(body: Bytes) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Serializes a UTC time as chrono's serde does (RFC 3339, `Z`, 0, 3, 6 or 9 fraction digits), without
/// going through `fmt`.
pub fn utc<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut out = [0u8; 32];
    let len = write_utc(at, &mut out);
    serializer.serialize_str(std::str::from_utf8(&out[..len]).unwrap_or_default())
}

/// Writes `value` as `width` decimal digits at `out[*len..]` and moves `len` past them.
fn digits(out: &mut [u8; 32], len: &mut usize, value: u32, width: usize) {
    let mut v = value;
    for i in (0..width).rev() {
        out[*len + i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    *len += width;
}

fn write_utc(at: &DateTime<Utc>, out: &mut [u8; 32]) -> usize {
    let year = at.year();
    if !(0..=9999).contains(&year) {
        // Outside four digits chrono writes a sign; leave those rare times to it.
        let text = at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        let n = text.len().min(out.len());
        out[..n].copy_from_slice(&text.as_bytes()[..n]);
        return n;
    }
    let mut len = 0;
    digits(out, &mut len, year as u32, 4);
    for (sep, value) in [
        (b'-', at.month()),
        (b'-', at.day()),
        (b'T', at.hour()),
        (b':', at.minute()),
        (b':', at.second()),
    ] {
        out[len] = sep;
        len += 1;
        digits(out, &mut len, value, 2);
    }
    let nanos = at.nanosecond() % 1_000_000_000;
    let (value, width) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    if width > 0 {
        out[len] = b'.';
        len += 1;
        digits(out, &mut len, value, width);
    }
    out[len] = b'Z';
    len + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_chrono_writes_them() {
        for micros in [
            0i64,
            1_700_000_000_000_000,
            1_700_000_000_123_000,
            1_700_000_000_123_456,
            1_767_225_599_999_999,
            -86_400_000_000,
        ] {
            let at = DateTime::from_timestamp_micros(micros).unwrap();
            #[derive(Serialize)]
            struct Fast(#[serde(serialize_with = "utc")] DateTime<Utc>);
            let ours = serde_json::to_string(&Fast(at)).unwrap();
            let chrono = serde_json::to_string(&at).unwrap();
            assert_eq!(ours, chrono);
        }
        let nanos = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        let mut out = [0u8; 32];
        let len = write_utc(&nanos, &mut out);
        assert_eq!(&out[..len], b"2023-11-14T22:13:20.123456789Z");
    }
}
