//! radosgw's request id, made for every request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::domain::App;

static REQ_SEQ: AtomicU64 = AtomicU64::new(1);

/// radosgw's request id: `tx` + 21 hex digits of sequence, `-` + 10 of time, `-<client
/// id>-<zone>`. Written by hand into one buffer: it is made for every request.
pub fn request_id(app: &App) -> String {
    let n = REQ_SEQ.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format_id(n, t, app.instance_id, &app.zone)
}

fn format_id(n: u64, t: u64, instance: u64, zone: &str) -> String {
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
    let instance = instance_text.format(instance);
    let mut id = String::with_capacity(head.len() + instance.len() + 1 + zone.len());
    // ASCII hex digits and dashes only.
    id.push_str(std::str::from_utf8(&head).unwrap_or_default());
    id.push_str(instance);
    id.push('-');
    id.push_str(zone);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_is_radosgws() {
        assert_eq!(
            format_id(0x2_0726f, 0x6b0daf77, 10242, "default"),
            "tx00000000000000020726f-006b0daf77-10242-default"
        );
        assert_eq!(
            format_id(u64::MAX, 1, 1, "z"),
            "tx00000ffffffffffffffff-0000000001-1-z"
        );
    }
}
