//! The app's own metadata at `/v1/{appId}`: get, update, and an `id` that
//! is not the app's refused before sending.

use std::collections::HashMap;

use serde_json::json;
use talkjs::types::AppInput;

use crate::common::assert_validation;
use crate::wire::{assert_request, client, exactly, requests, server};

#[tokio::test]
async fn app_metadata_is_read_and_updated_at_the_apps_url() {
    let server =
        server(json!({"id": "app", "defaultLocale": "nl-NL", "custom": {"plan": "pro"}})).await;
    let client = client(&server);
    let app = client.app().get().await.unwrap();
    assert_eq!(app.id.as_deref(), Some("app"));
    assert_eq!(app.default_locale.as_deref(), Some("nl-NL"));
    assert_eq!(app.custom.unwrap()["plan"], "pro");

    let mut input = AppInput::default().default_locale("en-US");
    input.custom = HashMap::from([("plan".to_string(), "team".to_string())]);
    client.app().update(&input).await.unwrap();
    // Its own id may be sent.
    client
        .app()
        .update(&AppInput::default().id("app"))
        .await
        .unwrap();

    let r = exactly(&server, 3).await;
    // No trailing slash: the app's URL itself.
    assert_request(&r[0], "GET", "/v1/app", &[], None);
    assert_request(
        &r[1],
        "PUT",
        "/v1/app",
        &[],
        Some(json!({"defaultLocale": "en-US", "custom": {"plan": "team"}})),
    );
    assert_request(&r[2], "PUT", "/v1/app", &[], Some(json!({"id": "app"})));
}

#[tokio::test]
async fn another_apps_id_is_refused_before_sending() {
    let server = server(json!({})).await;
    let other = AppInput::default().id("someone-else");
    assert_validation(client(&server).app().update(&other).await, "id");
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn the_emulator_keeps_the_apps_metadata() {
    let (emu, client) = crate::common::emulator().await;
    let app = client.app().get().await.unwrap();
    assert_eq!(app.id.as_deref(), Some(emu.app_id()));
    let mut input = AppInput::default().default_locale("nl-NL");
    input.custom = HashMap::from([("plan".to_string(), "pro".to_string())]);
    client.app().update(&input).await.unwrap();
    // Fields left out keep their value.
    client
        .app()
        .update(&AppInput::default().id(emu.app_id()))
        .await
        .unwrap();
    let app = client.app().get().await.unwrap();
    assert_eq!(app.default_locale.as_deref(), Some("nl-NL"));
    assert_eq!(app.custom.unwrap()["plan"], "pro");
}
