//! Ceph's own algorithms and encodings that radosgw's answers depend on: the hashes that put
//! RADOS objects (and so metadata listings and index shards) in order, and the binary
//! encoding of an access control policy. No crate has them; the tests pin them to captures.

/// radosgw's default index shard count for new buckets (as the captures show).
pub const NUM_SHARDS: usize = 11;

/// The bitwise sort key of an object in a namespace (`hobject_t::get_bitwise_key_u32`):
/// RADOS lists a pool in this order, and radosgw's metadata listings follow it.
pub fn rados_key(ns: &str, name: &str) -> u32 {
    let mut buf = Vec::with_capacity(ns.len() + 1 + name.len());
    buf.extend_from_slice(ns.as_bytes());
    buf.push(0x1f);
    buf.extend_from_slice(name.as_bytes());
    rjenkins(&buf).reverse_bits()
}

/// Namespace of user records in radosgw's metadata pool.
pub const USERS_NS: &str = "users.uid";
/// Namespace of bucket entry points.
pub const BUCKETS_NS: &str = "root";

/// `ceph_str_hash_rjenkins` (Bob Jenkins' lookup2), the hash RADOS places objects by.
pub fn rjenkins(k: &[u8]) -> u32 {
    fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
        *a = a.wrapping_sub(*b).wrapping_sub(*c) ^ (*c >> 13);
        *b = b.wrapping_sub(*c).wrapping_sub(*a) ^ (*a << 8);
        *c = c.wrapping_sub(*a).wrapping_sub(*b) ^ (*b >> 13);
        *a = a.wrapping_sub(*b).wrapping_sub(*c) ^ (*c >> 12);
        *b = b.wrapping_sub(*c).wrapping_sub(*a) ^ (*a << 16);
        *c = c.wrapping_sub(*a).wrapping_sub(*b) ^ (*b >> 5);
        *a = a.wrapping_sub(*b).wrapping_sub(*c) ^ (*c >> 3);
        *b = b.wrapping_sub(*c).wrapping_sub(*a) ^ (*a << 10);
        *c = c.wrapping_sub(*a).wrapping_sub(*b) ^ (*b >> 15);
    }
    let word = |s: &[u8]| u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
    let (mut a, mut b, mut c) = (0x9e37_79b9u32, 0x9e37_79b9u32, 0u32);
    let mut rest = k;
    while rest.len() >= 12 {
        a = a.wrapping_add(word(&rest[0..4]));
        b = b.wrapping_add(word(&rest[4..8]));
        c = c.wrapping_add(word(&rest[8..12]));
        mix(&mut a, &mut b, &mut c);
        rest = &rest[12..];
    }
    c = c.wrapping_add(k.len() as u32);
    // The tail: bytes 0-3 into a, 4-7 into b, 8-10 into c above its low (length) byte.
    for (i, &byte) in rest.iter().enumerate() {
        let v = byte as u32;
        match i {
            0..=3 => a = a.wrapping_add(v << (8 * i)),
            4..=7 => b = b.wrapping_add(v << (8 * (i - 4))),
            _ => c = c.wrapping_add(v << (8 * (i - 7))),
        }
    }
    mix(&mut a, &mut b, &mut c);
    c
}

/// `ceph_str_hash_linux`, the hash radosgw picks an index shard with.
fn str_hash_linux(s: &[u8]) -> u32 {
    let mut h: u32 = 0;
    for &c in s {
        let c = c as u32;
        h = h.wrapping_add(c << 4).wrapping_add(c >> 4).wrapping_mul(11);
    }
    h
}

/// The index shard of an object (`RGWSI_BucketIndex_RADOS::bucket_shard_index`).
pub fn shard_of(key: &str) -> usize {
    let sid = str_hash_linux(key.as_bytes());
    let sid2 = sid ^ ((sid & 0xff) << 24);
    (sid2 % 7877) as usize % NUM_SHARDS
}

/// A grant as Ceph encodes it: grantee type (0 user, 2 group), id, display name,
/// permission flags, group (1 AllUsers, 2 AuthenticatedUsers).
pub struct BlobGrant<'a> {
    pub ty: u32,
    pub id: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub flags: u32,
    pub group: u32,
}

/// Ceph's binary encoding of an `RGWAccessControlPolicy` (the `user.rgw.acl` attribute
/// radosgw shows in bucket.instance metadata): versioned sections (`ENCODE_START`: version,
/// compat, u32 length), little-endian ints, u32-prefixed strings.
pub fn acl_blob<'a>(owner: &str, display: &str, grants: &[BlobGrant<'a>]) -> Vec<u8> {
    fn section(v: u8, compat: u8, body: Vec<u8>) -> Vec<u8> {
        let mut out = vec![v, compat];
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend(body);
        out
    }
    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    fn u32le(out: &mut Vec<u8>, v: u32) {
        out.extend_from_slice(&v.to_le_bytes());
    }
    // ACLGrant v5: type, id, uri, email, permission, name, group, url_spec.
    let grant = |g: &BlobGrant| {
        let mut b = section(2, 2, g.ty.to_le_bytes().to_vec());
        string(&mut b, g.id);
        string(&mut b, "");
        string(&mut b, g.email);
        b.extend(section(2, 2, g.flags.to_le_bytes().to_vec()));
        string(&mut b, g.name);
        u32le(&mut b, g.group);
        string(&mut b, "");
        section(5, 3, b)
    };
    // Ceph keeps grants in maps keyed by id (groups under ""), so every list is in key order.
    let key = |g: &BlobGrant<'a>| if g.ty == 2 { "" } else { g.id };
    let mut users: std::collections::BTreeMap<&str, u32> = Default::default();
    let mut groups: std::collections::BTreeMap<u32, u32> = Default::default();
    for g in grants {
        if g.ty == 2 {
            *groups.entry(g.group).or_default() |= g.flags;
        } else {
            *users.entry(key(g)).or_default() |= g.flags;
        }
    }
    let mut ordered: Vec<&BlobGrant> = grants.iter().collect();
    ordered.sort_by_key(|g| key(g));
    let mut o = Vec::new();
    string(&mut o, owner);
    string(&mut o, display);
    let mut acl = vec![1u8]; // maps initialized
    u32le(&mut acl, users.len() as u32);
    for (id, flags) in &users {
        string(&mut acl, id);
        u32le(&mut acl, *flags);
    }
    u32le(&mut acl, ordered.len() as u32);
    for g in ordered {
        string(&mut acl, key(g));
        acl.extend(grant(g));
    }
    u32le(&mut acl, groups.len() as u32);
    for (group, flags) in &groups {
        u32le(&mut acl, *group);
        u32le(&mut acl, *flags);
    }
    u32le(&mut acl, 0); // referer list
    let mut policy = section(3, 2, o);
    policy.extend(section(4, 3, acl));
    section(2, 2, policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rados_listing_order_matches_radosgw() {
        // As listed by radosgw 16.2.15 (golden 053/054) and the marker of golden 056.
        let want = [
            "dave",
            "alice",
            "xavier",
            "nocaps",
            "gina",
            "admin",
            "reader",
            "acme$dan",
            "bob",
            "ivy",
            "acme$carol",
        ];
        let mut got: Vec<&str> = want.iter().rev().copied().collect();
        got.sort_by_key(|u| (rados_key(USERS_NS, u), *u));
        assert_eq!(got, want);
        assert_eq!(rados_key(USERS_NS, "xavier"), 0x13ee2934);
    }

    #[test]
    fn bucket_listing_order_is_rados_order() {
        let want = [
            "alice-bucket-2",
            "alice-bucket-1",
            "dave-bucket",
            "alice-purge",
        ];
        let mut got: Vec<&str> = want.iter().rev().copied().collect();
        got.sort_by_key(|b| rados_key(BUCKETS_NS, b));
        assert_eq!(got, want);
    }

    #[test]
    fn shards_match_the_captured_versions() {
        // radosgw 16 bumped shards 0 and 4 for these two objects (golden 145: "0#2,...,4#2").
        let mut s = [shard_of("hello.txt"), shard_of("dir/obj2")];
        s.sort();
        assert_eq!(s, [0, 4]);
    }

    #[test]
    fn acl_blob_matches_radosgw() {
        use base64::Engine;
        // bucket.instance metadata of golden 167 (owner alice, "Alice Modified", private).
        let want = "AgKTAAAAAwIbAAAABQAAAGFsaWNlDgAAAEFsaWNlIE1vZGlmaWVkBANsAAAAAQEAAAAFAAAAYWxpY2UPAAAAAQAAAAUAAABhbGljZQUDPwAAAAICBAAAAAAAAAAFAAAAYWxpY2UAAAAAAAAAAAICBAAAAA8AAAAOAAAAQWxpY2UgTW9kaWZpZWQAAAAAAAAAAAAAAAAAAAAA";
        let owner = BlobGrant {
            ty: 0,
            id: "alice",
            name: "Alice Modified",
            email: "",
            flags: 15,
            group: 0,
        };
        let got = base64::engine::general_purpose::STANDARD.encode(acl_blob(
            "alice",
            "Alice Modified",
            &[owner],
        ));
        assert_eq!(got, want);
    }
}
