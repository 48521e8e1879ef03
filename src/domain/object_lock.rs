//! Object lock: a bucket created with it keeps versioning on and may give new versions a
//! default retention; each version may carry a retention (mode and retain-until time) and a
//! legal hold, which keep it from being deleted by id. Deleting without an id only adds a
//! delete marker, which a lock never prevents.

use serde::{Deserialize, Serialize};

use crate::domain::objects::ObjectMeta;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockMode {
    /// Lifted early or shortened only with `x-amz-bypass-governance-retention: true`.
    Governance,
    /// Never lifted early, shortened or weakened.
    Compliance,
}

impl LockMode {
    /// `GOVERNANCE` or `COMPLIANCE`, exactly (radosgw compares them as sent).
    pub fn parse(s: &str) -> Option<LockMode> {
        match s {
            "GOVERNANCE" => Some(LockMode::Governance),
            "COMPLIANCE" => Some(LockMode::Compliance),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::Governance => "GOVERNANCE",
            LockMode::Compliance => "COMPLIANCE",
        }
    }
}

/// A version's retention: kept until `until` (seconds and nanoseconds since the epoch, as
/// radosgw keeps the time the client sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    pub mode: LockMode,
    pub until_s: i64,
    #[serde(default)]
    pub until_ns: u32,
}

impl Retention {
    /// Still in force at `now_us`.
    pub fn active(&self, now_us: i64) -> bool {
        let now = (
            now_us.div_euclid(1_000_000),
            now_us.rem_euclid(1_000_000) as u32 * 1000,
        );
        (self.until_s, self.until_ns) > now
    }
}

/// A bucket's object lock: on from its creation; `rule` gives new versions a retention.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ObjectLock {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<DefaultRetention>,
}

/// `DefaultRetention`: a mode and a period in days or in years (of 365 days, as radosgw
/// counts them), exactly one of the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultRetention {
    pub mode: LockMode,
    pub period: Period,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Period {
    Days(u64),
    Years(u64),
}

impl DefaultRetention {
    /// The retention of a version written at `mtime_us`. (radosgw keeps the time in 32-bit
    /// seconds, so a period that reaches past 2106 wraps to an expired date there; here it
    /// holds, saturating at the end of representable time.)
    pub fn at(&self, mtime_us: i64) -> Retention {
        let days = match self.period {
            Period::Days(d) => d,
            Period::Years(y) => y.saturating_mul(365),
        };
        let secs = i64::try_from(days.saturating_mul(86_400)).unwrap_or(i64::MAX);
        Retention {
            mode: self.mode,
            until_s: mtime_us.div_euclid(1_000_000).saturating_add(secs),
            until_ns: mtime_us.rem_euclid(1_000_000) as u32 * 1000,
        }
    }
}

/// Whether deleting version `o` for good is refused at `now_us`: a legal hold, or a
/// retention in force that is compliance, or governance without `bypass`.
pub fn forbids_delete(o: &ObjectMeta, now_us: i64, bypass: bool) -> bool {
    o.legal_hold == Some(true)
        || o.retention
            .is_some_and(|r| r.active(now_us) && (r.mode == LockMode::Compliance || !bypass))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_retention_counts_days_and_365_day_years() {
        let t = 1_700_000_000_123_456;
        let d = DefaultRetention {
            mode: LockMode::Governance,
            period: Period::Days(1),
        };
        let r = d.at(t);
        assert_eq!((r.until_s, r.until_ns), (1_700_086_400, 123_456_000));
        let y = DefaultRetention {
            mode: LockMode::Compliance,
            period: Period::Years(1),
        };
        assert_eq!(y.at(t).until_s, 1_700_000_000 + 31_536_000);
        let huge = DefaultRetention {
            mode: LockMode::Compliance,
            period: Period::Days(u64::MAX),
        };
        assert!(huge.at(t).active(t));
        assert!(r.active(t) && !r.active(1_700_086_400_123_456));
    }
}
