//! Users at scale, on the real binary at the default log level (`info`): durable user
//! creates per second from concurrent keep-alive clients, the server's memory with N users,
//! the time a restart takes to answer, and a full `GET /admin/metadata/user` streamed while
//! memory is watched. A benchmark: it prints figures and never fails on them.
//!
//!     USERS=200000 CLIENTS=16 cargo bench --bench users

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{sign_v4, Server, TempDir, AK, SK};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident and peak resident memory of a process, in MiB.
fn rss_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A signed request as bytes, for a keep-alive connection.
fn signed_bytes(addr: SocketAddr, method: &str, pq: &str) -> Vec<u8> {
    let url = format!("http://{addr}{pq}");
    let headers = sign_v4(method, &url, &addr.to_string(), b"", AK, SK);
    let mut req = format!("{method} {pq} HTTP/1.1\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        if !k.eq_ignore_ascii_case("host") {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    req.push_str("Content-Length: 0\r\n\r\n");
    req.into_bytes()
}

/// Send one request on a keep-alive connection and read its answer; the status.
fn exchange(r: &mut BufReader<TcpStream>, req: &[u8]) -> u16 {
    r.get_mut().write_all(req).expect("send");
    let mut line = String::new();
    r.read_line(&mut line).expect("status line");
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut len = 0usize;
    loop {
        let mut l = String::new();
        r.read_line(&mut l).expect("header");
        let l = l.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).expect("body");
    status
}

fn main() {
    let users = env_usize("USERS", 200_000);
    let clients = env_usize("CLIENTS", 16);
    let dir = TempDir::new("bench-users");
    let data = dir.0.join("d");
    let s = Server::start(&data, &[]);
    let addr = s.addr;

    // Sign everything first, so the clients measure the server, not the signer.
    let t = Instant::now();
    let reqs: Vec<Vec<u8>> = (0..users)
        .map(|i| {
            signed_bytes(
                addr,
                "PUT",
                &format!("/admin/user?uid=u{i:07}&display-name=U{i}"),
            )
        })
        .collect();
    eprintln!(
        "signed {users} requests in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let reqs = Arc::new(reqs);
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let t = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (reqs, next, failed) = (reqs.clone(), next.clone(), failed.clone());
            std::thread::spawn(move || {
                let mut r = BufReader::new(TcpStream::connect(addr).expect("connect"));
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    if i >= reqs.len() {
                        return;
                    }
                    if exchange(&mut r, &reqs[i]) != 200 {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    let (rss, peak) = rss_mib(s.child.id());
    println!(
        "creates: {users} users, {clients} clients, {:.0} creates/s (durable, synced WAL), {} failed",
        users as f64 / secs,
        failed.load(Ordering::Relaxed)
    );
    println!("memory after creating them: RSS {rss:.1} MiB (peak {peak:.1} MiB)");

    // Restart: time from spawn until a signed read of one of the users answers.
    assert!(s.stop().success());
    let read = signed_bytes(addr, "GET", "/admin/user?uid=u0000000");
    let t = Instant::now();
    let mut child = std::process::Command::new(common::bin())
        .args(["serve", "--listen", &addr.to_string(), "--data-dir"])
        .arg(&data)
        .env("RUST_LOG", "info")
        .env("RGW_ADMIN_ACCESS_KEY", AK)
        .env("RGW_ADMIN_SECRET_KEY", SK)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let mut conn = loop {
        if let Ok(c) = TcpStream::connect(addr) {
            break BufReader::new(c);
        }
        assert!(t.elapsed() < Duration::from_secs(60), "no restart");
        std::thread::sleep(Duration::from_millis(1));
    };
    let st = exchange(&mut conn, &read);
    let restart = t.elapsed();
    let (rss, peak) = rss_mib(child.id());
    println!(
        "restart: first answer ({st}) {:.0} ms after spawn; RSS {rss:.1} MiB (peak {peak:.1} MiB)",
        restart.as_secs_f64() * 1000.0
    );

    // The whole user listing, streamed, while memory is sampled.
    let pid = child.id();
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut max: f64 = 0.0;
            while !done.load(Ordering::Relaxed) {
                max = max.max(rss_mib(pid).0);
                std::thread::sleep(Duration::from_millis(10));
            }
            max
        })
    };
    let before = rss_mib(pid).0;
    let url = format!("http://{addr}/admin/metadata/user");
    let headers = sign_v4("GET", &url, &addr.to_string(), b"", AK, SK);
    let t = Instant::now();
    let resp = common::request(addr, "GET", "/admin/metadata/user", &headers, b"");
    let keys = resp.body.matches('"').count() / 2;
    done.store(true, Ordering::Relaxed);
    let max = watcher.join().unwrap();
    println!(
        "listing: {} keys ({} bytes) in {:.2} s; RSS {before:.1} MiB before, at most {max:.1} MiB while streaming",
        keys,
        resp.body.len(),
        t.elapsed().as_secs_f64()
    );
    let _ = child.kill();
    let _ = child.wait();
}
