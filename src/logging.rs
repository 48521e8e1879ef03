//! The log writer: every line goes into an in-memory buffer that a background thread writes
//! out every 50 ms (or sooner once 64 KiB are waiting). A request thread appends under a
//! short lock and returns: no system call and no wake-up per line, which at tens of
//! thousands of requests a second is most of what a log line costs. If the output stalls,
//! lines past 8 MiB are dropped and counted rather than stalling requests.
//!
//! The one line per request is written straight into that buffer (`request`), in the same
//! text or JSON shape the `tracing` formatter gives every other line, but without its
//! generic machinery, which costs several microseconds a line; everything else goes through
//! `tracing`.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

/// Waiting bytes that wake the writer before its next tick.
const EAGER: usize = 64 << 10;
/// Waiting bytes past which lines are dropped.
const LIMIT: usize = 8 << 20;
const TICK: Duration = Duration::from_millis(50);

struct Shared {
    buf: Mutex<Vec<u8>>,
    wake: Condvar,
    closed: AtomicBool,
    dropped: AtomicU64,
}

/// Where log lines go (a `tracing_subscriber` writer factory).
#[derive(Clone)]
pub struct LogBuffer(Arc<Shared>);

/// Flushes what is buffered and stops the writer thread when dropped.
pub struct Guard {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LogBuffer {
    /// A buffer drained into `out` by its own thread.
    pub fn new(mut out: impl Write + Send + 'static) -> (LogBuffer, Guard) {
        let shared = Arc::new(Shared {
            buf: Mutex::new(Vec::with_capacity(EAGER * 2)),
            wake: Condvar::new(),
            closed: AtomicBool::new(false),
            dropped: AtomicU64::new(0),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || {
                let mut spare = Vec::with_capacity(EAGER * 2);
                loop {
                    let closed = {
                        let g = s.buf.lock().unwrap_or_else(|e| e.into_inner());
                        let (mut g, _) = s
                            .wake
                            .wait_timeout_while(g, TICK, |b| {
                                b.len() < EAGER && !s.closed.load(Ordering::Relaxed)
                            })
                            .unwrap_or_else(|e| e.into_inner());
                        std::mem::swap(&mut *g, &mut spare);
                        s.closed.load(Ordering::Relaxed)
                    };
                    let dropped = s.dropped.swap(0, Ordering::Relaxed);
                    if dropped > 0 {
                        let _ = writeln!(spare, "log: {dropped} lines dropped (output too slow)");
                    }
                    if !spare.is_empty() {
                        let _ = out.write_all(&spare);
                        let _ = out.flush();
                        spare.clear();
                    }
                    if closed {
                        return;
                    }
                }
            })
            .expect("log writer thread");
        (
            LogBuffer(shared.clone()),
            Guard {
                shared,
                thread: Some(thread),
            },
        )
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Relaxed);
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl LogBuffer {
    /// Appends `data` (whole lines), or counts it dropped when the buffer is full.
    fn push(&self, data: &[u8]) {
        let s = &self.0;
        let mut b = s.buf.lock().unwrap_or_else(|e| e.into_inner());
        if b.len() + data.len() > LIMIT {
            s.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let was_below = b.len() < EAGER;
        b.extend_from_slice(data);
        if was_below && b.len() >= EAGER {
            s.wake.notify_one();
        }
    }
}

impl Write for LogBuffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.push(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> LogBuffer {
        self.clone()
    }
}

/// Where request lines go, once the server has set up its logging.
static REQUEST_LOG: OnceLock<(LogBuffer, bool)> = OnceLock::new();

/// Send request lines to `buf` (as JSON when `json`), from now on.
pub fn install_request_log(buf: LogBuffer, json: bool) {
    let _ = REQUEST_LOG.set((buf, json));
}

/// What the log says about one finished request.
pub struct RequestLine<'a> {
    pub req: &'a str,
    pub method: &'a str,
    pub op: &'a str,
    pub uid: &'a str,
    pub status: u16,
    pub latency_us: u64,
    /// The admin cap whose absence refused the request (`users=write`); empty: none, and
    /// no field.
    pub required_caps: &'a str,
}

const TARGET: &str = "rgw_admin::request";

/// Log one finished request at `info`, target `rgw_admin::request` (what `RUST_LOG`
/// filters on).
pub fn request(line: &RequestLine) {
    if !tracing::enabled!(target: TARGET, tracing::Level::INFO) {
        return;
    }
    let Some((buf, json)) = REQUEST_LOG.get() else {
        // No server log set up (a library user): the ordinary way.
        tracing::info!(target: TARGET, req = line.req, method = line.method, op = line.op,
            uid = line.uid, status = line.status, latency_us = line.latency_us,
            required_caps = line.required_caps);
        return;
    };
    LINE.with(|cell| {
        let mut s = cell.borrow_mut();
        s.clear();
        format_line(&mut s, line, *json, std::time::SystemTime::now());
        // Not through a clone: its reference count is shared by every connection thread.
        buf.push(s.as_bytes());
    });
}

thread_local! {
    static LINE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    /// The formatted date and time of the last second a line was written in.
    static SECOND: std::cell::RefCell<(u64, String)> =
        const { std::cell::RefCell::new((u64::MAX, String::new())) };
}

/// `2026-11-28T23:19:02.123456Z`, as `tracing_subscriber` writes times.
pub(crate) fn timestamp(out: &mut String, now: std::time::SystemTime) {
    let d = now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs();
    SECOND.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != secs {
            let t = time::OffsetDateTime::from_unix_timestamp(secs as i64)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            c.1 = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                t.year(),
                t.month() as u8,
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            );
            c.0 = secs;
        }
        out.push_str(&c.1);
    });
    let mut us = d.subsec_micros();
    let mut frac = *b".000000Z";
    for d in frac[1..7].iter_mut().rev() {
        *d = b'0' + (us % 10) as u8;
        us /= 10;
    }
    out.push_str(std::str::from_utf8(&frac).unwrap_or_default());
}

/// A field value in the text format: control characters escaped, so that no value can
/// start a line of its own.
fn text_value(out: &mut String, v: &str) {
    if !v.bytes().any(|b| b < 0x20 || b == 0x7f) {
        out.push_str(v);
        return;
    }
    for c in v.chars() {
        if (c as u32) < 0x20 || c as u32 == 0x7f {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
}

fn format_line(out: &mut String, l: &RequestLine, json: bool, now: std::time::SystemTime) {
    if json {
        return format_json(out, l, now);
    }
    // Written out field by field: this runs for every request.
    let mut num = itoa::Buffer::new();
    out.reserve(96 + l.req.len() + l.method.len() + l.op.len() + l.uid.len());
    timestamp(out, now);
    out.push_str("  INFO ");
    out.push_str(TARGET);
    out.push_str(": req=");
    text_value(out, l.req);
    out.push_str(" method=");
    text_value(out, l.method);
    out.push_str(" op=");
    text_value(out, l.op);
    out.push_str(" uid=");
    text_value(out, l.uid);
    if !l.required_caps.is_empty() {
        out.push_str(" required_caps=");
        text_value(out, l.required_caps);
    }
    out.push_str(" status=");
    out.push_str(num.format(l.status));
    out.push_str(" latency_us=");
    out.push_str(num.format(l.latency_us));
    out.push('\n');
}

fn format_json(out: &mut String, l: &RequestLine, now: std::time::SystemTime) {
    use crate::encode::json::write_str;
    let mut num = itoa::Buffer::new();
    let all = [
        ("req", l.req),
        ("method", l.method),
        ("op", l.op),
        ("uid", l.uid),
        ("required_caps", l.required_caps),
    ];
    let texts = if l.required_caps.is_empty() {
        &all[..4]
    } else {
        &all[..]
    };
    let nums = [
        ("status", u64::from(l.status)),
        ("latency_us", l.latency_us),
    ];
    out.push_str("{\"timestamp\":\"");
    timestamp(out, now);
    out.push_str("\",\"level\":\"INFO\",\"fields\":{");
    for (i, (name, v)) in texts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(out, name);
        out.push(':');
        write_str(out, v);
    }
    for (name, v) in nums {
        out.push(',');
        write_str(out, name);
        out.push(':');
        out.push_str(num.format(v));
    }
    out.push_str("},\"target\":\"");
    out.push_str(TARGET);
    out.push_str("\"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, d: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(d);
            Ok(d.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn request_lines_in_both_shapes() {
        let l = RequestLine {
            req: "tx1",
            method: "GET",
            op: "get_user_info",
            uid: "evil\nuid \"x\"",
            status: 200,
            latency_us: 42,
            required_caps: "",
        };
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_micros(1_795_420_800_123_456);
        let mut s = String::new();
        format_line(&mut s, &l, false, t);
        assert_eq!(
            s,
            "2026-11-23T08:00:00.123456Z  INFO rgw_admin::request: req=tx1 method=GET op=get_user_info uid=evil\\nuid \"x\" status=200 latency_us=42\n"
        );
        s.clear();
        format_line(&mut s, &l, true, t);
        let v: serde_json::Value = serde_json::from_str(s.trim_end()).unwrap();
        assert_eq!(v["fields"]["uid"], "evil\nuid \"x\"");
        assert_eq!(v["fields"]["status"], 200);
        assert_eq!(v["target"], "rgw_admin::request");
    }

    #[test]
    fn lines_arrive_in_order_and_all_on_drop() {
        let sink = Sink::default();
        let (mut log, guard) = LogBuffer::new(sink.clone());
        for i in 0..1000 {
            writeln!(log, "line {i}").unwrap();
        }
        drop(guard);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1000);
        assert_eq!(lines[999], "line 999");
    }
}
