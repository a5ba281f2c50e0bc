//! The SDK against a hand-written `reqwest` + `serde_json` client doing the
//! same requests, on one fixed-response loopback server, in one run:
//!
//! 1. median latency per call: `get user`, `send 10 messages`, `list one
//!    page of 100 conversations` (SDK with a fresh app token per request, the
//!    default; SDK in secret-key mode, which mints nothing; the baseline with
//!    a token minted once), and the ratio to the baseline;
//! 2. 64 calls in flight from one client: throughput and the TCP
//!    connections the server accepted;
//! 3. the cost of minting one app token.
//!
//! Run: `cargo bench --bench sdk_overhead` (`BENCH_QUICK=1` for a smoke run;
//! `BENCH_ONLY=get|send|page|inflight|mint` for one part).
//! A hand-written harness rather than criterion: the ratios must come from
//! interleaved samples of the same run on a shared 2-core machine, which
//! criterion (one benchmark after another) does not do. See BENCHMARKS.md.

mod support;

use std::{future::Future, pin::Pin, time::Instant};

use futures::StreamExt;
use support::*;

type Call = Box<dyn Fn() -> Pin<Box<dyn Future<Output = ()>>>>;

struct Variant {
    name: &'static str,
    call: Call,
}

/// Latency samples per variant, interleaved: every round runs each variant
/// `per_round` times, the variants' order rotating from round to round.
async fn latency(case: &str, variants: &[Variant], warmup: usize, rounds: usize, per_round: usize) {
    for v in variants {
        for _ in 0..warmup {
            (v.call)().await;
        }
    }
    let k = variants.len();
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds * per_round); k];
    let mut round_medians: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); k];
    for round in 0..rounds {
        for j in 0..k {
            let i = (round + j) % k;
            let mut this_round = Vec::with_capacity(per_round);
            for _ in 0..per_round {
                let start = Instant::now();
                (variants[i].call)().await;
                this_round.push(micros(start.elapsed()));
            }
            round_medians[i].push(summary(&this_round).median);
            samples[i].extend(this_round);
        }
    }
    let base = k - 1; // the baseline is listed last
    let base_median = summary(&samples[base]).median;
    println!("\n### {case}\n");
    println!(
        "| client | median µs/call | p25–p75 µs | ratio of medians | median of per-round ratios (p25–p75) |"
    );
    println!("|---|---:|---:|---:|---:|");
    for i in 0..k {
        let s = summary(&samples[i]);
        let ratios: Vec<f64> = round_medians[i]
            .iter()
            .zip(&round_medians[base])
            .map(|(a, b)| a / b)
            .collect();
        let r = summary(&ratios);
        println!(
            "| {} | {:.1} | {:.1}–{:.1} | {:.3} | {:.3} ({:.3}–{:.3}) |",
            variants[i].name,
            s.median,
            s.p25,
            s.p75,
            s.median / base_median,
            r.median,
            r.p25,
            r.p75
        );
    }
    println!(
        "\n({} samples per client: {rounds} interleaved rounds of {per_round}, after {warmup} warm-up calls each)",
        samples[0].len()
    );
}

fn leak<T>(t: T) -> &'static T {
    Box::leak(Box::new(t))
}

fn variants_get_user(
    sdk: &'static talkjs::Client,
    sdk_key: &'static talkjs::Client,
    base: &'static Baseline,
) -> Vec<Variant> {
    vec![
        Variant {
            name: "SDK (app token per request, default)",
            call: Box::new(move || {
                Box::pin(async move {
                    let u = sdk.users().get("alice").await.unwrap();
                    assert_eq!(u.id.as_deref(), Some("alice"));
                })
            }),
        },
        Variant {
            name: "SDK (secret key: no minting)",
            call: Box::new(move || {
                Box::pin(async move {
                    let u = sdk_key.users().get("alice").await.unwrap();
                    assert_eq!(u.id.as_deref(), Some("alice"));
                })
            }),
        },
        Variant {
            name: "baseline reqwest + serde_json",
            call: Box::new(move || {
                Box::pin(async move {
                    let u = base.get_user("alice").await.unwrap();
                    assert_eq!(u.id.as_deref(), Some("alice"));
                })
            }),
        },
    ]
}

fn variants_send(
    sdk: &'static talkjs::Client,
    sdk_key: &'static talkjs::Client,
    base: &'static Baseline,
    messages: &'static [talkjs::raw::types::SendMessageInput],
) -> Vec<Variant> {
    vec![
        Variant {
            name: "SDK (app token per request, default)",
            call: Box::new(move || {
                Box::pin(async move {
                    let ids = sdk.messages("order-42").send(messages.to_vec()).await;
                    assert_eq!(ids.unwrap().len(), 10);
                })
            }),
        },
        Variant {
            name: "SDK (secret key: no minting)",
            call: Box::new(move || {
                Box::pin(async move {
                    let ids = sdk_key.messages("order-42").send(messages.to_vec()).await;
                    assert_eq!(ids.unwrap().len(), 10);
                })
            }),
        },
        Variant {
            name: "baseline reqwest + serde_json",
            call: Box::new(move || {
                Box::pin(async move {
                    let ids = base.send_messages("order-42", messages.to_vec()).await;
                    assert_eq!(ids.unwrap().len(), 10);
                })
            }),
        },
    ]
}

fn variants_page(
    sdk: &'static talkjs::Client,
    sdk_key: &'static talkjs::Client,
    base: &'static Baseline,
) -> Vec<Variant> {
    vec![
        Variant {
            name: "SDK (app token per request, default)",
            call: Box::new(move || {
                Box::pin(async move {
                    let page = sdk.conversations().list().limit(100).send().await;
                    assert_eq!(page.unwrap().items.len(), 100);
                })
            }),
        },
        Variant {
            name: "SDK (secret key: no minting)",
            call: Box::new(move || {
                Box::pin(async move {
                    let page = sdk_key.conversations().list().limit(100).send().await;
                    assert_eq!(page.unwrap().items.len(), 100);
                })
            }),
        },
        Variant {
            name: "baseline reqwest + serde_json",
            call: Box::new(move || {
                Box::pin(async move {
                    let page = base.conversations_page(100, None).await;
                    assert_eq!(page.unwrap().len(), 100);
                })
            }),
        },
    ]
}

/// 64 `get user` calls in flight from one client, `total` calls per run;
/// runs of the SDK and the baseline alternate. Each side uses a client of
/// its own, fresh, so the server's accept count per side is the number of
/// TCP connections that client opened.
async fn concurrency(server: &Server, runs: usize, total: usize) {
    const IN_FLIGHT: usize = 64;
    let sdk = sdk_client(server, true);
    let base = Baseline::new(&server.base_url(), APP_ID);
    let mut sdk_rates = Vec::new();
    let mut base_rates = Vec::new();
    let (mut sdk_conns, mut base_conns) = (0, 0);
    for run in 0..runs + 1 {
        // Run 0 is the warm-up (and opens the connections); counted apart.
        for side in [run % 2, 1 - run % 2] {
            let before = server.accepted();
            let start = Instant::now();
            let users = sdk.users();
            let done = if side == 0 {
                futures::stream::iter(0..total)
                    .map(|_| users.get("alice"))
                    .buffer_unordered(IN_FLIGHT)
                    .filter(|r| std::future::ready(r.is_ok()))
                    .count()
                    .await
            } else {
                futures::stream::iter(0..total)
                    .map(|_| base.get_user("alice"))
                    .buffer_unordered(IN_FLIGHT)
                    .filter(|r| std::future::ready(r.is_ok()))
                    .count()
                    .await
            };
            assert_eq!(done, total, "every call succeeds");
            let rate = total as f64 / start.elapsed().as_secs_f64();
            let opened = server.accepted() - before;
            if side == 0 {
                sdk_conns += opened;
                if run > 0 {
                    sdk_rates.push(rate);
                }
            } else {
                base_conns += opened;
                if run > 0 {
                    base_rates.push(rate);
                }
            }
        }
    }
    let (s, b) = (summary(&sdk_rates), summary(&base_rates));
    let ratios: Vec<f64> = sdk_rates
        .iter()
        .zip(&base_rates)
        .map(|(a, b)| a / b)
        .collect();
    let r = summary(&ratios);
    println!("\n### 64 `get user` calls in flight from one client\n");
    println!(
        "| client | median calls/s | p25–p75 | TCP connections accepted ({} calls) |",
        (runs + 1) * total
    );
    println!("|---|---:|---:|---:|");
    println!(
        "| SDK (default) | {:.0} | {:.0}–{:.0} | {} |",
        s.median, s.p25, s.p75, sdk_conns
    );
    println!(
        "| baseline | {:.0} | {:.0}–{:.0} | {} |",
        b.median, b.p25, b.p75, base_conns
    );
    println!(
        "\nSDK/baseline throughput: {:.3} (ratio of medians), {:.3} (median of per-run ratios, p25–p75 {:.3}–{:.3}); {runs} alternating runs of {total} calls per client after one warm-up run",
        s.median / b.median,
        r.median,
        r.p25,
        r.p75
    );
}

fn mint_cost(batches: usize, per_batch: usize) {
    let minter =
        talkjs::tokens::AppTokenMinter::new(APP_ID, &secrecy::SecretString::from(SECRET)).unwrap();
    for _ in 0..per_batch {
        std::hint::black_box(minter.mint().unwrap());
    }
    let mut ns = Vec::with_capacity(batches);
    for _ in 0..batches {
        let start = Instant::now();
        for _ in 0..per_batch {
            std::hint::black_box(minter.mint().unwrap());
        }
        ns.push(start.elapsed().as_nanos() as f64 / per_batch as f64);
    }
    let s = summary(&ns);
    println!("\n### Minting one app token (`AppTokenMinter::mint`)\n");
    println!(
        "median {:.0} ns per token (p25–p75 {:.0}–{:.0}; {batches} batches of {per_batch})",
        s.median, s.p25, s.p75
    );
}

/// `BENCH_PROFILE=sdk|baseline`: only 64-in-flight `get user` calls of one
/// side for ~10 s, to run under `perf record` (see BENCHMARKS.md).
async fn profile(server: &Server, side: &str) {
    let sdk = sdk_client(server, true);
    let base = Baseline::new(&server.base_url(), APP_ID);
    let users = sdk.users();
    let start = Instant::now();
    let mut calls = 0usize;
    while start.elapsed().as_secs() < 10 {
        calls += if side == "sdk" {
            futures::stream::iter(0..10_000)
                .map(|_| users.get("alice"))
                .buffer_unordered(64)
                .count()
                .await
        } else {
            futures::stream::iter(0..10_000)
                .map(|_| base.get_user("alice"))
                .buffer_unordered(64)
                .count()
                .await
        };
    }
    println!("{side}: {calls} calls in {:?}", start.elapsed());
    println!(
        "future sizes: SDK get user {} B, SDK send {} B, SDK page {} B, baseline get user {} B, raw get_user {} B",
        std::mem::size_of_val(&users.get("alice")),
        std::mem::size_of_val(&sdk.messages("c").send(Vec::new())),
        std::mem::size_of_val(&sdk.conversations().list().limit(100).send()),
        std::mem::size_of_val(&base.get_user("alice")),
        std::mem::size_of_val(&sdk.raw().get_user().user_id("alice").send()),
    );
}

/// `BENCH_COUNT=sdk|sdk-key|baseline` (optionally `BENCH_CASE=get|send|page`):
/// 2,000 (`BENCH_COUNT_CALLS`) sequential calls of one side after 200 warm-up
/// calls, to run under
/// `valgrind --tool=callgrind`, which counts instructions (repeatable on a
/// shared machine, unlike time) and attributes them to functions.
async fn count(server: &Server, side: &str, case: &str) {
    let client = match side {
        "sdk" => Some(sdk_client(server, true)),
        "sdk-key" => Some(sdk_client(server, false)),
        "baseline" => None,
        other => unreachable!("BENCH_COUNT={other:?} was checked in main"),
    };
    // Only the side being counted builds an HTTP client (building one loads
    // the system's root certificates, which would dwarf a call's cost).
    let base = client
        .is_none()
        .then(|| Baseline::new(&server.base_url(), APP_ID));
    let base = base.as_ref();
    let messages = ten_messages();
    let one = || async {
        match (&client, case) {
            (Some(sdk), "send") => {
                let ids = sdk.messages("order-42").send(messages.clone()).await;
                assert_eq!(ids.unwrap().len(), 10);
            }
            (Some(sdk), "page") => {
                let page = sdk.conversations().list().limit(100).send().await;
                assert_eq!(page.unwrap().items.len(), 100);
            }
            (Some(sdk), "get") => {
                sdk.users().get("alice").await.unwrap();
            }
            (None, "send") => {
                let ids = base
                    .unwrap()
                    .send_messages("order-42", messages.clone())
                    .await;
                assert_eq!(ids.unwrap().len(), 10);
            }
            (None, "page") => {
                let page = base.unwrap().conversations_page(100, None).await;
                assert_eq!(page.unwrap().len(), 100);
            }
            (None, "get") => {
                base.unwrap().get_user("alice").await.unwrap();
            }
            (_, other) => unreachable!("BENCH_CASE={other:?} was checked in main"),
        }
    };
    for _ in 0..200 {
        one().await;
    }
    let calls: usize = std::env::var("BENCH_COUNT_CALLS").map_or(2_000, |n| {
        n.parse()
            .unwrap_or_else(|_| panic!("BENCH_COUNT_CALLS={n:?} is not a number of calls"))
    });
    for _ in 0..calls {
        one().await;
    }
    println!("{side} {case}: {} calls", calls + 200);
}

fn main() {
    if let Some(side) = env_choice("BENCH_COUNT", &["sdk", "sdk-key", "baseline"]) {
        let case =
            env_choice("BENCH_CASE", &["get", "send", "page"]).unwrap_or_else(|| "get".into());
        let server = Server::start();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(count(&server, &side, &case));
        return;
    }
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
    // One part of the run, to iterate on one case; the whole run by default.
    let only = env_choice("BENCH_ONLY", &["get", "send", "page", "inflight", "mint"]);
    let run = |part: &str| only.as_deref().is_none_or(|o| o == part);
    println!("## sdk_overhead\n\nmachine: {}", machine());
    let server = Server::start();
    // One core for the client (this runtime), one for the server's.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sdk = leak(sdk_client(&server, true));
        let sdk_key = leak(sdk_client(&server, false));
        let base = leak(Baseline::new(&server.base_url(), APP_ID));
        let messages = leak(ten_messages());
        let (warmup, rounds, per_round) = if quick { (50, 10, 20) } else { (1000, 200, 50) };
        if run("get") {
            latency(
                "get user",
                &variants_get_user(sdk, sdk_key, base),
                warmup,
                rounds,
                per_round,
            )
            .await;
        }
        if run("send") {
            latency(
                "send 10 messages",
                &variants_send(sdk, sdk_key, base, messages),
                warmup,
                rounds,
                per_round,
            )
            .await;
        }
        let (rounds, per_round) = if quick { (10, 10) } else { (200, 25) };
        if run("page") {
            latency(
                "list one page of 100 conversations",
                &variants_page(sdk, sdk_key, base),
                warmup / 4,
                rounds,
                per_round,
            )
            .await;
        }
        let (runs, total) = if quick { (2, 2_000) } else { (20, 20_000) };
        if run("inflight") {
            concurrency(&server, runs, total).await;
        }
    });
    if run("mint") {
        if quick {
            mint_cost(20, 1_000);
        } else {
            mint_cost(200, 10_000);
        }
    }
}
