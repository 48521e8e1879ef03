use super::*;

#[test]
fn put_preconditions_as_radosgw() {
    let h = |n: &'static str, v: &'static str| {
        let mut m = HeaderMap::new();
        m.insert(n, v.parse().unwrap());
        m
    };
    let pf = Err(Error::PreconditionFailed);
    let put = |h: &HeaderMap, e| put_preconditions(h, e, Compat::Pacific);
    assert_eq!(put(&h("if-none-match", "*"), None), Ok(()));
    assert_eq!(put(&h("if-none-match", "*"), Some("e1")), pf);
    assert_eq!(put(&h("if-none-match", "\"e1\""), Some("e1")), pf);
    assert_eq!(put(&h("if-none-match", "\"e2\""), Some("e1")), Ok(()));
    assert_eq!(put(&h("if-match", "*"), None), pf);
    // At squid, AWS's answer: the object to match is missing.
    let squid = put_preconditions(&h("if-match", "\"e1\""), None, Compat::Squid);
    assert_eq!(squid, Err(Error::NoSuchKey));
    let reef = put_preconditions(&h("if-match", "\"e1\""), None, Compat::Reef);
    assert_eq!(reef, pf);
    assert_eq!(put(&h("if-match", "*"), Some("e1")), Ok(()));
    assert_eq!(put(&h("if-match", "\"e1\""), Some("e1")), Ok(()));
    assert_eq!(put(&h("if-match", "\"e2\""), Some("e1")), pf);
    // a list, and the same rule as reads: one pair of quotes, not any number
    assert_eq!(put(&h("if-match", "\"e0\", \"e1\""), Some("e1")), Ok(()));
    assert_eq!(put(&h("if-match", "\"\"e1\"\""), Some("e1")), pf);
    assert_eq!(
        check_conditions(&h("if-match", "\"\"e1\"\""), "e1", 0),
        Err(Error::PreconditionFailed)
    );
    assert_eq!(
        check_conditions(&h("if-match", "e0, e1"), "e1", 0),
        Ok(None)
    );
}

#[test]
fn copy_source_splits_before_decoding() {
    let ok = |b: &str, k: &str, v: Option<&str>| {
        Ok((b.to_string(), k.to_string(), v.map(str::to_string)))
    };
    assert_eq!(
        parse_copy_source("/b/a%3FversionId%3Dx"),
        ok("b", "a?versionId=x", None)
    );
    assert_eq!(
        parse_copy_source("b/a%20c?versionId=null"),
        ok("b", "a c", Some("null"))
    );
    assert_eq!(
        parse_copy_source("/b/k?versionId=v1"),
        ok("b", "k", Some("v1"))
    );
    assert_eq!(parse_copy_source("/b/k?versionId="), ok("b", "k", None));
    assert_eq!(parse_copy_source("/b"), Err(Error::InvalidArgument));
}

#[test]
fn ranges() {
    assert_eq!(parse_range(None, 10).unwrap(), None);
    assert_eq!(parse_range(Some("bytes=0-4"), 10).unwrap(), Some((0, 4)));
    assert_eq!(parse_range(Some("bytes=5-"), 10).unwrap(), Some((5, 9)));
    assert_eq!(parse_range(Some("bytes=-3"), 10).unwrap(), Some((7, 9)));
    assert_eq!(parse_range(Some("bytes=8-100"), 10).unwrap(), Some((8, 9)));
    assert_eq!(
        parse_range(Some("bytes=0-1,3-4"), 10).unwrap(),
        Some((0, 1))
    );
    assert_eq!(
        parse_range(Some("bytes=-2, 0-1"), 10).unwrap(),
        Some((8, 9))
    );
    assert_eq!(
        parse_range(Some("bytes=20-30,0-1"), 10),
        Err(Error::InvalidRange)
    );
    assert_eq!(parse_range(Some("items=0-1"), 10).unwrap(), None);
    assert_eq!(parse_range(Some("bytes=10-"), 10), Err(Error::InvalidRange));
    assert_eq!(parse_range(Some("bytes=-0"), 10), Err(Error::InvalidRange));
    assert_eq!(parse_range(Some("bytes=5-2"), 10), Err(Error::InvalidRange));
    assert_eq!(parse_range(Some("bytes=0-0"), 0), Err(Error::InvalidRange));
}

#[test]
fn conditions() {
    let mut h = HeaderMap::new();
    let t = 1_795_420_800_000_000;
    assert_eq!(check_conditions(&h, "abc", t), Ok(None));
    h.insert("if-match", "\"abc\"".parse().unwrap());
    assert_eq!(check_conditions(&h, "abc", t), Ok(None));
    h.insert("if-match", "\"x\"".parse().unwrap());
    assert_eq!(
        check_conditions(&h, "abc", t),
        Err(Error::PreconditionFailed)
    );
    let mut h = HeaderMap::new();
    h.insert("if-none-match", "*".parse().unwrap());
    assert_eq!(
        check_conditions(&h, "abc", t),
        Ok(Some(StatusCode::NOT_MODIFIED))
    );
    let mut h = HeaderMap::new();
    h.insert(
        "if-modified-since",
        "Mon, 23 Nov 2026 08:00:00 GMT".parse().unwrap(),
    );
    assert_eq!(
        check_conditions(&h, "abc", t),
        Ok(Some(StatusCode::NOT_MODIFIED))
    );
    h.insert(
        "if-modified-since",
        "Sun, 22 Nov 2026 08:00:00 GMT".parse().unwrap(),
    );
    assert_eq!(check_conditions(&h, "abc", t), Ok(None));
}

#[test]
fn metadata_limit() {
    let mut h = HeaderMap::new();
    h.insert("x-amz-meta-a", "x".repeat(2000).parse().unwrap());
    assert!(stored_headers(&h).is_ok());
    h.insert("x-amz-meta-b", "x".repeat(100).parse().unwrap());
    assert_eq!(stored_headers(&h), Err(Error::MetadataTooLarge));
    // Standard headers: 8 KiB in all, Content-Type included.
    let mut h = HeaderMap::new();
    h.insert("content-disposition", "x".repeat(4000).parse().unwrap());
    h.insert("content-type", "x".repeat(4000).parse().unwrap());
    assert!(stored_headers(&h).is_ok());
    h.insert("cache-control", "x".repeat(200).parse().unwrap());
    assert_eq!(stored_headers(&h), Err(Error::RequestHeaderSectionTooLarge));
}

#[test]
fn header_values_round_trip_byte_for_byte() {
    for raw in [
        &b"plain"[..],
        b"Hello World\xe9",
        "Zürich Ω".as_bytes(),
        b"",
    ] {
        assert_eq!(&*header_bytes(&upload_headers::header_text(raw)), raw);
    }
    // A value stored as UTF-8 text past U+00FF goes out as that UTF-8.
    assert_eq!(&*header_bytes("Ω"), "Ω".as_bytes());
}
