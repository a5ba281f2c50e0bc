//! Whatever a server answers, the client returns a typed value or a typed
//! error that keeps the status, and never panics. Bodies are read with a cap.

mod common;

use std::time::Duration;

use talkjs::{ClientConfig, Error, RetryPolicy};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

async fn answering(template: ResponseTemplate) -> (MockServer, talkjs::Client) {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(template)
        .mount(&server)
        .await;
    let client = ClientConfig::new("app", "sk_test_hostile")
        .base_url(server.uri())
        .retry(RetryPolicy::none())
        .max_response_bytes(64 * 1024)
        .build()
        .unwrap();
    (server, client)
}

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
    let page = client.users().page(10, None).await.unwrap();
    assert!(page.is_empty());
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

/// A server that writes `prefix` and then holds the connection open without
/// another byte, until the client gives up.
async fn stalling_server(prefix: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(prefix).await;
                // Returns when the client closes the connection.
                while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
            });
        }
    });
    format!("http://{addr}")
}

fn impatient(url: String) -> talkjs::Client {
    ClientConfig::new("app", "sk_test_hostile")
        .base_url(url)
        .retry(RetryPolicy::none())
        .attempt_timeout(Duration::from_millis(300))
        .build()
        .unwrap()
}

/// A `get user` from a server that answers `prefix` and then stalls ends
/// in the [`impatient`] client's attempt timeout.
async fn assert_stall_is_the_attempt_timeout(prefix: &'static [u8]) {
    let url = stalling_server(prefix).await;
    let error = impatient(url).users().get("u1").await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                which: talkjs::TimeoutKind::Attempt,
                after,
            } if after == Duration::from_millis(300)
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_body_that_stalls_reports_the_attempt_timeout() {
    assert_stall_is_the_attempt_timeout(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"id\":\"u",
    )
    .await;
}

/// Without a Content-Length the body goes through the size-cap counter; a
/// stall there is the same attempt timeout.
#[tokio::test]
async fn a_chunked_body_that_stalls_reports_the_attempt_timeout() {
    assert_stall_is_the_attempt_timeout(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n8\r\n{\"id\":\"u\r\n",
    )
    .await;
}

#[tokio::test]
async fn an_import_that_times_out_says_its_outcome_is_unknown_and_which_timeout_fired() {
    let url = stalling_server(b"").await;
    let message = common::import("u1", "hello", 1_600_000_000_000);
    let error = impatient(url)
        .messages("c1")
        .import(vec![message])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::OutcomeUnknown { reason, .. } if reason.contains("attempt timeout (300 ms)")),
        "{error:?}"
    );
}

/// A 200 whose body stalls: a write was applied (the status says so), so
/// a batch holding an import is an unknown outcome, not a plain timeout; a
/// read stays a timeout (above). (An import itself reads no body: its 200
/// is its whole answer.)
#[tokio::test]
async fn a_write_whose_200_body_stalls_says_it_was_applied_and_its_result_is_unknown() {
    let url = stalling_server(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n[[0,",
    )
    .await;
    let op = talkjs::BatchOp::import_messages(
        "c1",
        vec![common::import("u1", "hello", 1_600_000_000_000)],
    )
    .unwrap();
    let error = impatient(url).batch(vec![op]).await.unwrap_err();
    assert!(
        matches!(&error, Error::OutcomeUnknown { operation: "batch_requests", reason }
            if reason.contains("200 OK") && reason.contains("applied") && reason.contains("attempt timeout (300 ms)")),
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
async fn a_server_that_repeats_a_cursor_ends_the_stream_with_an_error() {
    use futures::StreamExt;
    // Every page is the same full page: a naive loop would never end.
    let page: Vec<_> = (0..2)
        .map(|i| serde_json::json!({"id": format!("u{i}")}))
        .collect();
    let template = ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": page}));
    let (server, client) = answering(template).await;
    let items: Vec<_> = client.users().stream(2).collect().await;
    // The first page, then the error: the repeated page's items are not
    // handed out a second time.
    assert_eq!(items.len(), 3, "{items:?}");
    assert!(items[..2].iter().all(Result::is_ok));
    assert!(
        matches!(&items[2], Err(Error::Protocol(m)) if m.contains("u1")),
        "{:?}",
        items[2]
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_short_page_ends_the_stream() {
    use futures::TryStreamExt;
    let (server, client) = answering(
        ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": [{"id": "only"}]})),
    )
    .await;
    let items: Vec<_> = client.users().stream(10).try_collect().await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
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
async fn batch_results_with_extra_items_decode_and_duplicates_are_refused() {
    let (_server, client) = answering(
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!([[1, 404, {}, "extra"], [0, 200, {"id": "a"}]])),
    )
    .await;
    let ops = vec![
        talkjs::BatchOp::get_user("a").unwrap(),
        talkjs::BatchOp::get_user("b").unwrap(),
    ];
    let outcomes = client.batch(ops.clone()).await.unwrap();
    assert_eq!((outcomes[0].status, outcomes[1].status), (200, 404));

    let (_server, client) = answering(
        ResponseTemplate::new(200).set_body_json(serde_json::json!([[0, 200, {}], [0, 200, {}]])),
    )
    .await;
    let error = client.batch(ops).await.unwrap_err();
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
