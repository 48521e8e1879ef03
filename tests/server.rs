//! End-to-end tests of the real binary: signed requests, concurrency, durability, shutdown,
//! bootstrap and the CLI. Python tests (tests/python) cover the third-party clients.

mod common;

use common::*;
use std::sync::Arc;

#[test]
fn signed_user_lifecycle_with_aws_sdk_signer() {
    let dir = TempDir::new("life");
    let s = Server::start(&dir.0.join("d"), &[]);
    let r = s.admin("GET", "/admin/user?uid=admin");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["keys"][0]["access_key"], AK);
    assert!(r.header("x-amz-request-id").unwrap().starts_with("tx"));
    // reef: JSON booleans
    assert_eq!(r.json()["system"], serde_json::json!(false));

    let r = s.admin(
        "PUT",
        "/admin/user?uid=carl&display-name=Carl%20C&email=c%40x.io",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert_eq!(j["display_name"], "Carl C");
    assert_eq!(j["email"], "c@x.io");
    let ak = j["keys"][0]["access_key"].as_str().unwrap().to_string();
    let sk = j["keys"][0]["secret_key"].as_str().unwrap().to_string();
    assert_eq!(ak.len(), 20);
    assert_eq!(sk.len(), 40);

    // the new key signs requests; without caps it gets AccessDenied
    let r = s.signed("GET", "/admin/user?uid=carl", b"", &ak, &sk);
    assert_eq!((r.status, r.code().as_str()), (403, "AccessDenied"));
    // a wrong secret is SignatureDoesNotMatch
    let r = s.signed("GET", "/admin/user?uid=carl", b"", &ak, "x");
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "SignatureDoesNotMatch")
    );

    let r = s.admin("DELETE", "/admin/user?uid=carl");
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    let r = s.admin("GET", "/admin/user?uid=carl");
    assert_eq!((r.status, r.code().as_str()), (404, "NoSuchUser"));
    // the removed user's key is gone from the index too
    let r = s.signed("GET", "/admin/user?uid=admin", b"", &ak, &sk);
    assert_eq!((r.status, r.code().as_str()), (403, "InvalidAccessKeyId"));
}

/// 64 clients race to create the same uid, the same email and the same access key:
/// exactly one wins each race, the rest get radosgw's conflict code.
#[test]
fn uniqueness_under_concurrency() {
    let dir = TempDir::new("race");
    let s = Arc::new(Server::start(&dir.0.join("d"), &[]));
    let race = |make: fn(usize) -> String, code: &'static str| {
        let handles: Vec<_> = (0..64)
            .map(|i| {
                let s = s.clone();
                std::thread::spawn(move || {
                    let r = s.admin("PUT", &make(i));
                    (
                        r.status,
                        if r.status == 200 {
                            String::new()
                        } else {
                            r.code()
                        },
                    )
                })
            })
            .collect();
        let res: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let wins = res.iter().filter(|(st, _)| *st == 200).count();
        assert_eq!(wins, 1, "{res:?}");
        assert!(
            res.iter()
                .all(|(st, c)| *st == 200 || (*st == 409 && c == code)),
            "{res:?}"
        );
    };
    race(
        |_| "/admin/user?uid=same&display-name=S".into(),
        "UserAlreadyExists",
    );
    race(
        |i| format!("/admin/user?uid=e{i}&display-name=E&email=same%40x.io"),
        "EmailExists",
    );
    race(
        |i| {
            format!(
                "/admin/user?uid=k{i}&display-name=K&access-key=SAMEACCESSKEY0000000&secret-key=s"
            )
        },
        "KeyExists",
    );
    // and the losers left nothing behind
    let r = s.admin("GET", "/admin/metadata/user");
    let users = r.json();
    let n = users.as_array().unwrap().len();
    assert_eq!(n, 4, "{users}"); // admin, same, one e*, one k*
}

#[test]
fn acknowledged_write_survives_kill_9() {
    let dir = TempDir::new("kill");
    let data = dir.0.join("d");
    let s = Server::start(&data, &[]);
    for i in 0..20 {
        let r = s.admin("PUT", &format!("/admin/user?uid=dur{i}&display-name=D"));
        assert_eq!(r.status, 200);
    }
    s.kill9();
    let s = Server::start(&data, &[]);
    for i in 0..20 {
        let r = s.admin("GET", &format!("/admin/user?uid=dur{i}"));
        assert_eq!(r.status, 200, "user dur{i} lost after kill -9");
    }
    assert!(s.stop().success());
}

#[test]
fn sigterm_shuts_down_cleanly_and_store_reopens() {
    let dir = TempDir::new("term");
    let data = dir.0.join("d");
    let s = Server::start(&data, &[]);
    assert_eq!(
        s.admin("PUT", "/admin/user?uid=t&display-name=T").status,
        200
    );
    let st = s.stop();
    assert!(st.success(), "{st}");
    // the CLI can open the store now that the server is gone
    let (code, out, err) = cli(&data, &["user", "info", "--uid", "t"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"user_id\": \"t\""), "{out}");
}

#[test]
fn bootstrap_writes_private_credentials_and_logs_no_secret() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("boot");
    let data = dir.0.join("d");
    let s = Server::start_with(&data, &[], false);
    let cred = data.join("admin-credentials");
    let text = std::fs::read_to_string(&cred).unwrap();
    let mode = std::fs::metadata(&cred).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} = \"")))
            .map(|v| v.trim_end_matches('"').to_string())
            .unwrap()
    };
    let (ak, sk) = (field("access_key"), field("secret_key"));
    let r = s.signed("GET", "/admin/user?uid=admin", b"", &ak, &sk);
    assert_eq!(r.status, 200, "{}", r.body);
    let log = s.log_when(|l| l.contains("get_user_info"));
    assert!(log.contains("admin-credentials"), "{log}");
    assert!(!log.contains(&sk), "secret in the log");
    assert!(!log.contains("Signature="), "signature in the log");
    // one line per request, with op, uid and status
    assert!(
        log.contains("get_user_info") && log.contains("status=200"),
        "{log}"
    );
    s.stop();
}

#[test]
fn cli_prints_api_json_and_refuses_a_store_in_use() {
    let dir = TempDir::new("cli");
    let data = dir.0.join("d");
    let (code, _, err) = cli(&data, &["init"]);
    assert_eq!(code, 0, "{err}");
    // the first admin, made before any server ever ran on this store
    let admin = [
        "user",
        "create",
        "--uid",
        "admin",
        "--display-name",
        "Admin",
        "--caps",
        "users=*;metadata=*",
        "--access-key",
        AK,
        "--secret-key",
        SK,
    ];
    let (code, _, err) = cli(&data, &admin);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = cli(
        &data,
        &[
            "user",
            "create",
            "--uid",
            "cli1",
            "--display-name",
            "Cli One",
            "--caps",
            "users=read",
            "--access-key",
            "CLIACCESSKEY00000000",
            "--secret-key",
            "clisecret",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(created["caps"][0]["type"], "users");

    let s = Server::start(&data, &[]);
    let (code, _, err) = cli(&data, &["user", "info", "--uid", "cli1"]);
    assert_ne!(code, 0);
    assert!(err.contains("in use"), "{err}");
    let api = s.admin("GET", "/admin/user?uid=cli1").json();
    assert_eq!(api, created, "CLI and API documents differ");
    // the CLI-made user can sign requests
    let r = s.signed(
        "GET",
        "/admin/user?uid=cli1",
        b"",
        "CLIACCESSKEY00000000",
        "clisecret",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    s.stop();

    let (code, _, err) = cli(
        &data,
        &["caps", "add", "--uid", "cli1", "--caps", "bogus=read"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("InvalidCapability"), "{err}");
}

#[test]
fn bad_input_changes_nothing() {
    let dir = TempDir::new("bad");
    let s = Server::start(&dir.0.join("d"), &[]);
    assert_eq!(
        s.admin("PUT", "/admin/user?uid=b1&display-name=B&email=b%40x.io")
            .status,
        200
    );
    let before = (
        s.admin("GET", "/admin/metadata/user").body,
        s.admin("GET", "/admin/user?uid=b1").body,
    );
    let cases: &[(&str, &str, u16, &str)] = &[
        ("PUT", "/admin/user?display-name=X", 400, "InvalidArgument"),
        ("PUT", "/admin/user?uid=b2", 400, "InvalidArgument"),
        (
            "PUT",
            "/admin/user?uid=b1&display-name=X",
            409,
            "UserAlreadyExists",
        ),
        (
            "PUT",
            "/admin/user?uid=b3&display-name=X&email=b%40x.io",
            409,
            "EmailExists",
        ),
        (
            "PUT",
            "/admin/user?uid=b3&display-name=X&user-caps=bogus=read",
            400,
            "InvalidCapability",
        ),
        (
            "PUT",
            "/admin/user?uid=b3&display-name=X&key-type=swift",
            403,
            "InvalidAccessKeyId",
        ),
        (
            "PUT",
            "/admin/user?uid=%ff&display-name=X",
            400,
            "InvalidArgument",
        ),
        (
            "POST",
            "/admin/user?uid=nobody&display-name=X",
            404,
            "NoSuchUser",
        ),
        (
            "POST",
            "/admin/user?uid=b1&op-mask=bogus",
            400,
            "InvalidArgument",
        ),
        (
            "PUT",
            "/admin/user?caps&uid=b1&user-caps=users",
            400,
            "InvalidCapability",
        ),
        (
            "PUT",
            "/admin/user?caps&uid=b1&user-caps=users=read;bogus=*",
            400,
            "InvalidCapability",
        ),
        (
            "DELETE",
            "/admin/user?key&uid=b1&access-key=NOPE",
            403,
            "InvalidAccessKeyId",
        ),
        (
            "PUT",
            "/admin/user?subuser=b1:s&access=bogus",
            400,
            "InvalidArgument",
        ),
        (
            "POST",
            "/admin/user?subuser=b1:nosuch&access=read",
            404,
            "NoSuchSubUser",
        ),
        (
            "DELETE",
            "/admin/user?subuser=b1:nosuch",
            404,
            "NoSuchSubUser",
        ),
        ("DELETE", "/admin/user?uid=nobody", 404, "NoSuchUser"),
        ("PATCH", "/admin/user?uid=b1", 405, "MethodNotAllowed"),
    ];
    for (m, pq, st, code) in cases {
        let r = s.admin(m, pq);
        assert_eq!(
            (r.status, r.code()),
            (*st, code.to_string()),
            "{m} {pq}: {}",
            r.body
        );
    }
    let long = format!("/admin/user?uid={}&display-name=X", "a".repeat(5000));
    assert_eq!(s.admin("PUT", &long).status, 400);
    let after = (
        s.admin("GET", "/admin/metadata/user").body,
        s.admin("GET", "/admin/user?uid=b1").body,
    );
    assert_eq!(before, after);
}

/// A client that declares a body and never sends it gets 408 RequestTimeout after
/// `body_timeout`, instead of holding the connection forever.
#[test]
fn stalled_body_times_out() {
    use std::io::{Read, Write};
    let dir = TempDir::new("stall");
    let s = Server::start(&dir.0.join("d"), &[("RGW_ADMIN_BODY_TIMEOUT", "1")]);
    let host = s.addr.to_string();
    let quota = "/admin/user?quota&uid=admin&quota-type=user";
    let signed = common::sign_v4(
        "PUT",
        &format!("http://{host}{quota}"),
        &host,
        b"",
        common::AK,
        common::SK,
    );
    // A signed request to an op that takes a body: the body is waited for, not forever.
    // Anonymous ones are refused before their body is read.
    for (path, headers, want) in [
        (quota, signed, "HTTP/1.1 408"),
        (
            "/admin/user?uid=x&display-name=X",
            Vec::new(),
            "HTTP/1.1 403",
        ),
        ("/somebucket?delete", Vec::new(), "HTTP/1.1 404"),
    ] {
        let mut c = std::net::TcpStream::connect(s.addr).unwrap();
        c.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let method = if path.starts_with("/admin") {
            "PUT"
        } else {
            "POST"
        };
        let extra: String = headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("host"))
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        write!(
            c,
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Length: 100\r\n\r\n"
        )
        .unwrap();
        let t = std::time::Instant::now();
        let mut buf = vec![0u8; 4096];
        let n = c.read(&mut buf).unwrap();
        let head = String::from_utf8_lossy(&buf[..n]);
        assert!(head.starts_with(want), "{path}: {head}");
        if want.ends_with("408") {
            assert!(head.contains("RequestTimeout"), "{path}: {head}");
        }
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
    }
    assert_eq!(s.admin("GET", "/admin/user?uid=x").status, 404);
}
