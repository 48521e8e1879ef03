//! Bucket lifecycle rules (`PUT /bucket?lifecycle`): what radosgw 16.2.15 accepts and how it
//! keeps them (`tests/python/test_s3_lifecycle.py` holds its answers), and when a rule makes
//! an object expire or an unfinished upload be aborted. The passes that act on them are
//! `lifecycle::pass`.
//!
//! Buckets are never versioned here, so the rules for noncurrent versions and delete
//! markers are kept and shown but have nothing to act on, and there is one storage class:
//! transitions are kept and shown, and no object moves.

use serde::{Deserialize, Serialize};

use crate::encode::s3_read::{LcExpirationXml, LcRuleXml};
use crate::error::{Error, Result};

pub mod pass;
pub mod status;

/// radosgw's `MAX_ID_LEN`.
const MAX_ID_LEN: usize = 255;
/// Length of the id radosgw makes up for a rule sent without one.
const GENERATED_ID_LEN: usize = 48;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LcRule {
    pub id: String,
    /// The rule's own `<Prefix>`; empty when it has a `<Filter>`.
    pub prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<LcFilter>,
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Expiration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noncurrent_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<Transition>,
    /// `(NoncurrentDays, StorageClass)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub noncurrent_transitions: Vec<(u32, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LcFilter {
    pub prefix: String,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Expiration {
    Days(u32),
    /// The date as sent (shown back so), and that midnight in seconds since the epoch.
    Date(String, i64),
    ExpiredObjectDeleteMarker(bool),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub days: Option<u32>,
    pub date: Option<String>,
    pub storage_class: String,
}

/// A number of days: not a number is `MalformedXML` (radosgw fails to decode it); zero or
/// less (or too large) clears `valid`, radosgw's `LCRule::valid`, refused later
/// (`InvalidArgument`).
fn days(s: &str, valid: &mut bool) -> Result<u32> {
    let n: i64 = s.parse().map_err(|_| Error::MalformedXml)?;
    let d = u32::try_from(n).ok().filter(|&d| d > 0);
    *valid &= d.is_some();
    Ok(d.unwrap_or(0))
}

/// An ISO 8601 date at midnight UTC (`2027-01-01T00:00:00.000Z`), in seconds.
fn midnight(s: &str) -> Result<i64> {
    let secs = crate::clock::parse_utime(s)
        .filter(|_| s.contains('T'))
        .ok_or(Error::MalformedXml)?
        .div_euclid(1_000_000);
    if secs.rem_euclid(86_400) != 0 {
        return Err(Error::MalformedXml);
    }
    Ok(secs)
}

/// The expiration; days that radosgw's `LCExpiration::valid` refuses clear `valid`.
fn expiration(e: LcExpirationXml, valid: &mut bool) -> Result<Expiration> {
    match (e.days, e.date, e.delete_marker) {
        (Some(d), None, None) => Ok(Expiration::Days(days(&d, valid)?)),
        (None, Some(d), None) => {
            let at = midnight(&d)?;
            Ok(Expiration::Date(d, at))
        }
        (None, None, Some(m)) => match m.as_str() {
            "true" => Ok(Expiration::ExpiredObjectDeleteMarker(true)),
            "false" => Ok(Expiration::ExpiredObjectDeleteMarker(false)),
            _ => Err(Error::MalformedXml),
        },
        _ => Err(Error::MalformedXml),
    }
}

impl LcRule {
    /// A rule as radosgw decodes it (`LCRule_S3::decode_xml`): what it cannot decode is
    /// `MalformedXML`. The flag is radosgw's `LCRule::valid`, checked only once every rule
    /// has decoded (see [`rules_from_xml`]).
    fn from_xml(x: LcRuleXml) -> Result<(LcRule, bool)> {
        let enabled = match x.status.as_deref() {
            Some("Enabled") => true,
            Some("Disabled") => false,
            _ => return Err(Error::MalformedXml),
        };
        let mut valid = true;
        let id = match x.id {
            Some(id) => {
                valid &= id.len() <= MAX_ID_LEN;
                id
            }
            None => crate::keys::random_lower_alnum(GENERATED_ID_LEN),
        };
        // A rule with a <Filter> keeps no prefix of its own: radosgw 16.2 reads
        // `<Prefix>q/</Prefix><Filter/>` back as `<Prefix/>`, and `radosgw-admin lc get`
        // shows the rule's prefix empty beside any filter.
        let prefix = match x.filter {
            Some(_) => String::new(),
            None => x.prefix.unwrap_or_default(),
        };
        let filter = x
            .filter
            .filter(|f| f.prefix.is_some() || !f.tags.is_empty())
            .map(|f| LcFilter {
                prefix: f.prefix.unwrap_or_default(),
                tags: f.tags,
            });
        // Transitions are kept by storage class: a class named twice does not decode.
        let mut classes: Vec<&str> = x
            .transitions
            .iter()
            .filter_map(|(_, _, c)| c.as_deref())
            .collect();
        let mut noncurrent_classes: Vec<&str> = x
            .noncurrent_transitions
            .iter()
            .filter_map(|(_, c)| c.as_deref())
            .collect();
        if has_duplicates(&mut classes) || has_duplicates(&mut noncurrent_classes) {
            return Err(Error::MalformedXml);
        }
        let transitions = x
            .transitions
            .into_iter()
            .map(|(d, date, class)| {
                let storage_class = class.ok_or(Error::MalformedXml)?;
                match (&d, &date) {
                    (Some(_), None) | (None, Some(_)) => {}
                    _ => return Err(Error::MalformedXml),
                }
                let days = match d {
                    Some(d) => {
                        let n: i64 = d.parse().map_err(|_| Error::MalformedXml)?;
                        valid &= (0..=i64::from(u32::MAX)).contains(&n);
                        Some(n.clamp(0, i64::from(u32::MAX)) as u32)
                    }
                    None => None,
                };
                if let Some(date) = &date {
                    midnight(date)?;
                }
                Ok(Transition {
                    days,
                    date,
                    storage_class,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let noncurrent_transitions = x
            .noncurrent_transitions
            .into_iter()
            .map(|(d, class)| {
                let d = days(&d.ok_or(Error::MalformedXml)?, &mut valid)?;
                Ok((d, class.ok_or(Error::MalformedXml)?))
            })
            .collect::<Result<Vec<_>>>()?;
        let noncurrent_days = x
            .noncurrent_days
            .map(|d| days(&d, &mut valid))
            .transpose()?;
        let abort_days = x.abort_days.map(|d| days(&d, &mut valid)).transpose()?;
        let expiration = x
            .expiration
            .map(|e| expiration(e, &mut valid))
            .transpose()?;
        let rule = LcRule {
            id,
            prefix,
            filter,
            enabled,
            expiration,
            noncurrent_days,
            abort_days,
            transitions,
            noncurrent_transitions,
        };
        let acts = rule.expiration.is_some()
            || rule.noncurrent_days.is_some()
            || rule.abort_days.is_some()
            || !rule.transitions.is_empty()
            || !rule.noncurrent_transitions.is_empty();
        if !acts {
            return Err(Error::MalformedXml);
        }
        // An `<Expiration>` holding only `ExpiredObjectDeleteMarker` false does nothing.
        valid &= !matches!(
            (&rule.expiration, rule.noncurrent_days, rule.abort_days),
            (
                Some(Expiration::ExpiredObjectDeleteMarker(false)),
                None,
                None
            )
        ) || !rule.transitions.is_empty()
            || !rule.noncurrent_transitions.is_empty();
        // Expiration and transitions count in days or by dates, not both.
        let by_days = matches!(rule.expiration, Some(Expiration::Days(_)))
            || rule.transitions.iter().any(|t| t.days.is_some());
        let by_date = matches!(rule.expiration, Some(Expiration::Date(..)))
            || rule.transitions.iter().any(|t| t.date.is_some());
        valid &= rule.transitions.is_empty() || !(by_days && by_date);
        Ok((rule, valid))
    }

    /// Whether the filter holds tags (radosgw refuses them beside the delete-marker and
    /// upload rules, which have no object to read tags from).
    fn has_tags(&self) -> bool {
        self.filter.as_ref().is_some_and(|f| !f.tags.is_empty())
    }

    /// Bytes the rule takes in a cached bucket record, roughly.
    pub fn weigh(&self) -> usize {
        let tags = self.filter.iter().flat_map(|f| &f.tags);
        256 + self.id.len()
            + self.prefix.len()
            + tags.map(|(k, v)| k.len() + v.len() + 48).sum::<usize>()
    }

    /// The prefix the rule applies to.
    pub fn effective_prefix(&self) -> &str {
        self.filter.as_ref().map_or(&self.prefix, |f| &f.prefix)
    }

    /// Does the rule cover an object with this key and these tags?
    pub fn covers(&self, key: &str, tags: &[(String, String)]) -> bool {
        self.enabled
            && key.starts_with(self.effective_prefix())
            && self
                .filter
                .iter()
                .flat_map(|f| &f.tags)
                .all(|t| tags.contains(t))
    }
}

/// A configuration as radosgw takes it (`LCConfiguration_S3::rebuild`): every rule decoded
/// (`MalformedXML`), at least one; then rule by rule in the order of their ids, each valid
/// and its id not seen before (`InvalidArgument`), and no tag filter beside a delete-marker
/// or upload rule (`InvalidRequest`).
pub fn rules_from_xml(rules: Vec<LcRuleXml>) -> Result<Vec<LcRule>> {
    if rules.is_empty() {
        return Err(Error::MalformedXml);
    }
    let decoded: Vec<(LcRule, bool)> = rules
        .into_iter()
        .map(LcRule::from_xml)
        .collect::<Result<_>>()?;
    let mut by_id: Vec<&(LcRule, bool)> = decoded.iter().collect();
    by_id.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    for (i, (rule, valid)) in by_id.iter().enumerate() {
        if !valid || (i > 0 && by_id[i - 1].0.id == rule.id) {
            return Err(Error::InvalidArgument);
        }
        let delete_marker = matches!(
            rule.expiration,
            Some(Expiration::ExpiredObjectDeleteMarker(true))
        );
        if rule.has_tags() && (delete_marker || rule.abort_days.is_some()) {
            return Err(Error::InvalidRequest);
        }
    }
    Ok(decoded.into_iter().map(|(r, _)| r).collect())
}

fn has_duplicates(names: &mut [&str]) -> bool {
    names.sort_unstable();
    names.windows(2).any(|w| w[0] == w[1])
}

/// radosgw's `x-amz-expiration` of an object written at `mtime` (seconds): the earliest time
/// an enabled rule expires it (a rule's days counted from the write and rounded up to the
/// next midnight UTC; a rule's date), and that rule's id.
pub fn expiry<'a>(
    rules: &'a [LcRule],
    key: &str,
    tags: &[(String, String)],
    mtime: i64,
) -> Option<(i64, &'a str)> {
    rules
        .iter()
        .filter(|r| r.covers(key, tags))
        .filter_map(|r| match &r.expiration {
            Some(Expiration::Days(d)) => {
                let at = mtime + *d as i64 * 86_400;
                Some((
                    at + (86_400 - at.rem_euclid(86_400)) % 86_400,
                    r.id.as_str(),
                ))
            }
            Some(Expiration::Date(_, at)) => Some((*at, r.id.as_str())),
            _ => None,
        })
        .min_by_key(|(at, _)| *at)
}

/// The time a pass runs at, and how long a lifecycle "day" is: a real day, counted from
/// midnight UTC as radosgw counts it, or (radosgw's `rgw_lc_debug_interval`) that many
/// seconds from now, so that tests can watch rules act.
#[derive(Debug, Clone, Copy)]
pub struct LcClock {
    pub now: i64,
    pub debug_day: Option<u64>,
}

impl LcClock {
    /// radosgw's `obj_has_expired`: `days` have passed since `since` (seconds).
    pub fn past(&self, since: i64, days: u32) -> bool {
        let (base, day) = match self.debug_day {
            Some(d) => (self.now, d as i64),
            None => (self.now - self.now.rem_euclid(86_400), 86_400),
        };
        base - since >= days as i64 * day
    }

    /// Does the rule expire an object last written at `mtime` (seconds)?
    pub fn expires(&self, rule: &LcRule, mtime: i64) -> bool {
        match &rule.expiration {
            Some(Expiration::Days(d)) => self.past(mtime, *d),
            Some(Expiration::Date(_, at)) => self.now >= *at,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
