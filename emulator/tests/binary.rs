//! The binary prints `listening on http://ADDR` first and serves there.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn binary_reports_its_address_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_talkjs-emulator"))
        .args([
            "--bind",
            "127.0.0.1:0",
            "--app-id",
            "bin_app",
            "--secret-key",
            "sk_bin",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .expect("first line names the address")
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let http = common::http();
    let ok = http
        .get(format!("{base}/v1/bin_app/users"))
        .bearer_auth("sk_bin")
        .send()
        .await;
    let wrong = http
        .get(format!("{base}/v1/bin_app/users"))
        .bearer_auth("sk_other")
        .send()
        .await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(ok.unwrap().status(), 200);
    assert_eq!(wrong.unwrap().status(), 401);
}
