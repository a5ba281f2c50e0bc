//! Client configuration: base URLs (the origin or the app's API URL),
//! plain http, the auth mode, the REST version header, configuration
//! errors, and a raw client built from a configuration.

use serde_json::json;
use talkjs::{AuthMode, ClientConfig, ConfigError};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

use crate::common::{config_of, emulator, named};
use crate::fixtures::requests_to;
use crate::wire::{APP, SECRET, header, only, server};

// ---------------------------------------------------------- on the wire

#[tokio::test]
async fn secret_key_auth_sends_the_key_as_bearer() {
    let server = server(json!({"id": "alice"})).await;
    let client = talkjs::ClientConfig::new(APP, SECRET)
        .base_url(server.uri())
        .auth(AuthMode::SecretKey)
        .build()
        .unwrap();
    client.users().get("alice").await.unwrap();
    let r = only(&server).await;
    assert_eq!(r.method.as_str(), "GET");
    assert_eq!(r.url.path(), "/v1/app/users/alice");
    assert_eq!(
        header(&r, "authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
}

#[tokio::test]
async fn the_rest_version_header_is_sent_only_when_configured() {
    // progenitor also sends the spec's `info.version` as `api-version`,
    // which TalkJS does not read; the version TalkJS reads is
    // `TalkJS-REST-Version`.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .mount(&server)
        .await;
    for (version, expected) in [(None, None), (Some("2021-02-09"), Some("2021-02-09"))] {
        let mut config = ClientConfig::new("app", "sk").base_url(server.uri());
        if let Some(v) = version {
            config = config.rest_version(v);
        }
        config.build().unwrap().users().get("u").await.unwrap();
        let requests = server.received_requests().await.unwrap();
        let last = requests.last().unwrap();
        assert_eq!(
            last.headers
                .get("talkjs-rest-version")
                .map(|v| v.to_str().unwrap()),
            expected
        );
    }
}

// ------------------------------------------------- against the emulator

/// The app's API URL (`…/v1/{appId}`: what TalkJS's documents call the
/// base URL, and what `Emulator::api_url` gives) works as the base URL as
/// well as the origin: the client does not append `/v1/{appId}` twice.
#[tokio::test]
async fn the_apps_api_url_works_as_the_base_url() {
    let (emu, _) = emulator().await;
    let bases = [emu.api_url(), format!("{}/", emu.api_url())];
    for base in bases {
        let client = config_of(&emu).base_url(base.clone()).build().unwrap();
        client
            .users()
            .upsert("alice", named("Alice"))
            .await
            .unwrap_or_else(|e| panic!("{base}: {e}"));
    }
    assert_eq!(requests_to(&emu, "PUT", "/users/alice").len(), 2);
}

/// Whatever is wrong with a configuration is one variant, `ConfigError::Invalid`,
/// saying what (and never echoing a password); plain http to a host that is
/// not loopback has its own, `ConfigError::InsecureUrl`.
#[test]
fn every_configuration_error_is_a_config_error() {
    let config = |app: &str, key: &str| ClientConfig::new(app, key).base_url("http://127.0.0.1:9");
    let refused = [
        (config("", "sk_test_x"), "app id must not be empty"),
        (config("app", ""), "the secret key is empty"),
        (
            config("app", "").auth(talkjs::AuthMode::SecretKey),
            "the secret key is empty",
        ),
        (
            config("app", "sk_test_x").rest_version("2\n"),
            "rest_version must be a valid header value",
        ),
        (
            config("app", "sk_test_x").base_url("https://api.talkjs.com?region=eu"),
            "has a query or a fragment",
        ),
        (
            config("app", "sk_test_x").base_url("https://me:hunter2@proxy.example"),
            "carries credentials",
        ),
        // A key in the wrong setting is refused without being echoed.
        (
            config("sk_live_hunter2", "sk_test_x"),
            "are the two swapped",
        ),
        (
            config("app", "sk_test_x").base_url("sk_live_hunter2"),
            "looks like a secret key",
        ),
    ];
    for (config, expected) in refused {
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        match config.build() {
            Err(ConfigError::Invalid(message)) => {
                assert!(message.contains(expected), "{message}");
                assert!(!message.contains("hunter2"), "{message}");
            }
            other => panic!("expected a Config error with {expected:?}, got {other:?}"),
        }
    }
}

/// A raw client built by hand over the program's own `reqwest::Client`,
/// from the configuration's API URL and transport, is authenticated like
/// the SDK's own (the emulator answers 401 without a valid token).
#[tokio::test]
async fn a_raw_client_over_your_own_reqwest_client() {
    let (emu, client) = emulator().await;
    client
        .users()
        .upsert("alice", named("Alice"))
        .await
        .unwrap();
    let config = config_of(&emu);
    let (api_url, transport) = (config.api_url().unwrap(), config.transport().unwrap());
    let raw = talkjs::raw::Client::new_with_client(&api_url, reqwest::Client::new(), transport);
    let user = raw.get_user().user_id("alice").send().await.unwrap();
    assert_eq!(user.name.as_deref(), Some("Alice"));
}

#[tokio::test]
async fn plain_http_is_refused_unless_loopback_or_opted_in() {
    let refused = ClientConfig::new("app", "sk_test_x")
        .base_url("http://api.talkjs.com")
        .build();
    assert!(
        matches!(refused, Err(ConfigError::InsecureUrl(ref m)) if m.contains("clear text")),
        "{refused:?}"
    );
    for ok in [
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:9",
        "https://api.talkjs.com",
    ] {
        ClientConfig::new("app", "sk_test_x")
            .base_url(ok)
            .build()
            .unwrap();
    }
    ClientConfig::new("app", "sk_test_x")
        .base_url("http://10.1.2.3")
        .allow_insecure_http(true)
        .build()
        .unwrap();
    assert!(
        ClientConfig::new("app", "sk")
            .base_url("ftp://x")
            .build()
            .is_err()
    );
    assert!(ClientConfig::new("..", "sk").build().is_err());
}
