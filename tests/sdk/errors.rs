//! Whatever a server answers, the client returns a typed value or a typed
//! error that keeps the status, and never panics. Bodies are read with a
//! cap. Also: redirects, protocol errors, and chunked calls that fail
//! part-way (`Error::Partial`).

use std::time::Duration;

use talkjs::raw::types::{SendMessageInput, UserInput};
use talkjs::{ClientConfig, Error, RetryPolicy};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

use crate::common;
use crate::common::{emulator, named, text};
use crate::fixtures::{assert_partial_400, chat};
use crate::wire::answering;

// ------------------------------------------------------ hostile servers

#[tokio::test]
async fn unknown_fields_and_values_and_nulls_decode() {
    let body = serde_json::json!({
        "id": "u1", "name": null, "email": null, "custom": null,
        "pushTokens": null, "somethingNew": {"deep": [1, 2]}, "createdAt": 1
    });
    let (_server, client) = answering(ResponseTemplate::new(200).set_body_json(body)).await;
    let user = client.users().get("u1").await.unwrap();
    assert_eq!(user.id.as_deref(), Some("u1"));
    assert_eq!(user.name, None);
}

#[tokio::test]
async fn an_empty_object_decodes_where_everything_is_optional() {
    let (_server, client) =
        answering(ResponseTemplate::new(200).set_body_json(serde_json::json!({}))).await;
    let user = client.users().get("u1").await.unwrap();
    assert_eq!(user.id, None);
    let page = client.users().list().limit(10).send().await.unwrap();
    assert!(page.items.is_empty() && page.next_cursor().is_none());
}

#[tokio::test]
async fn an_empty_success_body_is_a_decode_error_with_its_status() {
    let (_server, client) = answering(ResponseTemplate::new(200)).await;
    let error = client.users().get("u1").await.unwrap_err();
    assert!(
        matches!(error, Error::Decode { status: 200, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_204_keeps_its_status() {
    let (_server, client) = answering(ResponseTemplate::new(204)).await;
    let error = client.users().get("u1").await.unwrap_err();
    assert!(
        matches!(error, Error::Decode { status: 204, .. }),
        "{error:?}"
    );
    // Operations that return nothing are fine with it only if the spec says
    // 200; a 204 is reported, not silently accepted.
    let error = client.conversations().delete("c1").await.unwrap_err();
    assert_eq!(error.status(), Some(204), "{error:?}");
}

#[tokio::test]
async fn non_json_error_bodies_keep_status_and_text() {
    for (status, body) in [
        (400, "Invalid JSON"),
        (401, "Unauthorized"),
        (404, "<html>nope</html>"),
        (500, ""),
        (418, "\u{1F375}"),
    ] {
        let (_server, client) =
            answering(ResponseTemplate::new(status).set_body_string(body)).await;
        let error = client.users().get("u1").await.unwrap_err();
        assert_eq!(error.status(), Some(status), "{error:?}");
        assert_eq!(error.body().unwrap().text, body, "{error:?}");
    }
}

#[tokio::test]
async fn json_error_bodies_are_kept_whole() {
    let body = serde_json::json!({"errorCode": "X", "reasons": ["a", "b"]});
    let (_server, client) = answering(ResponseTemplate::new(400).set_body_json(&body)).await;
    let error = client.users().get("u1").await.unwrap_err();
    let kept = error.body().unwrap().json.clone().unwrap();
    assert_eq!(kept["reasons"], body["reasons"], "{error:?}");
}

#[tokio::test]
async fn an_oversized_body_is_cut_at_the_cap() {
    let big = serde_json::json!({"id": "u1", "name": "x".repeat(200 * 1024)});
    let (_server, client) = answering(ResponseTemplate::new(200).set_body_json(big)).await;
    let error = client.users().get("u1").await.unwrap_err();
    assert!(
        matches!(&error, Error::Decode { message, .. } if message.contains("cap")),
        "{error:?}"
    );
}

/// A server that writes `response` raw and closes the connection.
async fn raw_server(response: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = vec![0u8; 8192];
            let _ = socket.read(&mut buf).await;
            let _ = socket.write_all(response).await;
            let _ = socket.shutdown().await;
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_truncated_body_is_a_typed_error() {
    let url = raw_server(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"id\":\"u",
    )
    .await;
    let client = ClientConfig::new("app", "sk")
        .base_url(url)
        .retry(RetryPolicy::none())
        .attempt_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let error = client.users().get("u1").await.unwrap_err();
    // The status line arrived: the error keeps it.
    assert!(
        matches!(&error, Error::Decode { status: 200, message, .. } if message.contains("end")),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_error_object_of_another_shape_keeps_its_status_and_body() {
    // Objects whose fields the spec types differently must not turn into a
    // decode error that hides the 401 or the 404.
    for (status, body) in [
        (401, r#"{"error":{"code":"BAD_TOKEN"}}"#),
        (404, r#"{"message":["no","such","user"]}"#),
        (400, r#"{"error":42}"#),
    ] {
        let (_server, client) = answering(
            ResponseTemplate::new(status).set_body_raw(body.as_bytes(), "application/json"),
        )
        .await;
        let error = client.users().get("u1").await.unwrap_err();
        match (&error, status) {
            (Error::Unauthorized { body: b }, 401)
            | (Error::NotFound { body: b }, 404)
            | (Error::Api { body: b }, 400) => {
                assert_eq!(b.status, status);
                assert_eq!(b.text, body, "the body exactly as sent");
            }
            _ => panic!("{status}: {error:?}"),
        }
    }
}

#[tokio::test]
async fn an_oversized_chunked_body_is_cut_at_the_cap() {
    // No Content-Length: the cap is enforced while streaming.
    let url = raw_server(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n\
          10\r\n{\"id\":\"u1\",\"x\":\"\r\n\
          10\r\naaaaaaaaaaaaaaaa\r\n10\r\naaaaaaaaaaaaaaaa\r\n10\r\naaaaaaaaaaaaaaaa\r\n\
          2\r\n\"}\r\n0\r\n\r\n",
    )
    .await;
    let client = ClientConfig::new("app", "sk")
        .base_url(url)
        .retry(RetryPolicy::none())
        .max_response_bytes(40)
        .build()
        .unwrap();
    let error = client.users().get("u1").await.unwrap_err();
    assert!(
        matches!(&error, Error::Decode { message, .. } if message.contains("cap")),
        "{error:?}"
    );
}

#[tokio::test]
async fn garbage_instead_of_http_is_a_transport_error() {
    let url = raw_server(b"SSH-2.0-OpenSSH\r\n").await;
    let client = ClientConfig::new("app", "sk")
        .base_url(url)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let error = client.users().get("u1").await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
}

#[tokio::test]
async fn fewer_ids_than_messages_is_a_protocol_error() {
    let (_server, client) =
        answering(ResponseTemplate::new(200).set_body_json(serde_json::json!([{"id": "msg_1"}])))
            .await;
    let messages = (0..2).map(|i| common::system(&format!("m{i}"))).collect();
    let error = client.messages("c").send(messages).await.unwrap_err();
    assert!(matches!(error, Error::Protocol(_)), "{error:?}");
}

#[tokio::test]
async fn a_large_error_body_keeps_its_status_and_kind() {
    let huge = "x".repeat(200 * 1024);
    let (_server, client) = answering(ResponseTemplate::new(404).set_body_string(huge)).await;
    let error = client.users().get("u1").await.unwrap_err();
    match error {
        Error::NotFound { body } => assert_eq!(body.text.len(), 64 * 1024, "read up to the cap"),
        other => panic!("{other:?}"),
    }
}

/// A server answering every request with `status` and this `Location`, and
/// a client of it with the default retry policy (a retry would show as a
/// second request).
async fn redirecting(status: u16, location: &str) -> (MockServer, talkjs::Client) {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(status).insert_header("Location", location))
        .mount(&server)
        .await;
    let client = ClientConfig::new("app", "sk_test_hostile")
        .base_url(server.uri())
        .build()
        .unwrap();
    (server, client)
}

/// TalkJS never redirects: a 3xx is `Error::Redirect`, naming the status
/// and the location, after exactly one request; the other origin gets
/// nothing (no replayed body, no credentials), and nothing is retried.
#[tokio::test]
async fn redirects_are_not_followed_nor_retried() {
    for status in [301, 302, 303, 307, 308] {
        let elsewhere = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
            .mount(&elsewhere)
            .await;
        let location = format!("{}/v1/app/somewhere", elsewhere.uri());
        let (server, client) = redirecting(status, &location).await;
        let errors = [
            client.users().get("u1").await.unwrap_err(),
            client
                .messages("chat")
                .import(vec![common::import("alice", "hi", 1)])
                .await
                .unwrap_err(),
            client
                .messages("chat")
                .send(vec![common::text("alice", "hi")])
                .await
                .unwrap_err(),
        ];
        for error in &errors {
            match error {
                Error::Redirect {
                    location: Some(at),
                    body,
                } => {
                    assert_eq!((body.status, at.as_str()), (status, location.as_str()));
                }
                other => panic!("{status}: expected Error::Redirect, got {other:?}"),
            }
            assert_eq!(error.status(), Some(status));
            let message = error.to_string();
            assert!(
                message.contains(&status.to_string()) && message.contains(&location),
                "{message}"
            );
        }
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            errors.len(),
            "{status}"
        );
        assert!(
            elsewhere.received_requests().await.unwrap().is_empty(),
            "{status}"
        );
    }
}

#[tokio::test]
async fn a_raw_clients_error_names_the_url_it_was_answered_at() {
    let (server, client) = redirecting(302, "https://elsewhere.example/x").await;
    let error = client
        .raw()
        .get_user()
        .user_id("u1")
        .send()
        .await
        .unwrap_err();
    let shown = format!("{error:?}");
    assert!(
        shown.contains(&server.uri()) && !shown.contains("no.url.provided"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_redirects_location_is_shown_redacted() {
    let (_server, client) =
        redirecting(302, "https://user:PASSWORD@evil.example/x?token=T0KEN").await;
    let error = client.users().get("u1").await.unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(
        shown.contains("https://[redacted]@evil.example/x?token=[redacted]"),
        "{shown}"
    );
    assert!(
        !shown.contains("PASSWORD") && !shown.contains("T0KEN"),
        "{shown}"
    );
}

// ------------------------------------------------- against the emulator

#[tokio::test]
async fn a_chunk_refused_by_the_server_is_a_partial_failure() {
    let (emu, client) = emulator().await;
    chat(&client).await;
    // "mallory" is not a participant: the server refuses the third chunk.
    let mut messages: Vec<SendMessageInput> =
        (0..25).map(|i| text("alice", &format!("m{i}"))).collect();
    messages[22] = text("mallory", "not a participant");
    let err = client.messages("chat").send(messages).await.unwrap_err();
    assert_partial_400(&err, (2, 20), &emu.messages("chat"));
    assert_eq!(err.status(), Some(400));

    // Users: the third request holds a user without a name.
    let mut batch: Vec<(String, UserInput)> =
        (0..250).map(|i| (format!("p{i:03}"), named("P"))).collect();
    batch[230].1 = UserInput::default();
    let err = client.users().upsert_many(batch).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Partial {
                failed_chunk: 2,
                applied: 200,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(emu.user_count(), 2 + 200);
}
