//! The answers a connection thread writes in one pass over its ready connections, sent in one
//! system call (an io_uring submission of one `send` each).
//!
//! Why: a `send` that makes a sleeping client runnable lets the client preempt this thread
//! as the call returns (the kernel wakes it on this CPU). With one `writev` per answer, a
//! thread serving several connections of one client is preempted after each answer, and the
//! client runs once per answer: two context switches a request, which on this 2-core box cost
//! more than the request's own work (`scripts/bench.sh`: 14-16 us of server CPU a signed
//! admin read with plain writes, 10-11 us with this). One submission sends them all before
//! the thread can be preempted, and the client then takes them in one wake-up.
//!
//! How: a connection's write of an answer (up to [`MAX_BATCHED`] bytes) is copied into the
//! thread's batch and reported written. A flusher task, woken by the first entry of a batch,
//! runs after the tasks already queued on the thread (the run queue is first in, first out),
//! so it sends what that pass wrote, at most [`RING_ENTRIES`] entries later than the first.
//! The connection keeps the order of its bytes: a write that is not batched (a bigger one, or
//! shutting down, or the connection going away) sends the batch first. What a `send` could
//! not take (a full socket buffer) goes back to its connection, which sends it with plain
//! writes before anything else, its task woken for it; an error is that connection's next
//! error. Without io_uring (an old kernel, a sandbox that refuses it) each entry is a plain
//! non-blocking `send` in the same place, with the same results.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::os::fd::RawFd;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// Largest write that is batched: answers and their heads; a big body's chunks are written
/// as they come (copying them would cost more than a switch).
pub const MAX_BATCHED: usize = 16 << 10;
/// Entries a batch holds before it is sent from the write that fills it.
pub const RING_ENTRIES: u32 = 64;

/// What a sent batch hands back to one connection: the bytes its socket did not take, or the
/// error sending met. Shared with the batch only between a push and the send.
#[derive(Default)]
pub struct Returned {
    pub unsent: Vec<u8>,
    pub error: Option<io::ErrorKind>,
}

pub type Slot = Arc<Mutex<Returned>>;

struct Entry {
    fd: RawFd,
    data: Vec<u8>,
    slot: Slot,
    waker: Waker,
}

struct Batch {
    ring: Option<ring::Ring>,
    entries: Vec<Entry>,
    /// Bumped at every send: a connection that pushed in batch `n` has bytes waiting while the
    /// batch is still `n` and not empty.
    generation: u64,
    flusher: Option<Waker>,
    on: bool,
}

thread_local! {
    static BATCH: RefCell<Batch> = const {
        RefCell::new(Batch {
            ring: None,
            entries: Vec::new(),
            generation: 0,
            flusher: None,
            on: false,
        })
    };
}

/// Batch this thread's writes from now on; the returned task must run on the thread's
/// runtime. Without io_uring the batch is sent with plain `send`s.
pub fn start_here() -> impl Future<Output = ()> {
    BATCH.with(|b| {
        let mut b = b.borrow_mut();
        b.ring = ring::Ring::new(RING_ENTRIES);
        if b.ring.is_none() {
            tracing::debug!("io_uring unavailable: batched answers are sent one by one");
        }
        b.on = true;
    });
    std::future::poll_fn(|cx: &mut Context<'_>| {
        send();
        BATCH.with(|b| b.borrow_mut().flusher = Some(cx.waker().clone()));
        Poll::<()>::Pending
    })
}

/// Whether this thread batches writes.
pub fn is_on() -> bool {
    BATCH.with(|b| b.borrow().on)
}

/// Where a connection's bytes wait: the batch's generation and the entry's place in it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Queued {
    generation: u64,
    index: usize,
}

/// Queue `bufs` for `fd`, whose connection's task is `waker`: appended to the connection's
/// entry when it has one waiting (`queued`), so that a batch holds at most one entry per
/// socket and what one `send` could not take is never followed by a later `send` that could.
pub fn push(
    fd: RawFd,
    bufs: &[io::IoSlice<'_>],
    queued: Option<Queued>,
    slot: &Slot,
    waker: &Waker,
) -> Queued {
    let (at, full) = BATCH.with(|b| {
        let mut b = b.borrow_mut();
        let b = &mut *b;
        let mine = queued.filter(|q| q.generation == b.generation && q.index < b.entries.len());
        let at = mine.unwrap_or_else(|| {
            if b.entries.is_empty() {
                if let Some(w) = b.flusher.take() {
                    w.wake();
                }
            }
            b.entries.push(Entry {
                fd,
                data: Vec::with_capacity(bufs.iter().map(|b| b.len()).sum()),
                slot: slot.clone(),
                waker: waker.clone(),
            });
            Queued {
                generation: b.generation,
                index: b.entries.len() - 1,
            }
        });
        let data = &mut b.entries[at.index].data;
        for buf in bufs {
            data.extend_from_slice(buf);
        }
        (
            at,
            mine.is_none() && b.entries.len() >= RING_ENTRIES as usize,
        )
    });
    if full {
        send();
    }
    at
}

/// Whether bytes queued at `q` still wait to be sent.
pub fn waiting(q: Queued) -> bool {
    waiting_len(q) > 0
}

/// The bytes waiting at `q`, when they do (entries are never empty: a connection batches
/// only writes of at least one byte).
pub fn waiting_len(q: Queued) -> usize {
    BATCH.with(|b| {
        let b = b.borrow();
        if b.generation != q.generation {
            return 0;
        }
        b.entries.get(q.index).map_or(0, |e| e.data.len())
    })
}

/// `send_all`'s mark of an entry the ring did not take (sent plainly instead).
const NOT_TAKEN: i32 = i32::MIN;
/// `send_all`'s mark of an entry submitted whose completion never came (never seen).
const LOST: i32 = i32::MIN + 1;

/// Send the batch now.
pub fn send() {
    let (entries, results) = BATCH.with(|b| {
        let mut b = b.borrow_mut();
        if b.entries.is_empty() {
            return (Vec::new(), Vec::new());
        }
        b.generation = b.generation.wrapping_add(1);
        let entries = std::mem::take(&mut b.entries);
        let mut results = vec![NOT_TAKEN; entries.len()];
        if let Some(r) = b.ring.as_mut() {
            let items: Vec<(RawFd, &[u8])> = entries.iter().map(|e| (e.fd, &e.data[..])).collect();
            r.send_all(&items, &mut results);
        }
        if results.contains(&LOST) {
            // The kernel may still read those buffers: they and the ring are never freed, and
            // this thread sends plainly from now on.
            tracing::error!("io_uring lost sends: batched answers are sent one by one from now on");
            std::mem::forget(b.ring.take());
        }
        (entries, results)
    });
    for (e, res) in entries.into_iter().zip(results) {
        match res {
            NOT_TAKEN => {
                let res = plain_send(e.fd, &e.data);
                settle(e, res);
            }
            LOST => {
                let Entry {
                    data, slot, waker, ..
                } = e;
                std::mem::forget(data);
                slot.lock().unwrap_or_else(|p| p.into_inner()).error =
                    Some(io::ErrorKind::ConnectionAborted);
                waker.wake();
            }
            res => settle(e, res),
        }
    }
}

/// A `send` that never blocks and never raises SIGPIPE: bytes sent, or `-errno`.
fn plain_send(fd: RawFd, data: &[u8]) -> i32 {
    // SAFETY: `data` is a live slice; `fd` is the open socket of a connection that cannot close
    // before its batch is sent (see `Conn`'s drop).
    let n = unsafe {
        libc::send(
            fd,
            data.as_ptr().cast(),
            data.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    if n < 0 {
        -io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO)
    } else {
        n as i32
    }
}

/// Hand an entry's outcome to its connection; wake it when it has something to do.
fn settle(e: Entry, res: i32) {
    let len = e.data.len();
    if res >= 0 && res as usize == len {
        return;
    }
    {
        let mut r = e.slot.lock().unwrap_or_else(|p| p.into_inner());
        if res >= 0 || res == -libc::EAGAIN || res == -libc::EWOULDBLOCK || res == -libc::EINTR {
            let taken = (res.max(0) as usize).min(len);
            r.unsent.extend_from_slice(&e.data[taken..]);
        } else if r.error.is_none() {
            r.error = Some(io::Error::from_raw_os_error(-res).kind());
        }
    }
    e.waker.wake();
}

mod ring {
    //! A minimal io_uring: one submission of `send`s, waited for in the same call.

    use std::os::fd::{FromRawFd, OwnedFd, RawFd};
    use std::sync::atomic::{AtomicU32, Ordering};

    #[repr(C)]
    #[derive(Default)]
    struct SqOffsets {
        head: u32,
        tail: u32,
        ring_mask: u32,
        ring_entries: u32,
        flags: u32,
        dropped: u32,
        array: u32,
        resv1: u32,
        user_addr: u64,
    }

    #[repr(C)]
    #[derive(Default)]
    struct CqOffsets {
        head: u32,
        tail: u32,
        ring_mask: u32,
        ring_entries: u32,
        overflow: u32,
        cqes: u32,
        flags: u32,
        resv1: u32,
        user_addr: u64,
    }

    #[repr(C)]
    #[derive(Default)]
    struct Params {
        sq_entries: u32,
        cq_entries: u32,
        flags: u32,
        sq_thread_cpu: u32,
        sq_thread_idle: u32,
        features: u32,
        wq_fd: u32,
        resv: [u32; 3],
        sq_off: SqOffsets,
        cq_off: CqOffsets,
    }

    /// `struct io_uring_sqe` as a `send` uses it.
    #[repr(C)]
    struct Sqe {
        opcode: u8,
        flags: u8,
        ioprio: u16,
        fd: i32,
        off: u64,
        addr: u64,
        len: u32,
        msg_flags: u32,
        user_data: u64,
        buf_index: u16,
        personality: u16,
        splice_fd_in: i32,
        addr3: u64,
        pad: u64,
    }

    #[repr(C)]
    struct Cqe {
        user_data: u64,
        res: i32,
        flags: u32,
    }

    const IORING_OP_SEND: u8 = 26;
    const IORING_FEAT_SINGLE_MMAP: u32 = 1;
    const IORING_ENTER_GETEVENTS: u32 = 1;
    const IORING_OFF_SQES: libc::off_t = 0x1000_0000;

    struct Map {
        ptr: *mut u8,
        len: usize,
    }

    impl Map {
        fn new(fd: RawFd, len: usize, offset: libc::off_t) -> Option<Map> {
            // SAFETY: a fresh shared mapping of the ring's memory; unmapped on drop.
            let ptr = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED | libc::MAP_POPULATE,
                    fd,
                    offset,
                )
            };
            (ptr != libc::MAP_FAILED).then_some(Map {
                ptr: ptr.cast(),
                len,
            })
        }
    }

    impl Drop for Map {
        fn drop(&mut self) {
            // SAFETY: the mapping made in `new`, no longer referenced.
            unsafe { libc::munmap(self.ptr.cast(), self.len) };
        }
    }

    pub struct Ring {
        // Field order is drop order: the mappings go before the ring's descriptor.
        rings: Map,
        sqes: Map,
        fd: OwnedFd,
        p: Params,
    }

    impl Ring {
        pub fn new(entries: u32) -> Option<Ring> {
            let mut p = Params::default();
            // SAFETY: io_uring_setup fills `p`, which lives across the call.
            let fd =
                unsafe { libc::syscall(libc::SYS_io_uring_setup, entries, &mut p as *mut Params) };
            if fd < 0 {
                return None;
            }
            // SAFETY: a descriptor io_uring_setup just returned, owned here alone.
            let fd = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
            if p.features & IORING_FEAT_SINGLE_MMAP == 0 || p.cq_entries < p.sq_entries {
                return None;
            }
            let sq_len = p.sq_off.array as usize + p.sq_entries as usize * 4;
            let cq_len = p.cq_off.cqes as usize + p.cq_entries as usize * size_of::<Cqe>();
            let raw = std::os::fd::AsRawFd::as_raw_fd(&fd);
            let rings = Map::new(raw, sq_len.max(cq_len), 0)?;
            let sqes = Map::new(
                raw,
                p.sq_entries as usize * size_of::<Sqe>(),
                IORING_OFF_SQES,
            )?;
            Some(Ring { rings, sqes, fd, p })
        }

        fn word(&self, offset: u32) -> &AtomicU32 {
            // SAFETY: the kernel's offsets of aligned u32 fields inside the ring mapping, which
            // lives as long as `self`.
            unsafe { &*(self.rings.ptr.add(offset as usize) as *const AtomicU32) }
        }

        fn enter(&self, submit: u32, wait: u32, flags: u32) -> i64 {
            // SAFETY: no argument points to memory (no signal mask).
            unsafe {
                libc::syscall(
                    libc::SYS_io_uring_enter,
                    std::os::fd::AsRawFd::as_raw_fd(&self.fd),
                    submit,
                    wait,
                    flags,
                    std::ptr::null::<libc::sigset_t>(),
                    0usize,
                )
            }
        }

        /// Send each buffer to its socket (at most the ring's size); `out[i]` becomes what
        /// `send` returned for item `i`. Items the ring did not take keep their mark
        /// (`NOT_TAKEN`); submitted ones that never completed get `LOST`.
        pub fn send_all(&mut self, items: &[(RawFd, &[u8])], out: &mut [i32]) {
            if items.len() > self.p.sq_entries as usize {
                return;
            }
            let sq = &self.p.sq_off;
            let mask = self.word(sq.ring_mask).load(Ordering::Relaxed);
            let head = self.word(sq.head).load(Ordering::Acquire);
            let start = self.word(sq.tail).load(Ordering::Relaxed);
            if start != head {
                return;
            }
            let array = self.rings.ptr.wrapping_add(sq.array as usize) as *mut u32;
            let sqes = self.sqes.ptr as *mut Sqe;
            let mut tail = start;
            for (i, (fd, data)) in items.iter().enumerate() {
                let idx = tail & mask;
                // SAFETY: `idx` is below the ring's size; the kernel reads these slots only
                // between our tail store and its head update, inside `enter` below.
                unsafe {
                    sqes.add(idx as usize).write(Sqe {
                        opcode: IORING_OP_SEND,
                        flags: 0,
                        ioprio: 0,
                        fd: *fd,
                        off: 0,
                        addr: data.as_ptr() as u64,
                        len: data.len() as u32,
                        msg_flags: (libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) as u32,
                        user_data: i as u64,
                        buf_index: 0,
                        personality: 0,
                        splice_fd_in: 0,
                        addr3: 0,
                        pad: 0,
                    });
                    array.add(idx as usize).write(idx);
                }
                tail = tail.wrapping_add(1);
            }
            self.word(sq.tail).store(tail, Ordering::Release);
            let n = items.len() as u32;
            let mut submitted = 0u32;
            while submitted < n {
                let r = self.enter(n - submitted, n - submitted, IORING_ENTER_GETEVENTS);
                if r > 0 {
                    submitted += r as u32;
                } else if r == 0
                    || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR)
                {
                    break;
                }
            }
            // Withdraw what the kernel did not take, so no later call sends it.
            let taken = self.word(sq.head).load(Ordering::Acquire);
            self.word(sq.tail).store(taken, Ordering::Release);
            // Sends with MSG_DONTWAIT complete as they are submitted; reap them, waiting if a
            // completion is still on its way.
            let expected = taken.wrapping_sub(start);
            let mut reaped = 0u32;
            let cq = &self.p.cq_off;
            let cmask = self.word(cq.ring_mask).load(Ordering::Relaxed);
            let cqes = self.rings.ptr.wrapping_add(cq.cqes as usize) as *const Cqe;
            let mut spins = 0;
            while reaped < expected {
                let mut h = self.word(cq.head).load(Ordering::Relaxed);
                let end = self.word(cq.tail).load(Ordering::Acquire);
                while h != end {
                    // SAFETY: an index below the completion ring's size, inside the mapping.
                    let c = unsafe { cqes.add((h & cmask) as usize).read() };
                    if let Some(o) = out.get_mut(c.user_data as usize) {
                        *o = c.res;
                        reaped += 1;
                    }
                    h = h.wrapping_add(1);
                }
                self.word(cq.head).store(h, Ordering::Release);
                if reaped < expected {
                    spins += 1;
                    if spins > 1000 || self.enter(0, expected - reaped, IORING_ENTER_GETEVENTS) < 0
                    {
                        // Never seen: sends that neither completed nor failed.
                        for o in out.iter_mut().take(expected as usize) {
                            if *o == super::NOT_TAKEN {
                                *o = super::LOST;
                            }
                        }
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{ErrorKind, Read};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Count(AtomicUsize);
    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn pair(sndbuf: Option<i32>) -> (UnixStream, UnixStream) {
        let (w, r) = UnixStream::pair().unwrap();
        w.set_nonblocking(true).unwrap();
        r.set_nonblocking(true).unwrap();
        if let Some(size) = sndbuf {
            // SAFETY: setsockopt reads one int.
            let rc = unsafe {
                libc::setsockopt(
                    w.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_SNDBUF,
                    (&size as *const i32).cast(),
                    size_of::<i32>() as libc::socklen_t,
                )
            };
            assert_eq!(rc, 0);
        }
        (w, r)
    }

    fn read_all(r: &mut UnixStream) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return got,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return got,
                Err(e) => panic!("{e}"),
            }
        }
    }

    /// With the ring and without it: writes of one socket in a pass become one entry, in
    /// order; what a full socket did not take comes back to its connection (which is woken);
    /// a closed peer is that connection's error.
    #[test]
    fn batches_keep_order_and_hand_back_what_a_socket_left() {
        let _flusher = start_here();
        // Where the kernel refuses io_uring both rounds send plainly.
        let have_ring = BATCH.with(|b| b.borrow().ring.is_some());
        eprintln!("io_uring available: {have_ring}");
        for ring in [true, false] {
            if !ring {
                BATCH.with(|b| b.borrow_mut().ring = None);
            }
            let (full_w, mut full_r) = pair(Some(4096));
            let (ok_w, mut ok_r) = pair(None);
            let (gone_w, gone_r) = pair(None);
            drop(gone_r);
            let count = Arc::new(Count(AtomicUsize::new(0)));
            let waker = Waker::from(count.clone());
            let slots: [Slot; 3] = Default::default();
            let want: Vec<u8> = (0..60_000u32).map(|i| (i % 251) as u8).collect();
            let mut q = None;
            for part in want.chunks(15_000) {
                let at = push(
                    full_w.as_raw_fd(),
                    &[io::IoSlice::new(part)],
                    q,
                    &slots[0],
                    &waker,
                );
                assert!(q.is_none() || q == Some(at), "one entry per socket");
                q = Some(at);
            }
            let small = push(
                ok_w.as_raw_fd(),
                &[io::IoSlice::new(b"hello")],
                None,
                &slots[1],
                &waker,
            );
            push(
                gone_w.as_raw_fd(),
                &[io::IoSlice::new(b"lost")],
                None,
                &slots[2],
                &waker,
            );
            assert!(waiting(small) && waiting_len(q.unwrap()) == want.len());
            send();
            assert!(!waiting(small) && !waiting(q.unwrap()));
            assert_eq!(read_all(&mut ok_r), b"hello");
            let mut got = read_all(&mut full_r);
            let back = std::mem::take(&mut slots[0].lock().unwrap().unsent);
            assert!(
                !back.is_empty(),
                "a 4 KiB socket buffer takes less than 60 KB"
            );
            got.extend_from_slice(&back);
            assert!(got == want, "ring {ring}: bytes out of order or lost");
            assert!(slots[1].lock().unwrap().unsent.is_empty());
            assert_eq!(slots[2].lock().unwrap().error, Some(ErrorKind::BrokenPipe));
            assert_eq!(
                count.0.swap(0, Ordering::Relaxed),
                2,
                "the short and the failed"
            );
        }
        BATCH.with(|b| b.borrow_mut().on = false);
    }
}
