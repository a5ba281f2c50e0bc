//! What a hostile or careless client cannot do to the emulator that users
//! run inside their own test processes: read the secret through `Debug`,
//! grow the request log without bound, keep connections open forever.

mod common;

use common::Api;
use talkjs_emulator::EmulatorConfig;

const SECRET: &str = "sk_test_debug_must_not_show_this";

/// `Debug` of the configuration, the emulator (which holds the store) and
/// a logged request shows no secret key; the emulator's is short (it used
/// to print the whole store).
#[tokio::test]
async fn debug_redacts_the_secret() {
    let config = EmulatorConfig::default().secret_key(SECRET);
    let shown = format!("{config:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(
        shown.contains("emulator_app"),
        "other settings stay: {shown}"
    );

    let api = Api::with(config.request_log_capacity(10)).await;
    api.users(&["a", "b"]).await;
    api.conversation("c1", &["a", "b"]).await;
    let shown = format!("{:?}", api.emu);
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.len() < 300, "no store in it: {shown}");
    let (s, _) = api.get("/users/a").await;
    assert_eq!(s, 200);
    let records = api.emu.requests();
    assert!(!records.is_empty());
    for r in &records {
        let shown = format!("{r:?}");
        assert!(!shown.contains(SECRET), "{shown}");
    }
}
