//! Time formats radosgw prints and parses: its `utime_t` rendering, HTTP dates (one parser
//! for the signature checks and the conditional headers alike) and the ISO 8601 basic form
//! of SigV4.

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
    gmtime(t, format_args!("{:06}", t.microsecond()))
}

/// `YYYY-MM-DDTHH:MM:SS.<fraction>Z`.
fn gmtime(t: time::OffsetDateTime, fraction: std::fmt::Arguments) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{fraction}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    )
}

/// radosgw's `from_iso_8601`: `YYYY-MM-DD`, optionally followed by `T` or a space,
/// `HH:MM:SS`, up to nine digits of fraction and `Z`; fields past their range roll over into
/// the next (`2030-13-01` is 2031-01-01), as `timegm` has them. Seconds and nanoseconds.
pub fn parse_iso8601(s: &str) -> Option<(i64, u32)> {
    let num = |v: &str| -> Option<i64> {
        (!v.is_empty() && v.bytes().all(|c| c.is_ascii_digit()))
            .then(|| v.parse().ok())
            .flatten()
    };
    let (date, rest) = (s.get(..10)?, &s[10..]);
    let d: Vec<&str> = date.split('-').collect();
    let [y, mo, da] = d.as_slice() else {
        return None;
    };
    if y.len() != 4 || mo.len() != 2 || da.len() != 2 {
        return None;
    }
    let (y, mo, da) = (num(y)?, num(mo)?, num(da)?);
    let (mut secs, mut nanos) = (0i64, 0u32);
    if !rest.is_empty() {
        let rest = rest.strip_prefix(['T', ' '])?.strip_suffix('Z')?;
        let (hms, frac) = rest.split_once('.').unwrap_or((rest, ""));
        let t: Vec<&str> = hms.split(':').collect();
        let [h, mi, se] = t.as_slice() else {
            return None;
        };
        if [h, mi, se].iter().any(|v| v.len() != 2) {
            return None;
        }
        secs = num(h)? * 3600 + num(mi)? * 60 + num(se)?;
        if !frac.is_empty() {
            if frac.len() > 9 {
                return None;
            }
            nanos = (num(frac)? * 10i64.pow(9 - frac.len() as u32)) as u32;
        } else if rest.contains('.') {
            return None;
        }
    }
    let months = y * 12 + (mo - 1);
    let days = days_from_civil(months.div_euclid(12), months.rem_euclid(12) + 1) + (da - 1);
    Some((days * 86_400 + secs, nanos))
}

/// Days from 1970-01-01 to the first of month `m` of year `y` (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2030-01-01T00:00:00.000000000Z`: radosgw's object lock dates (seconds, nanoseconds).
pub fn iso8601_ns(s: i64, ns: u32) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(s).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    gmtime(t, format_args!("{ns:09}"))
}

/// The inverse of `utime` (and of radosgw's raw-seconds form `S.uuuuuu` for early times):
/// microseconds since the epoch.
pub fn parse_utime(s: &str) -> Option<i64> {
    let frac_us = |f: &str| -> Option<i64> {
        if f.is_empty() || f.len() > 6 || !f.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        Some(f.parse::<i64>().ok()? * 10i64.pow(6 - f.len() as u32))
    };
    if let Some((secs, frac)) = s.split_once('.').filter(|_| !s.contains('T')) {
        if secs.is_empty() || !secs.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        return Some(secs.parse::<i64>().ok()?.checked_mul(1_000_000)? + frac_us(frac)?);
    }
    let body = s.strip_suffix('Z')?;
    let (date, rest) = body.split_once('T')?;
    let (hms, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let num = |v: &str| v.parse::<u32>().ok();
    let mut d = date.splitn(3, '-');
    let (y, mo, da) = (
        d.next()?.parse::<i32>().ok()?,
        num(d.next()?)?,
        num(d.next()?)?,
    );
    let mut t = hms.splitn(3, ':');
    let (h, mi, se) = (num(t.next()?)?, num(t.next()?)?, num(t.next()?)?);
    let month = time::Month::try_from(u8::try_from(mo).ok()?).ok()?;
    let day = time::Date::from_calendar_date(y, month, u8::try_from(da).ok()?).ok()?;
    let at = day
        .with_hms(
            u8::try_from(h).ok()?,
            u8::try_from(mi).ok()?,
            u8::try_from(se).ok()?,
        )
        .ok()?
        .assume_utc();
    let us = if frac.is_empty() { 0 } else { frac_us(frac)? };
    Some(at.unix_timestamp() * 1_000_000 + us)
}

/// [`http_date`] of a time in microseconds since the epoch (how records keep times).
pub fn http_date_us(us: i64) -> String {
    http_date(UNIX_EPOCH + std::time::Duration::from_micros(us.max(0) as u64))
}

/// RFC 1123 date for the `Date` and `Last-Modified` headers. The last one formatted on this
/// thread is kept: a hot object asks for the same one on every GET.
pub fn http_date(t: SystemTime) -> String {
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> =
            const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    let secs = match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    LAST.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != secs {
            *c = (secs, format_http_date(t));
        }
        c.1.clone()
    })
}

fn format_http_date(t: SystemTime) -> String {
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

/// ISO 8601 basic, `YYYYMMDDTHHMMSSZ` (ceph's `parse_iso8601(.., extended_format=false)`, which
/// also takes a fraction before the `Z`). Seconds since the epoch.
pub(crate) fn parse_iso8601_basic(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 16 || b[8] != b'T' || b[b.len() - 1] != b'Z' {
        return None;
    }
    let frac = &b[15..b.len() - 1];
    if !frac.is_empty() && (frac[0] != b'.' || !frac[1..].iter().all(u8::is_ascii_digit)) {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[4..6])?;
    let day = digits(&b[6..8])?;
    let hour = digits(&b[9..11])?;
    let min = digits(&b[11..13])?;
    let sec = digits(&b[13..15])?;
    to_unix(year, month, day, hour, min, sec, 0)
}

/// An HTTP date (`Date`, `If-Modified-Since`, ...) in any of the forms ceph's `parse_rfc2616`
/// accepts: RFC 1123 (`Sun, 06 Nov 1994 08:49:37 GMT`, or a numeric zone such as `+0100`),
/// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
/// Seconds since the epoch; `None` for anything else.
///
/// Not the `httpdate` crate: it takes only `GMT` (radosgw also takes `%z` zones, as
/// `parse_rfc1123_alt`) and insists on exact day names and padding, where radosgw's
/// `strptime` does not.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let t: Vec<&str> = s.split_ascii_whitespace().collect();
    match t.as_slice() {
        // RFC 1123
        [wd, day, mon, year, hms, zone] if wd.ends_with(',') => {
            let (h, m, sec) = parse_hms(hms)?;
            let offset = parse_zone(zone)?;
            let year = digits(year.as_bytes()).filter(|_| year.len() == 4)?;
            to_unix(year, month(mon)?, small(day)?, h, m, sec, offset)
        }
        // RFC 850
        [wd, date, hms, zone] if wd.ends_with(',') => {
            let mut parts = date.split('-');
            let (day, mon, yy) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() || yy.len() != 2 {
                return None;
            }
            let yy = digits(yy.as_bytes())?;
            // strptime's %y: 69-99 are 19xx, 00-68 are 20xx.
            let year = if yy >= 69 { 1900 + yy } else { 2000 + yy };
            let (h, m, sec) = parse_hms(hms)?;
            to_unix(year, month(mon)?, small(day)?, h, m, sec, parse_zone(zone)?)
        }
        // asctime
        [_wd, mon, day, hms, year] => {
            let (h, m, sec) = parse_hms(hms)?;
            let year = digits(year.as_bytes()).filter(|_| year.len() == 4)?;
            to_unix(year, month(mon)?, small(day)?, h, m, sec, 0)
        }
        _ => None,
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, &c| n * 10 + u32::from(c - b'0')))
}

/// One or two digits (strptime's `%d`, `%H`, ...).
fn small(s: &str) -> Option<u32> {
    if s.len() > 2 {
        return None;
    }
    digits(s.as_bytes())
}

fn parse_hms(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.split(':');
    let h = small(it.next()?)?;
    let m = small(it.next()?)?;
    let sec = small(it.next()?)?;
    if it.next().is_some() {
        return None;
    }
    Some((h, m, sec))
}

/// Offset east of UTC in seconds.
fn parse_zone(z: &str) -> Option<i64> {
    if ["GMT", "UTC", "UT", "Z"]
        .iter()
        .any(|g| z.eq_ignore_ascii_case(g))
    {
        return Some(0);
    }
    let (sign, rest) = match z.as_bytes().first()? {
        b'+' => (1, &z[1..]),
        b'-' => (-1, &z[1..]),
        _ => return None,
    };
    if rest.len() != 4 {
        return None;
    }
    let hh = i64::from(digits(&rest.as_bytes()[..2])?);
    let mm = i64::from(digits(&rest.as_bytes()[2..])?);
    Some(sign * (hh * 3600 + mm * 60))
}

fn month(s: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = s.to_ascii_lowercase();
    NAMES
        .iter()
        .position(|m| lower.starts_with(m))
        .and_then(|i| u32::try_from(i + 1).ok())
}

fn to_unix(year: u32, month: u32, day: u32, h: u32, m: u32, s: u32, offset: i64) -> Option<i64> {
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?)
            .ok()?;
    let tod = time::Time::from_hms(
        u8::try_from(h).ok()?,
        u8::try_from(m).ok()?,
        u8::try_from(s).ok()?,
    )
    .ok()?;
    Some(
        time::PrimitiveDateTime::new(date, tod)
            .assume_utc()
            .unix_timestamp()
            - offset,
    )
}

/// `YYYYMMDDTHHMMSSZ` for a time in seconds since the epoch.
pub(crate) fn format_iso8601_basic(t: i64) -> Option<String> {
    let dt = time::OffsetDateTime::from_unix_timestamp(t).ok()?;
    Some(format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso8601_as_radosgw_reads_it() {
        let at = |s| parse_iso8601(s).map(|(s, ns)| iso8601_ns(s, ns));
        assert_eq!(
            at("2030-01-01").as_deref(),
            Some("2030-01-01T00:00:00.000000000Z")
        );
        assert_eq!(
            at("2030-01-01T12:34:56.123456789Z").as_deref(),
            Some("2030-01-01T12:34:56.123456789Z")
        );
        assert_eq!(
            at("2030-13-01T00:00:00Z").as_deref(),
            Some("2031-01-01T00:00:00.000000000Z")
        );
        assert_eq!(
            at("2030-02-30T00:00:00Z").as_deref(),
            Some("2030-03-02T00:00:00.000000000Z")
        );
        for bad in [
            "garbage",
            "",
            "2030-01-01T00:00:00",
            "Tue, 01 Jan 2030 00:00:00 GMT",
            "1893456000",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }

    #[test]
    fn utime_roundtrip() {
        let us = 1_795_424_179_123_456;
        assert_eq!(parse_utime(&utime(us)), Some(us));
        assert_eq!(parse_utime("0.000000"), Some(0));
        assert_eq!(
            parse_utime("2026-11-23T08:56:19Z"),
            Some(1_795_424_179_000_000)
        );
        assert_eq!(parse_utime(""), None);
        assert_eq!(parse_utime("2026-13-23T08:56:19.000000Z"), None);
    }

    use super::*;

    #[test]
    fn formats() {
        assert_eq!(utime(1_795_420_800_123_456), "2026-11-23T08:00:00.123456Z");
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_420_800);
        assert_eq!(http_date(t), "Mon, 23 Nov 2026 08:00:00 GMT");
        assert_eq!(
            parse_http_date("Mon, 23 Nov 2026 08:00:00 GMT"),
            Some(1_795_420_800)
        );
        assert_eq!(parse_http_date("garbage"), None);
    }

    #[test]
    fn dates_parse_like_ceph() {
        let t = Some(1_795_424_179);
        assert_eq!(parse_iso8601_basic("20261123T085619Z"), t);
        assert_eq!(parse_iso8601_basic("20261123T085619.123Z"), t);
        assert_eq!(parse_iso8601_basic("20261123T085619"), None);
        assert_eq!(parse_iso8601_basic("2026-11-23T08:56:19Z"), None);
        assert_eq!(parse_iso8601_basic("20261323T085619Z"), None);
        assert_eq!(parse_http_date("Mon, 23 Nov 2026 08:56:19 GMT"), t);
        assert_eq!(parse_http_date("Mon, 23 Nov 2026 09:56:19 +0100"), t);
        assert_eq!(parse_http_date("Monday, 23-Nov-26 08:56:19 GMT"), t);
        assert_eq!(parse_http_date("Mon Nov 23 08:56:19 2026"), t);
        assert_eq!(
            parse_http_date("Sun Nov  6 08:49:37 1994"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Mon, 23 Nov 2026 08:56:19"), None);
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_http_date(""), None);
        assert_eq!(
            format_iso8601_basic(1_795_424_179).as_deref(),
            Some("20261123T085619Z")
        );
    }

    /// RFC 9110's example instant in its three forms, and what is not a date.
    #[test]
    fn http_dates_three_formats_and_garbage() {
        let t = Some(784_111_777);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), t);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), t);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), t);
        // Leniency radosgw's strptime shares: blanks, case, one-digit fields, zones.
        assert_eq!(parse_http_date("  Sun,  6 nov 1994 08:49:37 GMT "), t);
        assert_eq!(parse_http_date("Sun, 06 NOV 1994 03:49:37 -0500"), t);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"), t);
        // %y: 69-99 are 19xx, 00-68 are 20xx.
        assert_eq!(parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Friday, 01-Jan-38 00:00:00 GMT"),
            Some(2_145_916_800)
        );
        for garbage in [
            "",
            " ",
            "0",
            "1795420800",
            "2026-11-23T08:00:00Z",
            "20261123T080000Z",
            "Mon, 23 Nov 2026",
            "Mon, 23 Nov 2026 08:00 GMT",
            "Mon, 23 Nov 2026 08:00:00:00 GMT",
            "Mon, 23 Nov 2026 08:00:00 CET",
            "Mon, 23 Nov 2026 08:00:00 +01",
            "Mon, 23 Nov 26 08:00:00 GMT",
            "Mon, 32 Nov 2026 08:00:00 GMT",
            "Mon, 31 Nov 2026 08:00:00 GMT",
            "Mon, 23 Foo 2026 08:00:00 GMT",
            "Mon, 23 Nov 2026 24:00:00 GMT",
            "Mon, 23 Nov 2026 08:60:00 GMT",
            "Mon, 023 Nov 2026 08:00:00 GMT",
            "Mon, 23 Nov 2026 08:00:00 GMT extra",
            "Mon 23 Nov 2026 08:00:00 GMT",
            "Monday, 23-Nov-2026 08:00:00 GMT",
            "Monday, 23-Nov-26-1 08:00:00 GMT",
            "Monday, 23 Nov 26 08:00:00 GMT",
            "Mon Nov 23 08:00:00 26",
            "Mon Nov 23 08:00:00",
            "Mon Nov 23 08:00:00 2026 GMT",
            "Mon, 23 Nov 2026 08:00:00 GMT\0",
            "Mon, -1 Nov 2026 08:00:00 GMT",
            "Mon, +1 Nov 2026 08:00:00 GMT",
        ] {
            assert_eq!(parse_http_date(garbage), None, "{garbage:?}");
        }
    }
}
