//! Local days of the shop's time zone as UTC ranges, grouped so a database can bucket rows by local date
//! with one constant offset per group: consecutive days with the same UTC offset form one span; a day
//! with a clock change is a span of its own whose rows all belong to it.

use chrono::{DateTime, Duration, NaiveDate, Offset, TimeZone, Utc};

use crate::services::listing::start_of_day;

/// Consecutive local days `first..=last`, covering UTC `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Seconds to add to a UTC time to get the local time, the same all through the span; `None` for a
    /// single day with a clock change (every row of the span belongs to `first`).
    pub offset_secs: Option<i32>,
}

fn offset_at(tz: chrono_tz::Tz, at: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc()
}

/// The spans of the local days `from..=to` (empty when `from > to`).
pub fn spans(tz: chrono_tz::Tz, from: NaiveDate, to: NaiveDate) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut day = from;
    while day <= to {
        let Some(next) = day.succ_opt() else { break };
        let start = start_of_day(tz, day);
        let end = start_of_day(tz, next);
        let offset = offset_at(tz, start);
        let steady = end - start == Duration::hours(24)
            && offset_at(tz, end - Duration::microseconds(1)) == offset;
        let offset = steady.then_some(offset);
        match out.last_mut() {
            Some(prev) if offset.is_some() && prev.offset_secs == offset && prev.end == start => {
                prev.last = day;
                prev.end = end;
            }
            _ => out.push(Span {
                first: day,
                last: day,
                start,
                end,
                offset_secs: offset,
            }),
        }
        day = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_zone_without_clock_changes_is_one_span() {
        let spans = spans(
            chrono_tz::Asia::Vladivostok,
            date(2026, 3, 1),
            date(2026, 3, 30),
        );
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].offset_secs, Some(36_000));
        assert_eq!(spans[0].start.to_rfc3339(), "2026-02-28T14:00:00+00:00");
        assert_eq!(spans[0].end.to_rfc3339(), "2026-03-30T14:00:00+00:00");
    }

    #[test]
    fn a_clock_change_day_stands_alone() {
        // Berlin moves to summer time on 29 March 2026.
        let spans = spans(
            chrono_tz::Europe::Berlin,
            date(2026, 3, 27),
            date(2026, 3, 31),
        );
        let shape: Vec<_> = spans
            .iter()
            .map(|s| (s.first.to_string(), s.last.to_string(), s.offset_secs))
            .collect();
        assert_eq!(
            shape,
            [
                ("2026-03-27".into(), "2026-03-28".into(), Some(3600)),
                ("2026-03-29".into(), "2026-03-29".into(), None),
                ("2026-03-30".into(), "2026-03-31".into(), Some(7200)),
            ]
        );
        assert_eq!(spans[1].end - spans[1].start, Duration::hours(23));
        assert!(spans.windows(2).all(|w| w[0].end == w[1].start));
    }
}
