//! C's number readers, as radosgw's parsers behave on what clients send (`strtol`,
//! `atoll`); the rules built on them live with their callers (`s3::numbers`,
//! `query::rest_int64`, the presigned `X-Amz-Expires`).

/// C's `isspace` in the C locale.
pub fn c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// C's `strtol(s, &end, 10)`: the value (saturated at the `long` bounds, with whether it
/// overflowed) and the text after it, or None when no digit was read.
pub fn strtol(s: &str) -> Option<(i64, bool, &str)> {
    let b = s.as_bytes();
    let mut i = b.iter().take_while(|&&c| c_space(c)).count();
    let negative = match b.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let mut v: i64 = 0;
    let mut overflow = false;
    for &d in &b[i..i + digits] {
        let d = i64::from(d - b'0');
        // Accumulate towards the sign so that LONG_MIN itself is representable.
        let next = v.checked_mul(10).and_then(|x| {
            if negative {
                x.checked_sub(d)
            } else {
                x.checked_add(d)
            }
        });
        match next {
            Some(n) => v = n,
            None => {
                overflow = true;
                v = if negative { i64::MIN } else { i64::MAX };
                break;
            }
        }
    }
    Some((v, overflow, &s[i + digits..]))
}

/// C `atoll`: leading blanks, an optional sign, then digits up to the first non-digit; no
/// digits → 0. Saturates instead of overflowing.
pub fn atoll(s: &str) -> i64 {
    strtol(s).map_or(0, |(v, _, _)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoll_like_c() {
        assert_eq!(atoll("300"), 300);
        assert_eq!(atoll(" 300abc"), 300);
        assert_eq!(atoll("-5"), -5);
        assert_eq!(atoll("abc"), 0);
        assert_eq!(atoll(""), 0);
        assert_eq!(atoll("99999999999999999999999"), i64::MAX);
    }
}
