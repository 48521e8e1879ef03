//! radosgw's request id, made for every request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::domain::App;

static REQ_SEQ: AtomicU64 = AtomicU64::new(1);

/// radosgw's request id: `tx` + 21 hex digits of sequence, `-` + 10 of time, `-<client
/// id>-<zone>`. Written by hand, on the stack when it fits: it is made for every request.
pub fn request_id(app: &App) -> RequestId {
    let n = REQ_SEQ.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format_id(n, t, app.instance_id, &app.zone)
}

/// Room for the id with an instance number of any size and a zone name of up to 40 bytes.
const INLINE: usize = 96;

/// A request id; `Deref`s to its text.
pub enum RequestId {
    Inline { buf: [u8; INLINE], len: usize },
    Heap(String),
}

impl std::ops::Deref for RequestId {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            // Only ASCII digits, dashes and a zone name's bytes (a `&str`) are written.
            RequestId::Inline { buf, len } => std::str::from_utf8(&buf[..*len]).unwrap_or(""),
            RequestId::Heap(s) => s,
        }
    }
}

fn format_id(n: u64, t: u64, instance: u64, zone: &str) -> RequestId {
    fn hex(out: &mut [u8], v: u64) {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let n = out.len();
        for (i, d) in out.iter_mut().enumerate() {
            let shift = 4 * (n - 1 - i);
            *d = if shift < 64 {
                DIGITS[((v >> shift) & 0xf) as usize]
            } else {
                b'0'
            };
        }
    }
    let mut head = *b"tx000000000000000000000-0000000000-";
    hex(&mut head[2..23], n);
    hex(&mut head[24..34], t);
    let mut instance_text = itoa::Buffer::new();
    let instance = instance_text.format(instance).as_bytes();
    let parts: [&[u8]; 4] = [&head, instance, b"-", zone.as_bytes()];
    let len: usize = parts.iter().map(|p| p.len()).sum();
    if len > INLINE {
        return RequestId::Heap(parts.iter().map(|p| String::from_utf8_lossy(p)).collect());
    }
    let mut buf = [0u8; INLINE];
    let mut at = 0;
    for p in parts {
        buf[at..at + p.len()].copy_from_slice(p);
        at += p.len();
    }
    RequestId::Inline { buf, len }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_is_radosgws() {
        assert_eq!(
            &*format_id(0x2_0726f, 0x6b0daf77, 10242, "default"),
            "tx00000000000000020726f-006b0daf77-10242-default"
        );
        assert_eq!(
            &*format_id(u64::MAX, 1, 1, "z"),
            "tx00000ffffffffffffffff-0000000001-1-z"
        );
        let zone = "z".repeat(80);
        let long = format_id(1, 1, u64::MAX, &zone);
        assert!(matches!(long, RequestId::Heap(_)));
        assert_eq!(
            &*long,
            format!("tx000000000000000000001-0000000001-{}-{zone}", u64::MAX)
        );
    }
}
