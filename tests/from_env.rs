//! `Client::from_env`: `TALKJS_APP_ID`, `TALKJS_SECRET_KEY` and the optional
//! `TALKJS_API_URL`. One test in a binary of its own, because it changes the
//! process environment, which no other thread may read meanwhile.

use std::time::Duration;

use talkjs::{ConfigError, Error};
use talkjs_emulator::{Emulator, EmulatorConfig};

fn set(name: &str, value: Option<&str>) {
    // SAFETY: no other thread reads or writes the environment meanwhile.
    // This binary's only test runs alone (the harness's main thread just
    // waits for it), and it starts no thread: the calls before the runtime
    // exists are single-threaded, and the one inside `block_on` runs on a
    // current-thread runtime, whose tasks (the emulator's too) run on this
    // thread, with nothing spawned on a blocking pool.
    unsafe {
        match value {
            Some(v) => std::env::set_var(name, v),
            None => std::env::remove_var(name),
        }
    }
}

#[test]
fn from_env_reads_the_three_variables_and_names_a_missing_one() {
    set("TALKJS_APP_ID", None);
    set("TALKJS_SECRET_KEY", None);
    set("TALKJS_API_URL", None);
    match talkjs::Client::from_env() {
        Err(ConfigError::Invalid(message)) => {
            assert!(message.contains("TALKJS_APP_ID"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    set("TALKJS_APP_ID", Some("app_from_env"));
    match talkjs::Client::from_env() {
        Err(ConfigError::Invalid(message)) => {
            assert!(message.contains("TALKJS_SECRET_KEY"), "{message}")
        }
        other => panic!("{other:?}"),
    }

    // The key may end in a newline (a mounted secret file): it is trimmed.
    set("TALKJS_SECRET_KEY", Some("sk_test_from_env\n"));
    let default = talkjs::Client::from_env().expect("a client");
    assert_eq!(default.app_id(), "app_from_env");
    assert!(
        format!("{default:?}").contains("https://api.talkjs.com/v1/app_from_env"),
        "{default:?}"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let emulator = Emulator::start(
            EmulatorConfig::new()
                .app_id("app_from_env")
                .secret_key("sk_test_from_env")
                .batch_interval(Duration::ZERO),
        )
        .await
        .expect("emulator starts");
        set("TALKJS_API_URL", Some(emulator.base_url()));
        let client = talkjs::Client::from_env().expect("a client");
        // Reaches the emulator with the key from the environment.
        let error = client.users().get("nobody").await.unwrap_err();
        assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
        assert_eq!(emulator.requests().len(), 1);
    });
}
