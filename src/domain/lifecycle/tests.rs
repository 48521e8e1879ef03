use super::*;
use crate::encode::s3_read;

const NS: &str = r#"xmlns="http://s3.amazonaws.com/doc/2006-03-01/""#;

fn rules(xml: &str) -> Result<Vec<LcRule>> {
    let body = format!("<LifecycleConfiguration {NS}>{xml}</LifecycleConfiguration>");
    rules_from_xml(s3_read::lifecycle(body.as_bytes())?)
}

fn rule(inner: &str) -> Result<LcRule> {
    rules(&format!("<Rule>{inner}</Rule>")).map(|mut r| r.remove(0))
}

const ON: &str = "<Status>Enabled</Status>";

#[test]
fn refused_as_radosgw_refuses() {
    use Error::*;
    for (xml, want) in [
        ("", MalformedXml),
        ("<Rule><ID>a</ID><Prefix>x</Prefix><Status>On</Status><Expiration><Days>1</Days></Expiration></Rule>", MalformedXml),
        ("<Rule><ID>a</ID><Prefix>x</Prefix><Expiration><Days>1</Days></Expiration></Rule>", MalformedXml),
        ("<Rule><ID>a</ID><Prefix>x</Prefix><Status>Enabled</Status></Rule>", MalformedXml),
        ("<Rule><ID>z</ID><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule>", InvalidArgument),
        ("<Rule><ID>z</ID><Status>Enabled</Status><Expiration><Days>-1</Days></Expiration></Rule>", InvalidArgument),
        ("<Rule><ID>z</ID><Status>Enabled</Status><Expiration><Days>x</Days></Expiration></Rule>", MalformedXml),
        ("<Rule><ID>z</ID><Status>Enabled</Status><Expiration><Days>1</Days><Date>2027-01-01T00:00:00.000Z</Date></Expiration></Rule>", MalformedXml),
        ("<Rule><ID>d</ID><Status>Enabled</Status><Expiration><Date>2027-01-01T10:00:00.000Z</Date></Expiration></Rule>", MalformedXml),
        ("<Rule><ID>d</ID><Status>Enabled</Status><Expiration><Date>tomorrow</Date></Expiration></Rule>", MalformedXml),
        ("<Rule><ID>a</ID><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule><Rule><ID>a</ID><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>", InvalidArgument),
        ("<Rule><ID>m</ID><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>", InvalidArgument),
    ] {
        assert_eq!(rules(xml).unwrap_err(), want, "{xml}");
    }
    let long = format!(
        "<Rule><ID>{}</ID>{ON}<Expiration><Days>1</Days></Expiration></Rule>",
        "i".repeat(256)
    );
    assert_eq!(rules(&long).unwrap_err(), Error::InvalidArgument);
    assert!(s3_read::lifecycle(b"<Foo/>").is_err());
}

#[test]
fn kept_as_radosgw_keeps_them() {
    // No id: one is made up, 48 characters of a-z0-9.
    let r = rule(&format!(
        "<Prefix>x</Prefix>{ON}<Expiration><Days>1</Days></Expiration>"
    ))
    .unwrap();
    assert_eq!(r.id.len(), 48);
    assert!(r
        .id
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    // A filter wins over the rule's own prefix; an empty filter is no filter.
    let r = rule(&format!("<ID>pf</ID><Prefix>a</Prefix><Filter><Prefix>b</Prefix></Filter>{ON}<Expiration><Days>1</Days></Expiration>")).unwrap();
    assert_eq!(r.effective_prefix(), "b");
    let r = rule(&format!(
        "<ID>e</ID><Filter></Filter>{ON}<Expiration><Days>3</Days></Expiration>"
    ))
    .unwrap();
    assert_eq!((r.filter.is_none(), r.effective_prefix()), (true, ""));
    // ... but it replaces the rule's own prefix, as any filter does.
    for f in [
        "<Filter></Filter>",
        "<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>",
    ] {
        let r = rule(&format!(
            "<ID>e</ID><Prefix>q/</Prefix>{f}{ON}<Expiration><Days>3</Days></Expiration>"
        ))
        .unwrap();
        assert_eq!((r.prefix.as_str(), r.effective_prefix()), ("", ""), "{f}");
    }
    let r = rule(&format!(
        "<ID>t</ID><Filter><And><Prefix>a/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>k2</Key><Value>v2</Value></Tag></And></Filter>{ON}<Expiration><Date>2027-01-01T00:00:00Z</Date></Expiration>"
    ))
    .unwrap();
    let f = r.filter.clone().unwrap();
    assert_eq!(f.prefix, "a/");
    assert_eq!(
        f.tags,
        vec![("k".into(), "v".into()), ("k2".into(), "v2".into())]
    );
    assert_eq!(
        r.expiration,
        Some(Expiration::Date(
            "2027-01-01T00:00:00Z".into(),
            1_798_761_600
        ))
    );
    // Covered: the prefix and every tag.
    let tags = |t: &[(&str, &str)]| {
        t.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    assert!(r.covers("a/x", &tags(&[("k2", "v2"), ("k", "v"), ("o", "p")])));
    assert!(!r.covers("a/x", &tags(&[("k", "v")])));
    assert!(!r.covers("b/x", &tags(&[("k", "v"), ("k2", "v2")])));
    // Transitions and noncurrent rules are kept (nothing here for them to act on).
    let r = rule(&format!("<ID>g</ID>{ON}<Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition><NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays></NoncurrentVersionExpiration>")).unwrap();
    assert_eq!(r.transitions[0].storage_class, "GLACIER");
    assert_eq!(r.noncurrent_days, Some(2));
    let r = rule(&format!("<ID>d</ID>{ON}<Status>Disabled</Status>")).unwrap_err();
    assert_eq!(r, Error::MalformedXml); // Status given twice
}

#[test]
fn days_count_from_midnight_or_debug_days() {
    let day = 86_400;
    let midnight = 1_798_761_600; // 2027-01-01T00:00:00Z
    let r = rule(&format!(
        "<ID>a</ID>{ON}<Expiration><Days>1</Days></Expiration>"
    ))
    .unwrap();
    // Written at 23:00 on Dec 31: expired from midnight Jan 2 (a whole day after the first
    // midnight that follows), not at 23:00 on Jan 1.
    let written = midnight - 3600;
    let at = |now| LcClock {
        now,
        debug_day: None,
    };
    assert!(!at(midnight + day - 3600).expires(&r, written));
    assert!(at(midnight + day).expires(&r, written));
    // Debug days: that many seconds from the write.
    let dbg = |now| LcClock {
        now,
        debug_day: Some(10),
    };
    assert!(!dbg(written + 9).expires(&r, written));
    assert!(dbg(written + 10).expires(&r, written));
    // A date: from that midnight on, whatever the object's age.
    let d = rule(&format!(
        "<ID>d</ID>{ON}<Expiration><Date>2027-01-01T00:00:00.000Z</Date></Expiration>"
    ))
    .unwrap();
    assert!(!at(midnight - 1).expires(&d, 0));
    assert!(at(midnight).expires(&d, midnight));
    // Rules that expire nothing current.
    let m = rule(&format!("<ID>m</ID>{ON}<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>")).unwrap();
    assert!(!at(midnight * 2).expires(&m, 0));
}

#[test]
fn expiry_names_the_earliest_rule() {
    let rs = rules(&format!(
        "<Rule><ID>week</ID><Prefix>a</Prefix>{ON}<Expiration><Days>7</Days></Expiration></Rule>\
         <Rule><ID>day</ID><Prefix>a/</Prefix>{ON}<Expiration><Days>1</Days></Expiration></Rule>\
         <Rule><ID>off</ID><Prefix></Prefix><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>\
         <Rule><ID>date</ID><Prefix>b</Prefix>{ON}<Expiration><Date>2027-01-01T00:00:00Z</Date></Expiration></Rule>"
    ))
    .unwrap();
    let written = 1_798_761_600 - 3600; // 2026-12-31T23:00:00Z
                                        // A day after the write, rounded up to midnight: 2027-01-02.
    assert_eq!(
        expiry(&rs, "a/x", &[], written),
        Some((1_798_761_600 + 86_400, "day"))
    );
    assert_eq!(
        expiry(&rs, "ab", &[], written),
        Some((1_798_761_600 + 7 * 86_400, "week"))
    );
    assert_eq!(expiry(&rs, "b1", &[], 0), Some((1_798_761_600, "date")));
    assert_eq!(expiry(&rs, "c", &[], written), None);
}

#[test]
fn and_alone_counts_in_a_filter() {
    // radosgw reads only what is inside <And> when a filter has one.
    let r = rule(&format!(
        "<ID>x</ID><Filter><Prefix>days1/</Prefix><Tag><Key>tom</Key><Value>sawyer</Value></Tag>\
         <And><Prefix>days1</Prefix><Tag><Key>huck</Key><Value>finn</Value></Tag></And></Filter>\
         {ON}<Expiration><Days>1</Days></Expiration>"
    ))
    .unwrap();
    let f = r.filter.unwrap();
    assert_eq!(
        (f.prefix.as_str(), f.tags),
        ("days1", vec![("huck".into(), "finn".into())])
    );
}
