//! Streaming N conversations through `client.conversations().list().stream()`
//! against the baseline's own paging loop (pages of 100, `startingAfter` the
//! last id, stop on a short page): time per run and peak memory, for
//! N = 1,000 and N = 100,000. Memory must stay flat: streaming 100,000 may
//! cost no more than 1,000, within a few MB.
//!
//! Peak memory is measured two ways: a counting global allocator (live heap
//! bytes of the whole process, server thread included, peak reset before
//! each run) and the kernel's peak RSS (`VmHWM`, reset through
//! `/proc/self/clear_refs`).
//!
//! Run: `cargo bench --bench stream_memory` (`BENCH_QUICK=1` for a smoke run).

mod support;

use std::time::Instant;

use futures::TryStreamExt;
use support::{memory::*, *};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What one run cost.
struct Run {
    items: usize,
    secs: f64,
    /// Peak live heap above the level at the start, MiB.
    heap_mib: f64,
    /// Peak RSS of the process during the run, MiB.
    rss_mib: f64,
}

async fn measure<F: Future<Output = usize>>(f: F) -> Run {
    let start = reset_peaks();
    let t = Instant::now();
    let items = f.await;
    let secs = t.elapsed().as_secs_f64();
    Run {
        items,
        secs,
        heap_mib: heap_growth_mib(start),
        rss_mib: peak_rss_mib(),
    }
}

async fn sdk_stream(client: &talkjs::Client) -> usize {
    client
        .conversations()
        .list()
        .limit(100)
        .stream()
        .try_fold(0usize, |n, c| {
            std::hint::black_box(&c);
            async move { Ok(n + 1) }
        })
        .await
        .expect("the stream completes")
}

async fn baseline_loop(base: &Baseline) -> usize {
    let mut n = 0;
    let mut cursor: Option<String> = None;
    loop {
        let page = base
            .conversations_page(100, cursor.as_deref())
            .await
            .expect("a page");
        let full = page.len() == 100;
        cursor = page.last().and_then(|c| c.id.clone());
        for c in page {
            std::hint::black_box(&c);
            n += 1;
        }
        if !full || cursor.is_none() {
            return n;
        }
    }
}

/// `BENCH_PROFILE=sdk|baseline`: only streams of 100,000 on one side for
/// ~10 s, to run under `perf record`.
async fn profile(server: &Server, side: &str) {
    let sdk = sdk_client_for_app(server, "n100000");
    let base = Baseline::new(&server.base_url(), "n100000");
    let start = Instant::now();
    let mut runs = 0;
    while start.elapsed().as_secs() < 10 {
        if side == "sdk" {
            sdk_stream(&sdk).await;
        } else {
            baseline_loop(&base).await;
        }
        runs += 1;
    }
    println!("{side}: {runs} streams of 100,000 in {:?}", start.elapsed());
}

fn main() {
    if let Some(side) = env_choice("BENCH_PROFILE", &["sdk", "baseline"]) {
        let server = Server::start();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(profile(&server, &side));
        return;
    }
    let quick = quick();
    println!("## stream_memory\n\nmachine: {}", machine());
    let server = Server::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sizes: &[usize] = if quick {
            &[1_000, 10_000]
        } else {
            &[1_000, 100_000]
        };
        let reps = if quick { 2 } else { 7 };
        println!(
            "\n| N | client | median s/run | p25–p75 s | items/s | peak heap MiB (max over runs) | peak RSS MiB (max) |"
        );
        println!("|---:|---|---:|---:|---:|---:|---:|");
        let mut ratio_lines = Vec::new();
        for &n in sizes {
            // The server's app "n{N}" has conversations c1..cN; the last
            // page is short (empty, as N is a multiple of 100).
            let app = format!("n{}", n);
            let sdk = sdk_client_for_app(&server, &app);
            let base = Baseline::new(&server.base_url(), &app);
            // Warm-up: connections, allocator pools.
            assert_eq!(sdk_stream(&sdk).await, n);
            assert_eq!(baseline_loop(&base).await, n);
            let mut rows: [(Vec<f64>, f64, f64); 2] = Default::default();
            for rep in 0..reps {
                for side in [rep % 2, 1 - rep % 2] {
                    let run = if side == 0 {
                        measure(sdk_stream(&sdk)).await
                    } else {
                        measure(baseline_loop(&base)).await
                    };
                    assert_eq!(run.items, n);
                    let row = &mut rows[side];
                    row.0.push(run.secs);
                    row.1 = row.1.max(run.heap_mib);
                    row.2 = row.2.max(run.rss_mib);
                }
            }
            for (side, name) in [(0, "SDK stream"), (1, "baseline loop")] {
                let s = summary(&rows[side].0);
                println!(
                    "| {n} | {name} | {:.3} | {:.3}–{:.3} | {:.0} | {:.2} | {:.1} |",
                    s.median,
                    s.p25,
                    s.p75,
                    n as f64 / s.median,
                    rows[side].1,
                    rows[side].2
                );
            }
            let ratios: Vec<f64> = rows[0]
                .0
                .iter()
                .zip(&rows[1].0)
                .map(|(a, b)| a / b)
                .collect();
            let r = summary(&ratios);
            ratio_lines.push(format!(
                "N = {n}: SDK/baseline time {:.3} (ratio of medians), {:.3} (median of per-rep ratios, p25–p75 {:.3}–{:.3}); {reps} alternating reps after a warm-up",
                summary(&rows[0].0).median / summary(&rows[1].0).median,
                r.median,
                r.p25,
                r.p75
            ));
        }
        println!();
        for l in ratio_lines {
            println!("{l}");
        }
    });
}
