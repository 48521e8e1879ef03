//! Time formats radosgw prints.

use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// `utime_t::gmtime`: `YYYY-MM-DDTHH:MM:SS.uuuuuuZ`.
pub fn utime(us: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(us as i128 * 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// RFC 1123 date for the `Date` header.
pub fn http_date(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[t.weekday().number_days_from_monday() as usize],
        t.day(),
        MONTHS[t.month() as usize - 1],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parse an RFC 1123 date (`Mon, 23 Nov 2026 08:56:24 GMT`) to unix seconds.
pub fn parse_http_date(s: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let s = s.trim();
    let rest = s.split_once(", ").map_or(s, |(_, r)| r);
    let mut it = rest.split_whitespace();
    let day: u8 = it.next()?.parse().ok()?;
    let mname = it.next()?;
    let mon = MONTHS.iter().position(|m| *m == mname)? as u8 + 1;
    let year: i32 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|x| x.parse::<u8>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    let date = time::Date::from_calendar_date(year, time::Month::try_from(mon).ok()?, day).ok()?;
    let t = time::Time::from_hms(h, m, sec).ok()?;
    Some(
        time::PrimitiveDateTime::new(date, t)
            .assume_utc()
            .unix_timestamp(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        assert_eq!(
            super::utime(1_795_420_800_123_456),
            "2026-11-23T08:00:00.123456Z"
        );
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_420_800);
        assert_eq!(super::http_date(t), "Mon, 23 Nov 2026 08:00:00 GMT");
        assert_eq!(
            super::parse_http_date("Mon, 23 Nov 2026 08:00:00 GMT"),
            Some(1_795_420_800)
        );
        assert_eq!(super::parse_http_date("garbage"), None);
    }
}
