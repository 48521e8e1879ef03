//! The two ways radosgw reads a number from an S3 query, reproduced because clients and
//! scripts see the difference (probed against radosgw 16.2.15):
//!
//! - [`bounded`] is `parse_value_and_bound` (`max-keys`, `max-uploads`, `max-parts`): empty
//!   means the default; `strtol` with white space allowed on both sides; the result goes
//!   through a C `int` and is then clamped to `0..=1000`. So ` 2` and `2 ` are 2, `-5` is 0,
//!   and `99999999999999999999` (saturated to `LONG_MAX`, which is -1 as an `int`) is 0.
//! - [`strict`] is Ceph's `strict_strtol` (`part-number-marker`): leading white space only,
//!   the whole text read, and the value must fit an `int` (negative ones included).
//!
//! Anything else (`2x`, `0x10`, `1.5`) is `InvalidArgument`.

use crate::cnum::{c_space, strtol};
use crate::error::{Error, Result};

/// `rgw_max_listing_results`: the most entries one listing page holds.
pub const MAX_LISTING: i64 = 1000;

/// `parse_value_and_bound(input, output, 0, rgw_max_listing_results, default)`.
pub fn bounded(input: Option<&str>, default: usize) -> Result<usize> {
    let Some(s) = input.filter(|s| !s.is_empty()) else {
        return Ok(default);
    };
    let (v, _, rest) = strtol(s).ok_or(Error::InvalidArgument)?;
    if !rest.bytes().all(c_space) {
        return Err(Error::InvalidArgument);
    }
    // radosgw stores strtol's long in an int before bounding it.
    let v = i64::from(v as i32);
    Ok(v.clamp(0, MAX_LISTING) as usize)
}

/// Ceph's `strict_strtol`: None for an absent or empty value.
pub fn strict(input: Option<&str>) -> Result<Option<i32>> {
    let Some(s) = input.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    match strtol(s) {
        Some((v, false, "")) => i32::try_from(v)
            .map(Some)
            .map_err(|_| Error::InvalidArgument),
        _ => Err(Error::InvalidArgument),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_reads_as_radosgw() {
        let ok = |s: &str| bounded(Some(s), 1000).ok();
        assert_eq!(bounded(None, 1000).ok(), Some(1000));
        assert_eq!(ok(""), Some(1000));
        for (s, want) in [
            ("2", 2),
            (" 2", 2),
            ("2 ", 2),
            ("\t+2\n", 2),
            ("-5", 0),
            ("0", 0),
            ("5000", 1000),
            ("99999999999999999999", 0),
            ("-99999999999999999999", 0),
            ("4294967298", 2),
        ] {
            assert_eq!(ok(s), Some(want), "{s:?}");
        }
        for s in ["2x", "0x10", "1.5", " ", "-", "+", "x"] {
            assert_eq!(ok(s), None, "{s:?}");
        }
    }

    #[test]
    fn strict_reads_as_ceph() {
        let ok = |s: &str| strict(Some(s)).ok();
        assert_eq!(strict(None).ok(), Some(None));
        assert_eq!(ok(""), Some(None));
        assert_eq!(ok("2"), Some(Some(2)));
        assert_eq!(ok(" 2"), Some(Some(2)));
        assert_eq!(ok("-5"), Some(Some(-5)));
        assert_eq!(ok("2147483647"), Some(Some(i32::MAX)));
        for s in [
            "2 ",
            "2x",
            "0x10",
            "1.5",
            "2147483648",
            "99999999999999999999",
            " ",
        ] {
            assert_eq!(ok(s), None, "{s:?}");
        }
    }
}
