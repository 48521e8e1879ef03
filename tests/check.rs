//! `rgw-admin check` on a real store: inconsistencies planted by writing the stopped store's
//! RocksDB directly (and its data directory) are found, `--fix` repairs the safe ones and
//! the server then serves the repaired store; a lost data file is reported, never "fixed".

mod common;

use common::*;
use rgw_admin::store::rocks::{RocksSettings, RocksStore};
use rgw_admin::store::{MetadataStore, Txn};

const UAK: &str = "FSCKACCESSKEY0000000";
const USK: &str = "fscksecret0000000000000000000000000000000";

/// Run `f` on the stopped store's metadata.
fn on_store<T>(data: &std::path::Path, f: impl AsyncFnOnce(&RocksStore) -> T) -> T {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let s = RocksStore::open(&data.join("db"), RocksSettings::default()).unwrap();
        let out = f(&s).await;
        s.close();
        out
    })
}

fn commit(data: &std::path::Path, t: Txn) {
    on_store(data, async |s| s.commit(t).await.unwrap());
}

#[test]
fn check_finds_and_fixes_planted_inconsistencies() {
    let dir = TempDir::new("fsck");
    let data = dir.0.join("d");
    let s = Server::start(&data, &[]);
    let r = s.admin(
        "PUT",
        &format!(
            "/admin/user?uid=fsck&display-name=F&email=f%40x.io&access-key={UAK}&secret-key={USK}"
        ),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(s.signed("PUT", "/fsck-b", b"", UAK, USK).status, 200);
    assert_eq!(
        s.signed("PUT", "/fsck-b/o1", b"hello", UAK, USK).status,
        200
    );
    assert_eq!(
        s.signed("PUT", "/fsck-b/o2", &[7u8; 5000], UAK, USK).status,
        200
    );
    let stats_before = s
        .admin("GET", "/admin/bucket?bucket=fsck-b&stats=true")
        .json()["usage"]
        .clone();
    assert!(s.stop().success());

    let (code, out, err) = cli(&data, &["check"]);
    assert_eq!(
        (code, out.trim()),
        (0, "check: the store is consistent"),
        "{err}"
    );

    // Plant what --fix may repair: lost index entries, a dangling one, wrong counters, a
    // lost owner link, a file nobody names.
    let mut t = Txn::default();
    t.delete(format!("ak/{UAK}"))
        .delete("email/f@x.io")
        .put("ak/GHOSTKEY00000000000", "nobody")
        .delete("ubkt/fsck/fsck-b")
        .incr("bstats/fsck-b", vec![100, 4096, 3, 0]);
    commit(&data, t);
    let orphan = data.join("objects/ab").join("ab".repeat(16));
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"left behind").unwrap();

    let (code, out, _) = cli(&data, &["check"]);
    assert_eq!(code, 1, "{out}");
    for want in [
        &format!("user fsck: access key {UAK} is not indexed") as &str,
        "user fsck: email f@x.io is not indexed",
        "access key GHOSTKEY00000000000: indexed to user nobody, who does not have it",
        "bucket fsck-b: not linked to its owner",
        "bucket fsck-b: stats say 5 objects, 5105 bytes, 0 uploads; the index holds 2, 5005, 0",
        "named by no entry",
        "check: 6 problems (6 can be fixed with --fix)",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    // Without --fix nothing changes.
    let (code, again, _) = cli(&data, &["check"]);
    assert_eq!((code, &again), (1, &out));
    assert!(orphan.exists());

    let (code, out, err) = cli(&data, &["check", "--fix"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("check: fixed 6; 0 problems left"), "{out}");
    assert!(!orphan.exists());
    let (code, out, _) = cli(&data, &["check"]);
    assert_eq!((code, out.trim()), (0, "check: the store is consistent"));

    // The repaired store serves: the key signs again, the bucket is the user's, stats exact.
    let s = Server::start(&data, &[]);
    let r = s.signed("GET", "/", b"", UAK, USK);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<Name>fsck-b</Name>"), "{}", r.body);
    let stats = s
        .admin("GET", "/admin/bucket?bucket=fsck-b&stats=true")
        .json()["usage"]
        .clone();
    assert_eq!(stats, stats_before);
    assert!(s.stop().success());

    // A lost data file: reported, and --fix leaves it to an operator.
    let entry = on_store(&data, async |s| {
        s.get(b"obj/fsck-b/o1").await.unwrap().unwrap()
    });
    let entry: serde_json::Value = serde_json::from_slice(&entry).unwrap();
    let id = entry["data"][0][0].as_str().unwrap().to_string();
    std::fs::remove_file(data.join("objects").join(&id[..2]).join(&id)).unwrap();
    let (code, out, _) = cli(&data, &["check", "--fix"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "object fsck-b/o1: data file {id} is missing (not fixed: needs an operator)"
        )),
        "{out}"
    );
    assert!(out.contains("check: fixed 0; 1 problems left"), "{out}");

    // A missing store is not a clean one.
    let (code, _, err) = cli(&dir.0.join("nothing"), &["check"]);
    assert_eq!(code, 2);
    assert!(err.contains("no store at"), "{err}");
}
