//! `GET`/`PUT /v1/{appId}` (with and without a trailing slash): the app's
//! metadata, merged, with an unchangeable `id`.

mod common;

use common::Api;
use serde_json::json;
use talkjs_emulator::Fault;

#[tokio::test]
async fn reads_and_updates_the_metadata() {
    let api = Api::start().await;
    let app = api.emu.app_id().to_owned();
    for path in ["", "/"] {
        let (s, b) = api.get(path).await;
        assert_eq!((s, b), (200, json!({"id": app, "custom": {}})), "{path:?}");
    }
    let (s, b) = api
        .put(
            "",
            json!({"custom": {"k": "v", "x": "y"}, "defaultLocale": "en-US"}),
        )
        .await;
    assert_eq!((s, b), (200, json!({})));
    let (s, b) = api
        .put("/", json!({"id": app, "custom": {"x": null}}))
        .await;
    assert_eq!((s, b), (200, json!({})));
    let (_, b) = api.get("/").await;
    assert_eq!(
        b,
        json!({"id": app, "custom": {"k": "v"}, "defaultLocale": "en-US"}),
        "omitted fields are kept, custom merges key by key"
    );
    api.put("", json!({"defaultLocale": "nl-NL"})).await;
    let (_, b) = api.get("").await;
    assert_eq!(
        (b["defaultLocale"].clone(), b["custom"].clone()),
        (json!("nl-NL"), json!({"k": "v"}))
    );
}

#[tokio::test]
async fn refuses_another_id_and_bad_fields() {
    let api = Api::start().await;
    api.put("", json!({"custom": {"k": "v"}})).await;
    for bad in [
        json!({"id": "other_app", "custom": {"k": "changed"}}),
        json!({"id": 1}),
        json!({"custom": {"k": 1}}),
        json!({"custom": "k"}),
        json!({"defaultLocale": 5}),
        json!(["custom"]),
    ] {
        assert_eq!(api.put("/", bad.clone()).await.0, 400, "{bad}");
    }
    assert_eq!(
        api.get("").await.1["custom"],
        json!({"k": "v"}),
        "unchanged"
    );
    assert_eq!(api.post("", json!({})).await.0, 405);
    assert_eq!(api.delete("/").await.0, 405);
}

#[tokio::test]
async fn follows_the_ordinary_rules() {
    let api = Api::start().await;
    let url = api.emu.api_url();
    let anonymous = api.http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let plain = api
        .http
        .put(format!("{url}/"))
        .bearer_auth(api.emu.secret_key())
        .body(r#"{"defaultLocale":"en-US"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        plain.status(),
        400,
        "a body needs Content-Type: application/json"
    );
    api.emu.inject_fault(Fault::status(503));
    assert_eq!(api.get("").await.0, 503);
    let logged = api.emu.requests();
    assert!(
        logged
            .iter()
            .any(|r| r.path == format!("/v1/{}", api.emu.app_id()))
    );
}
