//! Test support: the real binary on an ephemeral 127.0.0.1 port over a temp RocksDB, a tiny
//! HTTP/1.1 client, and an independent SigV4 signer (aws-sigv4, not our verifier).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

pub const AK: &str = "ADMINACCESSKEY0000000";
pub const SK: &str = "adminsecretkey00000000000000000000000000";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rgw-admin")
}

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "rgw-admin-test-{tag}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub data: PathBuf,
    pub log: PathBuf,
}

/// A port free on 127.0.0.1 now (for a server or an etcd member to bind).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Start on `data` with the fixed admin keys and extra env.
    pub fn start(data: &Path, env: &[(&str, &str)]) -> Server {
        Self::start_with(data, env, true)
    }

    pub fn start_with(data: &Path, env: &[(&str, &str)], admin_keys: bool) -> Server {
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let log = data.with_extension(format!("{port}.log"));
        let logf = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(bin());
        cmd.args(["serve", "--listen", &addr.to_string(), "--data-dir"])
            .arg(data)
            .env_remove("RGW_ADMIN_ACCESS_KEY")
            .env_remove("RGW_ADMIN_SECRET_KEY")
            .env_remove("RGW_ADMIN_COMPAT")
            .env("RUST_LOG", "info")
            .stdout(logf.try_clone().unwrap())
            .stderr(logf);
        if admin_keys {
            cmd.env("RGW_ADMIN_ACCESS_KEY", AK)
                .env("RGW_ADMIN_SECRET_KEY", SK);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn rgw-admin");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                panic!(
                    "server exited early ({st}): {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            if TcpStream::connect(addr).is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "server did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Server {
            child,
            addr,
            data: data.to_path_buf(),
            log,
        }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.addr, path_and_query)
    }

    /// SIGTERM and wait; returns the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let st = self.child.wait().unwrap();
        std::mem::forget(self);
        st
    }

    /// SIGKILL, no chance to flush anything.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        std::mem::forget(self);
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log once `pred` holds for it (the log writer is asynchronous), or after 5 s.
    pub fn log_when(&self, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let t = self.log_text();
            if pred(&t) || Instant::now() > deadline {
                return t;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Signed admin request with the admin keys.
    pub fn admin(&self, method: &str, pq: &str) -> Resp {
        self.signed(method, pq, b"", AK, SK)
    }

    pub fn signed(&self, method: &str, pq: &str, body: &[u8], ak: &str, sk: &str) -> Resp {
        let headers = sign_v4(method, &self.url(pq), &self.addr.to_string(), body, ak, sk);
        request(self.addr, method, pq, &headers, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
    pub fn code(&self) -> String {
        self.json()["Code"].as_str().unwrap_or("").to_string()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request on a fresh connection.
pub fn request(
    addr: SocketAddr,
    method: &str,
    pq: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {pq} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        if !k.eq_ignore_ascii_case("host") {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status: u16 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut hs = Vec::new();
    loop {
        let mut l = String::new();
        r.read_line(&mut l).unwrap();
        let l = l.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').unwrap();
        hs.push((k.trim().to_string(), v.trim().to_string()));
    }
    let mut body = Vec::new();
    r.read_to_end(&mut body).unwrap();
    Resp {
        status,
        headers: hs,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// Headers of a SigV4-signed request, made by the AWS SDK's signer.
pub fn sign_v4(
    method: &str,
    url: &str,
    host: &str,
    body: &[u8],
    ak: &str,
    sk: &str,
) -> Vec<(String, String)> {
    use aws_sigv4::http_request::{
        sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
        SigningSettings, UriPathNormalizationMode,
    };
    let creds = aws_credential_types::Credentials::new(ak, sk, None, None, "test");
    let identity = creds.into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let hdrs = [("host", host)];
    let signable =
        SignableRequest::new(method, url, hdrs.iter().copied(), SignableBody::Bytes(body)).unwrap();
    let (instructions, _sig) = sign(signable, &params).unwrap().into_parts();
    let mut req = http::Request::builder()
        .method(method)
        .uri(url)
        .header("host", host)
        .body(())
        .unwrap();
    instructions.apply_to_request_http1x(&mut req);
    req.headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
        .collect()
}

/// Run the CLI on a data dir; returns (exit code, stdout, stderr).
pub fn cli(data: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin())
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("RGW_ADMIN_ACCESS_KEY")
        .env_remove("RGW_ADMIN_SECRET_KEY")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
