//! Metadata puts (`PUT /admin/metadata/<section>`, `radosgw-admin metadata put`) as radosgw's
//! metadata sync applies them: the document carries its own version, tag and time, which
//! are written as given, and `update-type` decides whether the put applies at all
//! (`RGWMetadataHandler::check_versions`). A restore of what `GET` gave therefore leaves
//! the versions as they were, and a put older than what is stored is skipped.

use crate::error::{Error, Result};

/// The `update-type` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateType {
    /// `always` (the default, and radosgw-admin's): write.
    Always,
    /// `update-by-version`: only a later version of the same tag.
    ByVersion,
    /// `update-by-timestamp`: only a later time.
    ByTimestamp,
}

impl UpdateType {
    /// Absent → `Always`; anything radosgw does not know → `InvalidArgument`.
    pub fn parse(v: Option<&str>) -> Result<UpdateType> {
        match v {
            None | Some("always") => Ok(UpdateType::Always),
            Some("update-by-version") => Ok(UpdateType::ByVersion),
            Some("update-by-timestamp") => Ok(UpdateType::ByTimestamp),
            Some(_) => Err(Error::InvalidArgument),
        }
    }
}

/// A record's version, its tag and its modification time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stamp {
    pub ver: u64,
    pub tag: String,
    pub mtime_us: i64,
}

/// What a document says of itself: its `ver` (`{"tag", "ver"}`) and its `mtime`, each
/// possibly absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Incoming {
    pub ver: Option<(u64, String)>,
    pub mtime_us: Option<i64>,
}

impl Incoming {
    /// Read from a metadata document; a `ver` or `mtime` that is there but malformed is
    /// `InvalidArgument`.
    pub fn of(doc: &serde_json::Value) -> Result<Incoming> {
        let ver = match doc.get("ver") {
            None => None,
            Some(v) => {
                let n = v.get("ver").and_then(|n| n.as_u64());
                let tag = v.get("tag").and_then(|t| t.as_str());
                match (n, tag) {
                    (Some(n), Some(tag)) => Some((n, tag.to_string())),
                    _ => return Err(Error::InvalidArgument),
                }
            }
        };
        let mtime_us = match doc.get("mtime") {
            None => None,
            Some(m) => Some(
                m.as_str()
                    .and_then(crate::clock::parse_utime)
                    .ok_or(Error::InvalidArgument)?,
            ),
        };
        Ok(Incoming { ver, mtime_us })
    }

    /// The stamp a put of this document writes over `ondisk` (None: no record yet), now;
    /// `None` when `mode` says the put does not apply.
    pub fn next_stamp(&self, mode: UpdateType, ondisk: Option<&Stamp>) -> Option<Stamp> {
        self.applies(mode, ondisk)
            .then(|| self.stamp(ondisk, crate::clock::now_us()))
    }

    /// Whether a put of this document applies over `ondisk` (None: no record yet).
    /// radosgw compares with an empty stamp when there is none, so a put by version never
    /// creates (an empty tag is not the document's).
    fn applies(&self, mode: UpdateType, ondisk: Option<&Stamp>) -> bool {
        let none = Stamp::default();
        let ondisk = ondisk.unwrap_or(&none);
        match mode {
            UpdateType::Always => true,
            UpdateType::ByVersion => {
                let (ver, tag) = self.ver.as_ref().map_or((0, ""), |(v, t)| (*v, t.as_str()));
                ondisk.tag == tag && ondisk.ver < ver
            }
            UpdateType::ByTimestamp => ondisk.mtime_us < self.mtime_us.unwrap_or(0),
        }
    }

    /// The stamp the put writes: the document's version and tag (else the next version of
    /// the stored one, its tag kept, or a new tag for a new record) and its time (else now).
    fn stamp(&self, ondisk: Option<&Stamp>, now_us: i64) -> Stamp {
        let (ver, tag) = match (&self.ver, ondisk) {
            (Some((v, t)), _) if !t.is_empty() => (*v, t.clone()),
            (Some((v, _)), Some(o)) => (*v, o.tag.clone()),
            (Some((v, _)), None) => (*v, crate::keys::random_tag()),
            (None, Some(o)) => (o.ver + 1, o.tag.clone()),
            (None, None) => (1, crate::keys::random_tag()),
        };
        Stamp {
            ver,
            tag,
            mtime_us: self.mtime_us.unwrap_or(now_us),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(ver: u64, tag: &str, mtime_us: i64) -> Stamp {
        Stamp {
            ver,
            tag: tag.into(),
            mtime_us,
        }
    }

    /// The decisions radosgw 16.2.15 was seen to make for a user put.
    #[test]
    fn applies_as_radosgw_checks_versions() {
        let doc = |ver: u64, tag: &str, mtime_us| Incoming {
            ver: Some((ver, tag.into())),
            mtime_us: Some(mtime_us),
        };
        let disk = on(7, "_t", 100);
        use UpdateType::*;
        assert!(doc(1, "_x", 0).applies(Always, Some(&disk)));
        assert!(!doc(5, "_t", 0).applies(ByVersion, Some(&disk)));
        assert!(!doc(7, "_t", 0).applies(ByVersion, Some(&disk)));
        assert!(doc(9, "_t", 0).applies(ByVersion, Some(&disk)));
        assert!(!doc(20, "_other", 0).applies(ByVersion, Some(&disk)));
        assert!(!doc(9, "_t", 0).applies(ByVersion, None));
        assert!(!doc(1, "_t", 100).applies(ByTimestamp, Some(&disk)));
        assert!(doc(1, "_t", 101).applies(ByTimestamp, Some(&disk)));
        assert!(!Incoming::default().applies(ByTimestamp, Some(&disk)));
        assert!(!Incoming::default().applies(ByTimestamp, None));
    }

    #[test]
    fn stamps_what_the_document_says() {
        let disk = on(3, "_t", 100);
        let full = Incoming {
            ver: Some((2, "_o".into())),
            mtime_us: Some(50),
        };
        assert_eq!(full.stamp(Some(&disk), 999), on(2, "_o", 50));
        let bare = Incoming::default();
        assert_eq!(bare.stamp(Some(&disk), 999), on(4, "_t", 999));
        let fresh = bare.stamp(None, 999);
        assert_eq!((fresh.ver, fresh.mtime_us, fresh.tag.len()), (1, 999, 24));
    }

    #[test]
    fn reads_ver_and_mtime() {
        let d = serde_json::json!({"ver": {"tag": "_a", "ver": 4},
                                   "mtime": "2026-11-30T04:41:12.503137Z"});
        let i = Incoming::of(&d).unwrap_or_default();
        assert_eq!(i.ver, Some((4, "_a".into())));
        assert_eq!(
            i.mtime_us,
            crate::clock::parse_utime("2026-11-30T04:41:12.503137Z")
        );
        assert_eq!(
            Incoming::of(&serde_json::json!({})),
            Ok(Incoming::default())
        );
        for bad in [
            serde_json::json!({"ver": 1}),
            serde_json::json!({"ver": {"ver": -1, "tag": ""}}),
            serde_json::json!({"mtime": "yesterday"}),
        ] {
            assert_eq!(Incoming::of(&bad), Err(Error::InvalidArgument), "{bad}");
        }
    }
}
