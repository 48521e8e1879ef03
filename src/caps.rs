//! Admin caps: radosgw's grammar (`RGWUserCaps::add_from_string`) and the per-op check.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

pub const READ: u32 = 1;
pub const WRITE: u32 = 2;
pub const ALL: u32 = READ | WRITE;

/// Cap types radosgw (Reef) accepts. Pacific's list lacks `info`, `ratelimit` and
/// `user-info-without-keys`, but accepting them is harmless and lets a Pacific-level store
/// be served at Reef level later.
pub const TYPES: &[&str] = &[
    "user",
    "users",
    "buckets",
    "metadata",
    "info",
    "usage",
    "zone",
    "bilog",
    "mdlog",
    "datalog",
    "roles",
    "user-policy",
    "amz-cache",
    "oidc-provider",
    "user-info-without-keys",
    "ratelimit",
    "accounts",
];

/// Types only radosgw 19 (`squid`) knows: refused below it.
pub const SQUID_TYPES: &[&str] = &["accounts"];

/// Parse as `parse`, refusing at `squid == false` the types only radosgw 19 knows.
pub fn parse_at(s: &str, squid: bool) -> Result<Vec<(String, u32)>> {
    let caps = parse(s)?;
    if !squid && caps.iter().any(|(t, _)| SQUID_TYPES.contains(&t.as_str())) {
        return Err(Error::InvalidCapability);
    }
    Ok(caps)
}

/// The caps a user holds, by type; sorted, as radosgw dumps them.
pub type Caps = BTreeMap<String, u32>;

/// Parse `type=perm[,perm];type=perm`. Perm words are `*`, `read`, `write`, case-sensitive;
/// unknown words are ignored (radosgw 16 accepts `users=bogus` and grants nothing). A part
/// without `=`, an unknown type, or an empty string → `InvalidCapability`.
pub fn parse(s: &str) -> Result<Vec<(String, u32)>> {
    let mut out = Vec::new();
    for part in s.split(';') {
        if part.trim().is_empty() && !out.is_empty() {
            continue;
        }
        let (ty, perms) = part.split_once('=').ok_or(Error::InvalidCapability)?;
        let ty = ty.trim();
        if !TYPES.contains(&ty) {
            return Err(Error::InvalidCapability);
        }
        let mut mask = 0;
        for w in perms
            .split([';', ',', '=', ' ', '\t'])
            .filter(|w| !w.is_empty())
        {
            mask |= match w {
                "*" => ALL,
                "read" => READ,
                "write" => WRITE,
                _ => 0,
            };
        }
        out.push((ty.to_string(), mask));
    }
    if out.is_empty() {
        return Err(Error::InvalidCapability);
    }
    Ok(out)
}

/// `caps add`: OR the perms in, creating the entry even when the perm is empty.
pub fn add(caps: &mut Caps, s: &str) -> Result<()> {
    for (ty, mask) in parse(s)? {
        *caps.entry(ty).or_insert(0) |= mask;
    }
    Ok(())
}

/// `caps rm`: clear the perms; an entry left with nothing is dropped; absent types are a no-op.
pub fn remove(caps: &mut Caps, s: &str) -> Result<()> {
    for (ty, mask) in parse(s)? {
        if let Some(m) = caps.get_mut(&ty) {
            *m &= !mask;
            if *m == 0 {
                caps.remove(&ty);
            }
        }
    }
    Ok(())
}

pub fn perm_str(mask: u32) -> &'static str {
    match mask & ALL {
        ALL => "*",
        READ => "read",
        WRITE => "write",
        _ => "<none>",
    }
}

/// Does `caps` grant `need` (READ or WRITE) on `ty`?
pub fn allows(caps: &Caps, ty: &str, need: u32) -> bool {
    caps.get(ty).is_some_and(|m| m & need == need)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar_like_radosgw() {
        assert_eq!(
            parse("usage=read,write;users=read").unwrap(),
            vec![("usage".into(), ALL), ("users".into(), READ)]
        );
        assert_eq!(parse("users=bogus").unwrap(), vec![("users".into(), 0)]);
        assert_eq!(
            parse(" metadata =*").unwrap(),
            vec![("metadata".into(), ALL)]
        );
        assert_eq!(parse("bogus=read"), Err(Error::InvalidCapability));
        assert_eq!(parse("users"), Err(Error::InvalidCapability));
        assert_eq!(parse(""), Err(Error::InvalidCapability));
        assert_eq!(parse("users=Read").unwrap(), vec![("users".into(), 0)]);
    }

    #[test]
    fn add_and_remove() {
        let mut c = Caps::new();
        add(&mut c, "users=read;buckets=*").unwrap();
        add(&mut c, "users=write").unwrap();
        assert_eq!(perm_str(c["users"]), "*");
        remove(&mut c, "buckets=*;zone=read").unwrap();
        assert!(!c.contains_key("buckets"));
        assert!(allows(&c, "users", WRITE));
        assert!(!allows(&c, "usage", READ));
        // a failed parse changes nothing
        assert!(add(&mut c, "users=read;bogus=read").is_err());
        assert_eq!(c.len(), 1);
    }
}
