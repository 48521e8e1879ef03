//! The audit log (`audit_log`): one JSON line for every admin write and every S3 change of
//! who may do what (bucket creation and deletion, ACL changes), refused or not: when, which
//! request, who (uid and access key id, never a secret), what, on what, and the answer's
//! status.
//!
//! Lines go through the same buffered writer as the server log (no system call on a request
//! thread); the file is opened for appending and reopened on SIGHUP, after a log rotation.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use crate::encode::json::write_str;
use crate::logging::{timestamp, Guard, LogBuffer};

/// One audited request.
pub struct Entry<'a> {
    pub request_id: &'a str,
    pub uid: &'a str,
    pub access_key: &'a str,
    pub op: &'a str,
    /// What the request names: `(field, value)`, e.g. `("uid", "alice")`.
    pub target: &'a [(&'a str, &'a str)],
    pub status: u16,
}

static AUDIT: OnceLock<(LogBuffer, Arc<AtomicBool>)> = OnceLock::new();

/// Where audit lines go: `stderr`, or a file appended to and reopened on request.
enum Sink {
    Stderr,
    File {
        path: PathBuf,
        file: Option<File>,
        reopen: Arc<AtomicBool>,
    },
}

fn open(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

impl Write for Sink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Stderr => std::io::stderr().write(data),
            Sink::File { path, file, reopen } => {
                if reopen.swap(false, Ordering::AcqRel) || file.is_none() {
                    match open(path) {
                        Ok(f) => *file = Some(f),
                        Err(e) => {
                            tracing::error!(path = %path.display(), error = %e, "audit log: cannot reopen");
                            // Keep writing to the old file rather than losing lines.
                        }
                    }
                }
                match file {
                    Some(f) => f.write(data),
                    None => Err(std::io::Error::other("audit log not open")),
                }
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Stderr => std::io::stderr().flush(),
            Sink::File { file, .. } => file.as_mut().map_or(Ok(()), |f| f.flush()),
        }
    }
}

/// Start writing audit lines to `target` (`stderr` or a file path). The file is opened now,
/// so that a bad path stops the server at start rather than losing the trail.
pub fn install(target: &str) -> Result<Guard, String> {
    let reopen = Arc::new(AtomicBool::new(false));
    let sink = if target == "stderr" {
        Sink::Stderr
    } else {
        let path = PathBuf::from(target);
        let file = open(&path).map_err(|e| format!("audit_log {target}: {e}"))?;
        Sink::File {
            path,
            file: Some(file),
            reopen: reopen.clone(),
        }
    };
    let (buf, guard) = LogBuffer::new(sink);
    AUDIT
        .set((buf, reopen))
        .map_err(|_| "audit log installed twice".to_string())?;
    Ok(guard)
}

/// Reopen the audit file before its next line (after a rotation).
pub fn reopen() {
    if let Some((_, flag)) = AUDIT.get() {
        flag.store(true, Ordering::Release);
    }
}

pub fn enabled() -> bool {
    AUDIT.get().is_some()
}

/// Write one line (nothing when no audit log is set up).
pub fn record(e: &Entry<'_>) {
    let Some((buf, _)) = AUDIT.get() else {
        return;
    };
    let mut line = String::with_capacity(256);
    format(&mut line, e, std::time::SystemTime::now());
    let _ = buf.clone().write(line.as_bytes());
}

fn format(out: &mut String, e: &Entry<'_>, now: std::time::SystemTime) {
    out.push_str("{\"time\":\"");
    timestamp(out, now);
    out.push('"');
    for (name, v) in [
        ("request_id", e.request_id),
        ("uid", e.uid),
        ("access_key", e.access_key),
        ("op", e.op),
    ] {
        out.push(',');
        write_str(out, name);
        out.push(':');
        write_str(out, v);
    }
    out.push_str(",\"target\":{");
    for (i, (name, v)) in e.target.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(out, name);
        out.push(':');
        write_str(out, v);
    }
    out.push_str("},\"status\":");
    out.push_str(itoa::Buffer::new().format(e.status));
    out.push_str("}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_json_object_per_line() {
        let e = Entry {
            request_id: "tx1",
            uid: "admin",
            access_key: "AK",
            op: "create_user",
            target: &[("uid", "evil\n\"x\"")],
            status: 200,
        };
        let mut s = String::new();
        format(&mut s, &e, std::time::UNIX_EPOCH);
        assert!(s.ends_with("}\n") && s.matches('\n').count() == 1, "{s}");
        let v: serde_json::Value = serde_json::from_str(s.trim_end()).unwrap();
        assert_eq!(v["time"], "1970-01-01T00:00:00.000000Z");
        assert_eq!(v["target"]["uid"], "evil\n\"x\"");
        assert_eq!(v["status"], 200);
        assert_eq!(v["op"], "create_user");
    }
}
