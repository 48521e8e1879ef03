//! `rgw-admin check`: is the store consistent with itself and with its data files?
//!
//! Runs on a stopped store (it opens it as the CLI does). It reads every record once and
//! checks, in both directions, what the gateway keeps in step in one transaction: a user
//! and its access-key, swift, email and listing-order entries; a bucket and its owner's
//! link, its order and instance entries; each bucket's stats counters and the objects and
//! upload parts it indexes; each index entry and its data files; and data files nobody
//! names. Each finding is printed on one line.
//!
//! `--fix` repairs only what cannot lose anything: it writes a missing index entry when
//! nobody else holds it, deletes an index entry whose record does not claim it, sets stats
//! counters to what the index holds, and deletes data files no entry names (what the
//! server's start-up sweep would delete too). A missing or damaged data file, a bucket whose
//! owner is gone, or an index entry held by another record is reported for an operator.
//! Then the check runs again, and the exit status says whether the store is now clean.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::domain::blobs::valid_id;
use crate::domain::buckets::{decode, size_actual, Bucket};
use crate::domain::uploads::Part;
use crate::model::User;
use crate::store::{schema, Store, Txn};

/// One finding, and how to repair it when that is safe.
struct Finding {
    what: String,
    fix: Option<Fix>,
}

enum Fix {
    /// Write an index entry that must not exist yet.
    Put(Vec<u8>, Vec<u8>),
    /// Delete an index entry that still has this value.
    Delete(Vec<u8>, Vec<u8>),
    /// Add to counters.
    Incr(Vec<u8>, Vec<i64>),
    RemoveFile(PathBuf),
}

/// What the index holds for one bucket: `rgw.main` sums and open uploads.
#[derive(Default, Clone, Copy)]
struct Sums {
    size: i64,
    actual: i64,
    objects: i64,
    uploads: i64,
}

struct Checker<'a> {
    store: &'a Store,
    /// Where object data lives (`objects_dir`).
    objects: &'a Path,
    found: Vec<Finding>,
    /// Data files some entry names.
    named: HashSet<String>,
    bar: indicatif::ProgressBar,
}

/// Run the check (and the repairs, with `fix`); prints the findings; true when the store
/// is clean at the end.
pub async fn run(store: &Store, objects: &Path, fix: bool) -> Result<bool, String> {
    let found = scan(store, objects).await?;
    for f in &found {
        let tag = match (&f.fix, fix) {
            (_, false) => "",
            (Some(_), true) => " (fixing)",
            (None, true) => " (not fixed: needs an operator)",
        };
        println!("{}{tag}", f.what);
    }
    if found.is_empty() {
        println!("check: the store is consistent");
        return Ok(true);
    }
    let fixable = found.iter().filter(|f| f.fix.is_some()).count();
    if !fix {
        println!(
            "check: {} problems ({fixable} can be fixed with --fix)",
            found.len()
        );
        return Ok(false);
    }
    for f in found.into_iter().filter_map(|f| f.fix) {
        apply(store, f).await?;
    }
    let left = scan(store, objects).await?;
    for f in &left {
        println!("still: {}", f.what);
    }
    println!("check: fixed {fixable}; {} problems left", left.len());
    Ok(left.is_empty())
}

async fn apply(store: &Store, fix: Fix) -> Result<(), String> {
    let mut t = Txn::default();
    match fix {
        Fix::Put(k, v) => {
            t.expect(k.clone(), None).put(k, v);
        }
        Fix::Delete(k, v) => {
            t.expect(k.clone(), Some(v)).delete(k);
        }
        Fix::Incr(k, d) => {
            t.incr(k, d);
        }
        Fix::RemoveFile(p) => {
            return match std::fs::remove_file(&p) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(format!("cannot remove {}: {e}", p.display())),
            };
        }
    }
    // A conflict means another finding's repair took the key first: the second scan says so.
    match store.commit(t).await {
        Ok(_) | Err(crate::store::CommitError::Conflict) => Ok(()),
        Err(e) => Err(format!("repair: {e}")),
    }
}

async fn scan(store: &Store, objects: &Path) -> Result<Vec<Finding>, String> {
    let mut c = Checker {
        store,
        objects,
        found: Vec::new(),
        named: HashSet::new(),
        bar: super::progress("check: entries"),
    };
    let users = c.users().await?;
    c.user_indexes(&users).await?;
    let buckets = c.buckets(&users).await?;
    c.bucket_indexes(&buckets).await?;
    c.objects_and_stats(&buckets).await?;
    c.orphan_files()?;
    c.bar.finish_and_clear();
    Ok(c.found)
}

/// Every entry under `prefix`, a page at a time (memory holds one page).
async fn each(
    store: &Store,
    prefix: &str,
    mut f: impl FnMut(&[u8], Vec<u8>),
) -> Result<(), String> {
    crate::store::for_each_page(store, prefix.as_bytes(), 1000, |rows| {
        for (k, v) in rows {
            f(&k[prefix.len()..], v);
        }
        true
    })
    .await
    .map_err(|e| e.to_string())
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Checker<'_> {
    fn report(&mut self, what: String, fix: Option<Fix>) {
        self.found.push(Finding { what, fix });
    }

    async fn get(&self, k: &[u8]) -> Result<Option<Vec<u8>>, String> {
        self.store.get(k).await.map_err(|e| e.to_string())
    }

    /// An index entry `k` that should hold `uid`.
    async fn expect_index(&mut self, k: Vec<u8>, uid: &str, what: &str) -> Result<(), String> {
        match self.get(&k).await? {
            Some(v) if v == uid.as_bytes() => {}
            None => self.report(
                format!("user {uid}: {what} is not indexed"),
                Some(Fix::Put(k, uid.as_bytes().to_vec())),
            ),
            Some(v) => self.report(
                format!("user {uid}: {what} is indexed to user {}", text(&v)),
                None,
            ),
        }
        Ok(())
    }

    /// Every user record, by uid; each checked against its own index entries.
    async fn users(&mut self) -> Result<HashMap<String, User>, String> {
        let mut raw = Vec::new();
        each(self.store, schema::USER, |k, v| raw.push((text(k), v))).await?;
        let mut users = HashMap::new();
        for (uid, v) in raw {
            self.bar.inc(1);
            let u: User = match serde_json::from_slice(&v) {
                Ok(u) => u,
                Err(e) => {
                    self.report(format!("user {uid}: corrupt record: {e}"), None);
                    continue;
                }
            };
            if self.get(&schema::user_order(&uid)).await?.is_none() {
                self.report(
                    format!("user {uid}: missing from the user listing"),
                    Some(Fix::Put(schema::user_order(&uid), Vec::new())),
                );
            }
            for ak in u.keys.keys() {
                self.expect_index(schema::access_key(ak), &uid, &format!("access key {ak}"))
                    .await?;
            }
            for s in u.swift_keys.keys() {
                let id = u.subuser_id(s);
                self.expect_index(schema::swift(&id), &uid, &format!("swift key {id}"))
                    .await?;
            }
            if !u.email.is_empty() {
                self.expect_index(schema::email(&u.email), &uid, &format!("email {}", u.email))
                    .await?;
            }
            users.insert(uid, u);
        }
        Ok(users)
    }

    /// Index entries whose user is gone or no longer claims them.
    async fn user_indexes(&mut self, users: &HashMap<String, User>) -> Result<(), String> {
        for (prefix, what) in [
            (schema::ACCESS_KEY, "access key"),
            (schema::SWIFT, "swift key"),
            (schema::EMAIL, "email"),
        ] {
            let mut rows = Vec::new();
            each(self.store, prefix, |k, v| rows.push((text(k), v))).await?;
            for (name, v) in rows {
                self.bar.inc(1);
                let uid = text(&v);
                if prefix == schema::EMAIL && uid.starts_with(schema::ACCOUNT_EMAIL_OWNER) {
                    // An account's email (squid): its record must hold it.
                    let id = &uid[schema::ACCOUNT_EMAIL_OWNER.len()..];
                    let acct = self.get(&schema::account(id)).await?;
                    let holds = acct
                        .and_then(|a| serde_json::from_slice::<crate::account::Account>(&a).ok())
                        .is_some_and(|a| a.email == name);
                    if holds {
                        continue;
                    }
                }
                let claimed = users.get(&uid).is_some_and(|u| match prefix {
                    schema::ACCESS_KEY => u.keys.contains_key(&name),
                    schema::SWIFT => u.swift_keys.keys().any(|s| u.subuser_id(s) == name),
                    _ => u.email == name,
                });
                if !claimed {
                    let mut k = prefix.as_bytes().to_vec();
                    k.extend_from_slice(name.as_bytes());
                    self.report(
                        format!("{what} {name}: indexed to user {uid}, who does not have it"),
                        Some(Fix::Delete(k, v)),
                    );
                }
            }
        }
        let mut rows = Vec::new();
        each(self.store, schema::USER_ORDER, |k, v| {
            rows.push((k.to_vec(), v))
        })
        .await?;
        for (k, v) in rows {
            let mut full = schema::USER_ORDER.as_bytes().to_vec();
            full.extend_from_slice(&k);
            let uid = schema::parse_order(schema::USER_ORDER, &full).map(|(_, u)| u);
            if uid.as_ref().is_none_or(|u| !users.contains_key(u)) {
                self.report(
                    format!("user listing names user {}, who does not exist", text(&k)),
                    Some(Fix::Delete(full, v)),
                );
            }
        }
        Ok(())
    }

    /// Every bucket record, by bucket key; each checked against its owner and entries.
    async fn buckets(
        &mut self,
        users: &HashMap<String, User>,
    ) -> Result<HashMap<String, Bucket>, String> {
        let mut raw = Vec::new();
        each(self.store, schema::BUCKET, |k, v| raw.push((text(k), v))).await?;
        let mut buckets = HashMap::new();
        for (bk, v) in raw {
            self.bar.inc(1);
            let b: Bucket = match decode(&v) {
                Ok(b) => b,
                Err(e) => {
                    self.report(format!("bucket {bk}: corrupt record: {e}"), None);
                    continue;
                }
            };
            if !users.contains_key(&b.owner) {
                self.report(
                    format!("bucket {bk}: owner {} does not exist", b.owner),
                    None,
                );
            }
            for (k, what) in [
                (
                    schema::user_bucket(&b.owner, &bk),
                    "not linked to its owner",
                ),
                (schema::bucket_order(&bk), "missing from the bucket listing"),
                (
                    schema::bucket_instance(&bk, &b.id),
                    "its instance is not indexed",
                ),
            ] {
                if self.get(&k).await?.is_none() {
                    self.report(
                        format!("bucket {bk}: {what}"),
                        Some(Fix::Put(k, Vec::new())),
                    );
                }
            }
            buckets.insert(bk, b);
        }
        Ok(buckets)
    }

    /// Links, order and instance entries of buckets that are gone or are not so.
    async fn bucket_indexes(&mut self, buckets: &HashMap<String, Bucket>) -> Result<(), String> {
        for prefix in [
            schema::USER_BUCKET,
            schema::BUCKET_ORDER,
            schema::BUCKET_INSTANCE,
            schema::BUCKET_DATA,
        ] {
            let mut rows = Vec::new();
            each(self.store, prefix, |k, v| rows.push((k.to_vec(), v))).await?;
            for (k, v) in rows {
                self.bar.inc(1);
                let rest = text(&k);
                let mut full = prefix.as_bytes().to_vec();
                full.extend_from_slice(&k);
                let ok = match prefix {
                    // `<uid>/<bkey>`: uids and bucket names hold no `/`.
                    schema::USER_BUCKET => rest
                        .split_once('/')
                        .is_some_and(|(uid, bk)| buckets.get(bk).is_some_and(|b| b.owner == uid)),
                    schema::BUCKET_ORDER => schema::parse_order(prefix, &full)
                        .is_some_and(|(_, bk)| buckets.contains_key(&bk)),
                    // The data space a renamed bucket holds: that bucket's, named by it.
                    schema::BUCKET_DATA => std::str::from_utf8(&v).is_ok_and(|bk| {
                        buckets
                            .get(bk)
                            .is_some_and(|b| b.data.as_deref() == Some(rest.as_str()))
                    }),
                    // `<bkey>:<id>`: a tenant's bucket key holds a `:` too, ids none.
                    _ => rest
                        .rsplit_once(':')
                        .is_some_and(|(bk, id)| buckets.get(bk).is_some_and(|b| b.id == id)),
                };
                if !ok {
                    self.report(
                        format!(
                            "{prefix}{rest}: names a bucket that does not exist (or is not so)"
                        ),
                        Some(Fix::Delete(full, v)),
                    );
                }
            }
        }
        Ok(())
    }

    /// A data file an entry names: there, with the size the entry says.
    fn check_file(&mut self, owner: &str, id: &str, size: u64) {
        if !valid_id(id) {
            self.report(
                format!("{owner}: names a data file {id:?} that cannot exist"),
                None,
            );
            return;
        }
        self.named.insert(id.to_string());
        match std::fs::metadata(self.objects.join(&id[..2]).join(id)) {
            Ok(m) if m.len() == size => {}
            Ok(m) => self.report(
                format!(
                    "{owner}: data file {id} has {} bytes, the entry says {size}",
                    m.len()
                ),
                None,
            ),
            Err(_) => self.report(format!("{owner}: data file {id} is missing"), None),
        }
    }

    /// One object version (current or not) of bucket `bk`: its files, and its place in the
    /// bucket's sums (a delete marker has neither).
    fn count_version(&mut self, sums: &mut HashMap<String, Sums>, bk: &str, owner: &str, v: &[u8]) {
        match decode::<crate::domain::objects::ObjectMeta>(v) {
            Ok(o) if o.delete_marker => {}
            Ok(o) => {
                let s = sums.entry(bk.to_string()).or_default();
                s.size += o.size as i64;
                s.actual += size_actual(o.size) as i64;
                s.objects += 1;
                for (id, n) in &o.data {
                    self.check_file(owner, id, *n);
                }
            }
            Err(e) => self.report(format!("{owner}: corrupt entry: {e}"), None),
        }
    }

    /// Objects and upload parts: their files, their buckets, and the buckets' counters.
    async fn objects_and_stats(&mut self, buckets: &HashMap<String, Bucket>) -> Result<(), String> {
        let mut sums: HashMap<String, Sums> = HashMap::new();
        let mut rows = Vec::new();
        // One page at a time would be kinder to memory; entries are small and checks need
        // the file system between pages, so pages are collected per prefix here.
        each(self.store, schema::OBJECT, |k, v| rows.push((text(k), v))).await?;
        for (rest, v) in rows.drain(..) {
            self.bar.inc(1);
            let Some((bk, key)) = rest.split_once('/') else {
                self.report(format!("obj/{rest}: malformed key"), None);
                continue;
            };
            self.count_version(&mut sums, bk, &format!("object {bk}/{key}"), &v);
        }
        // Noncurrent versions count as objects do; delete markers hold nothing.
        each(self.store, schema::OBJECT_VERSION, |k, v| {
            rows.push((text(k), v))
        })
        .await?;
        for (rest, v) in rows.drain(..) {
            self.bar.inc(1);
            let Some((bk, _)) = rest.split_once('/') else {
                self.report(format!("objv/{rest}: malformed key"), None);
                continue;
            };
            let owner = format!("object version {}", rest.replace('\0', " "));
            self.count_version(&mut sums, bk, &owner, &v);
        }
        let mut uploads: HashMap<String, String> = HashMap::new();
        each(self.store, schema::UPLOAD, |k, _| {
            rows.push((text(k), Vec::new()))
        })
        .await?;
        for (rest, _) in rows.drain(..) {
            let Some((bk, tail)) = rest.split_once('/') else {
                continue;
            };
            let id = tail.rsplit_once('\0').map(|(_, id)| id).unwrap_or_default();
            sums.entry(bk.to_string()).or_default().uploads += 1;
            uploads.insert(id.to_string(), bk.to_string());
        }
        each(self.store, schema::PART, |k, v| rows.push((text(k), v))).await?;
        for (rest, v) in rows.drain(..) {
            self.bar.inc(1);
            let id = rest.rsplit_once('/').map(|(id, _)| id).unwrap_or_default();
            let owner = format!("part {rest}");
            let Some(bk) = uploads.get(id) else {
                let mut k = schema::PART.as_bytes().to_vec();
                k.extend_from_slice(rest.as_bytes());
                // Its data file is then named by nothing and reported as such.
                self.report(
                    format!("{owner}: belongs to no upload in progress"),
                    Some(Fix::Delete(k, v)),
                );
                continue;
            };
            match decode::<Part>(&v) {
                Ok(p) => {
                    let s = sums.entry(bk.clone()).or_default();
                    s.size += p.size as i64;
                    s.actual += size_actual(p.size) as i64;
                    s.objects += 1;
                    self.check_file(&owner, &p.data, p.size);
                }
                Err(e) => self.report(format!("{owner}: corrupt entry: {e}"), None),
            }
        }
        // Objects, uploads and counters are kept under each bucket's data key.
        let data: HashMap<String, String> = buckets
            .iter()
            .map(|(bk, b)| (b.data_key(), bk.clone()))
            .collect();
        for dk in sums.keys().filter(|dk| !data.contains_key(*dk)) {
            let what = format!("bucket {dk}: objects or uploads indexed, but no such bucket");
            self.found.push(Finding { what, fix: None });
        }
        let mut keys: Vec<(&String, &String)> = data.iter().collect();
        keys.sort();
        for (dk, bk) in keys {
            let want = sums.get(dk).copied().unwrap_or_default();
            let k = schema::bucket_stats(dk);
            let cur = self
                .get(&k)
                .await?
                .map(|v| crate::store::decode_counters(&v))
                .unwrap_or_default();
            let g = |i: usize| cur.get(i).copied().unwrap_or(0);
            let have = [g(0), g(1), g(2), g(4)];
            let should = [want.size, want.actual, want.objects, want.uploads];
            if have != should {
                // Counters 3 and 5 only say "ever written": set them if they must show.
                let delta = vec![
                    should[0] - have[0],
                    should[1] - have[1],
                    should[2] - have[2],
                    i64::from(g(3) == 0 && want.objects > 0),
                    should[3] - have[3],
                    i64::from(g(5) == 0 && want.uploads > 0),
                ];
                self.report(
                    format!(
                        "bucket {bk}: stats say {} objects, {} bytes, {} uploads; the index holds {}, {}, {}",
                        have[2], have[0], have[3], should[2], should[0], should[3]
                    ),
                    Some(Fix::Incr(k, delta)),
                );
            }
        }
        Ok(())
    }

    /// Data files no entry names.
    fn orphan_files(&mut self) -> Result<(), String> {
        let Ok(dirs) = std::fs::read_dir(self.objects) else {
            return Ok(());
        };
        let mut paths: Vec<PathBuf> = Vec::new();
        // Data files live in two-hex-digit fan-out directories; `tmp` holds uploads that
        // were still arriving, which the next start removes.
        let fan_out = |n: &str| n.len() == 2 && n.bytes().all(|b| b.is_ascii_hexdigit());
        for d in dirs
            .flatten()
            .filter(|d| fan_out(&d.file_name().to_string_lossy()))
        {
            let files = std::fs::read_dir(d.path())
                .map_err(|e| format!("cannot read {}: {e}", d.path().display()))?;
            paths.extend(files.flatten().map(|f| f.path()));
        }
        paths.sort();
        for p in paths {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            if name.is_some_and(|n| !self.named.contains(&n)) {
                self.report(
                    format!("data file {}: named by no entry", p.display()),
                    Some(Fix::RemoveFile(p)),
                );
            }
        }
        Ok(())
    }
}
