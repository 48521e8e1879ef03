use super::*;

#[test]
fn perm_strings() {
    assert_eq!(perm::to_str(perm::FULL), "full-control");
    assert_eq!(perm::to_str(perm::READ | perm::WRITE), "read-write");
    assert_eq!(perm::to_str(0), "<none>");
    assert_eq!(perm::to_str(perm::READ | perm::READ_ACP), "read, read-acp");
    assert_eq!(perm::parse("FULL"), Some(perm::FULL));
    assert_eq!(perm::parse("bogus"), None);
}

#[test]
fn op_mask_strings() {
    assert_eq!(op_mask::to_str(op_mask::ALL), "read, write, delete");
    assert_eq!(op_mask::parse("read, write, delete"), Some(op_mask::ALL));
    assert_eq!(op_mask::parse("*"), Some(op_mask::ALL));
    assert_eq!(op_mask::parse("bogus"), None);
}

#[test]
fn uid_forms() {
    let u = UserId::parse("acme$dan");
    assert_eq!((u.tenant.as_str(), u.id.as_str()), ("acme", "dan"));
    assert_eq!(u.to_string(), "acme$dan");
    assert_eq!(UserId::parse("bob").to_string(), "bob");
}

#[test]
fn old_key_records_read_as_active_without_date() {
    let k: Key = serde_json::from_str(r#"{"subuser":"","secret":"s"}"#).unwrap();
    assert!(k.active);
    assert_eq!(k.create_us, 0);
    assert_eq!(key_date(0), "0.000000");
    assert_eq!(
        key_date(1_795_420_800_123_456),
        "2026-11-23T08:00:00.123456Z"
    );
}

#[test]
fn key_fields_only_in_the_squid_view() {
    let mut u = User::new(UserId::parse("u"), "U".into());
    u.keys
        .insert("AK".into(), Key::new(String::new(), "SK".into()));
    let plain = crate::encode::json::render(&u.dump_keys(KeyView::default()), Default::default());
    assert_eq!(
        plain,
        r#"[{"user":"u","access_key":"AK","secret_key":"SK"}]"#
    );
    let squid = KeyView {
        squid: true,
        hidden: false,
    };
    let s = crate::encode::json::render(&u.dump_keys(squid), Default::default());
    assert!(
        s.contains(r#""secret_key":"SK","active":true,"create_date":"20"#),
        "{s}"
    );
    let hidden = KeyView {
        squid: true,
        hidden: true,
    };
    let s = crate::encode::json::render(&u.dump_info_in(None, hidden), Default::default());
    assert!(
        !s.contains("\"keys\"") && !s.contains("swift_keys") && !s.contains("SK"),
        "{s}"
    );
}

#[test]
fn quota_kb_rounds_up() {
    let q = Quota {
        max_size: 1_000_000,
        ..Quota::default()
    };
    let s = crate::encode::json::render(&q.dump(), Default::default());
    assert!(s.contains("\"max_size_kb\":977"), "{s}");
    let kb = |max_size| {
        Quota {
            max_size,
            ..Quota::default()
        }
        .max_size_kb()
    };
    assert_eq!((kb(0), kb(1), kb(1024), kb(1025), kb(-1)), (0, 1, 1, 2, 0));
    // radosgw 16.2.15 after `max-size-kb=-5` / `-3`, and `max-size=-7`.
    assert_eq!(
        (kb(-5120), kb(-3072), kb(-7), kb(i64::MIN)),
        (-4, -2, 0, i64::MIN / 1024 + 1)
    );
    assert_eq!(kb(i64::MAX), 1 << 53);
}

#[test]
fn user_id_written_in_place_as_displayed() {
    let mut out = String::from("stale");
    for uid in ["admin", "t1$admin", "$x"] {
        let u = UserId::parse(uid);
        u.write_into(&mut out);
        assert_eq!(out, u.to_string(), "{uid}");
    }
}
