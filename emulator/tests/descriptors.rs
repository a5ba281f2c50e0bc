//! File-descriptor exhaustion, in its own test binary: the limit is
//! process-wide, so no other test may share this process.
//!
//! Idle client connections (this process's own, holding one descriptor
//! each, and one more each on the emulator's side once accepted) use up a
//! low `RLIMIT_NOFILE` while a connection waits in the listen queue. Every
//! `accept` then fails with EMFILE. Before, the accept loop retried at once
//! and spun a core at 100 %; now it pauses (10 ms doubling to 1 s), and
//! once the idle connections close it accepts again and answers.

use std::fs::File;
use std::time::Duration;

use talkjs_emulator::{Emulator, EmulatorConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Upper bound for anything awaited here; never reached when things work.
const LIMIT: Duration = Duration::from_secs(10);
/// How long the accept loop is watched while it cannot accept.
const WINDOW: Duration = Duration::from_millis(2500);
/// Most failed accepts the backoff allows in `WINDOW` from any state:
/// 10+20+...+640 ms is 7 pauses in 1.27 s, then one per second. A loop
/// retrying at once fails hundreds of thousands of times.
const MOST_ERRORS: u64 = 20;

/// Highest descriptor number open in this process.
fn highest_fd() -> i32 {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .max()
        .unwrap()
}

fn set_fd_limit(soft: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain libc calls on a valid, exclusively borrowed struct.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = soft.min(limit.rlim_max);
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
}

fn is_emfile(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::EMFILE)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn descriptor_exhaustion_backs_off_and_recovers() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let addr = emu.addr();
    // About 64 descriptors left for the test's connections.
    set_fd_limit(u64::try_from(highest_fd()).unwrap() + 64);
    // Spare descriptors, given back one at a time below.
    let mut reserve: Vec<File> = (0..8).map(|_| File::open("/dev/null").unwrap()).collect();

    // Idle connections until this process has no descriptor left.
    let mut idle = Vec::new();
    loop {
        match TcpStream::connect(addr).await {
            Ok(s) => idle.push(s),
            Err(e) if is_emfile(&e) => break,
            Err(e) => panic!("connect: {e}"),
        }
        assert!(idle.len() < 1000, "the limit did not apply");
    }
    // One more connection queued while no descriptor is free: the kernel
    // completes it, the emulator cannot accept it. A freed reserve may be
    // taken by the emulator accepting an earlier queued one; then again.
    loop {
        reserve.pop().expect("a reserve left");
        match TcpStream::connect(addr).await {
            Ok(s) => {
                idle.push(s);
                break;
            }
            Err(e) if is_emfile(&e) => {}
            Err(e) => panic!("connect: {e}"),
        }
    }
    assert!(
        is_emfile(&File::open("/dev/null").unwrap_err()),
        "no descriptor free"
    );

    // The accept loop fails, and backs off rather than spinning.
    let before = emu.accept_errors();
    tokio::time::sleep(WINDOW).await; // the measured window, not a wait for an event
    let failed = emu.accept_errors() - before;
    eprintln!("{failed} failed accepts in {WINDOW:?}");
    assert!(failed >= 1, "the queued connection could not be accepted");
    assert!(
        failed <= MOST_ERRORS,
        "{failed} failed accepts in {WINDOW:?}: the loop spins"
    );

    // The idle connections close; the emulator accepts again and answers.
    drop(idle);
    drop(reserve);
    let answer = timeout(LIMIT, async {
        let mut stream = loop {
            match TcpStream::connect(addr).await {
                Ok(s) => break s,
                // The emulator's sides of the closed connections close as
                // it reads their end; until then a descriptor may be short.
                Err(e) if is_emfile(&e) => tokio::task::yield_now().await,
                Err(e) => panic!("connect: {e}"),
            }
        };
        let request = format!(
            "GET /v1/{}/users/nobody HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
            emu.app_id(),
            emu.secret_key()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    })
    .await
    .expect("answered once the idle connections closed");
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert_eq!(emu.handled_count(), 1, "routed as an API request");
    emu.shutdown().await;
}
