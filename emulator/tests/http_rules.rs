//! Transport rules: authentication, app id, content type, encoded paths,
//! error bodies, size limits, unknown routes.

mod common;

use common::Api;
use serde_json::json;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An HS256 JWT of `claims` signed with `key`.
fn jwt(claims: serde_json::Value, key: &str) -> String {
    talkjs_emulator::hs256_token(&claims, key)
}

#[tokio::test]
async fn authentication() {
    let api = Api::start().await;
    let app = api.emu.app_id().to_owned();
    let sk = api.emu.secret_key().to_owned();
    let url = format!("{}/users", api.emu.api_url());
    let status = |auth: Option<String>| {
        let mut r = api.http.get(&url);
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        async move {
            let resp = r.send().await.unwrap();
            let s = resp.status().as_u16();
            let body: serde_json::Value = resp.json().await.expect("JSON body");
            if s == 401 {
                assert!(body["message"].is_string());
            }
            s
        }
    };
    assert_eq!(status(Some(format!("Bearer {sk}"))).await, 200);
    let good = jwt(
        json!({"tokenType": "app", "iss": app, "exp": now() + 30}),
        &sk,
    );
    assert_eq!(status(Some(format!("Bearer {good}"))).await, 200);
    assert_eq!(status(None).await, 401);
    assert_eq!(status(Some(sk.clone())).await, 401, "no Bearer prefix");
    assert_eq!(status(Some("Bearer sk_test_wrong".into())).await, 401);
    assert_eq!(
        status(Some(format!(
            "Bearer {}",
            jwt(
                json!({"tokenType": "app", "iss": app, "exp": now() + 30}),
                "other"
            )
        )))
        .await,
        401
    );
    assert_eq!(
        status(Some(format!(
            "Bearer {}",
            jwt(
                json!({"tokenType": "app", "iss": app, "exp": now() - 5}),
                &sk
            )
        )))
        .await,
        401
    );
    assert_eq!(
        status(Some(format!(
            "Bearer {}",
            jwt(
                json!({"tokenType": "user", "iss": app, "sub": "u", "exp": now() + 30}),
                &sk
            )
        )))
        .await,
        401
    );
    assert_eq!(
        status(Some(format!(
            "Bearer {}",
            jwt(
                json!({"tokenType": "app", "iss": "other_app", "exp": now() + 30}),
                &sk
            )
        )))
        .await,
        401
    );
    assert_eq!(
        status(Some(format!(
            "Bearer {}",
            jwt(json!({"tokenType": "app", "iss": app}), &sk)
        )))
        .await,
        401,
        "exp required"
    );
    assert_eq!(status(Some("Bearer not.a.jwt".into())).await, 401);
}

#[tokio::test]
async fn app_id_routes_and_errors() {
    let api = Api::start().await;
    let other = format!("{}/v1/other_app/users", api.emu.base_url());
    let r = api
        .http
        .get(other)
        .bearer_auth(api.emu.secret_key())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (s, b) = api.get("/nothing/here").await;
    assert_eq!(s, 404);
    assert!(b["error"].is_string() && b["message"].is_string());
    assert_eq!(api.delete("/users").await.0, 405);
    let r = api
        .http
        .get(format!("{}/elsewhere", api.emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn content_type_and_json_errors() {
    let api = Api::start().await;
    let url = format!("{}/users/u1", api.emu.api_url());
    let send = |ct: Option<&'static str>, body: &'static str| {
        let mut r = api
            .http
            .put(&url)
            .bearer_auth(api.emu.secret_key())
            .body(body);
        if let Some(ct) = ct {
            r = r.header("content-type", ct);
        }
        async move {
            let resp = r.send().await.unwrap();
            (
                resp.status().as_u16(),
                resp.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    assert_eq!(send(None, r#"{"name":"A"}"#).await.0, 400);
    assert_eq!(send(Some("text/plain"), r#"{"name":"A"}"#).await.0, 400);
    let (s, b) = send(Some("application/json"), r#"{"name":"#).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("Invalid JSON")));
    assert_eq!(
        send(Some("application/json; charset=utf-8"), r#"{"name":"A"}"#)
            .await
            .0,
        200
    );
    assert_eq!(
        send(Some("application/json"), "").await.0,
        400,
        "body required"
    );
    assert_eq!(api.emu.user_count(), 1);
    // Oversized JSON body: 413 and nothing applied.
    let big = format!(
        r#"{{"name":"{}"}}"#,
        "x".repeat(talkjs_emulator::JSON_BODY_LIMIT)
    );
    let r = api
        .http
        .put(format!("{}/users/big", api.emu.api_url()))
        .bearer_auth(api.emu.secret_key())
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await;
    if let Ok(r) = r {
        assert_eq!(r.status(), 413);
    }
    assert_eq!(api.emu.user_count(), 1);
    assert_eq!(api.get("/users/u1").await.0, 200, "still serving");
}

/// Bodiless requests without a content type: accepted on every method by
/// default, as TalkJS's own example code sends a bodiless DELETE without
/// one (the README explains); refused with 400 in strict mode. Uploads are
/// exempt either way.
#[tokio::test]
async fn bodiless_requests_and_strict_content_type() {
    use reqwest::Method;
    for strict in [false, true] {
        let mut config =
            talkjs_emulator::EmulatorConfig::default().batch_interval(std::time::Duration::ZERO);
        // The default is lenient: only strict mode sets anything.
        if strict {
            config = config.strict_content_type(true);
        }
        let api = Api::with(config).await;
        api.users(&["a", "b"]).await;
        api.conversation("c1", &["a", "b"]).await;
        let mid = api.say("c1", "a", "hi").await;
        let bare = |method: Method, path: String| {
            let r = api
                .http
                .request(method, format!("{}{path}", api.emu.api_url()))
                .bearer_auth(api.emu.secret_key());
            async move {
                let resp = r.send().await.unwrap();
                let status = resp.status().as_u16();
                let body: serde_json::Value = resp.json().await.unwrap();
                (status, body)
            }
        };
        let expect = if strict { 400 } else { 200 };
        let state = || (api.emu.messages("c1"), api.emu.conversation("c1"));
        let before = state();
        let refused =
            json!("non-GET requests must have Content-Type: application/json (strict mode)");
        // POST and PATCH routes all need a body: without the header a
        // bodiless call gets the handler's own answer, the same as with it,
        // and no content-type refusal.
        for (method, path) in [
            (Method::POST, "/conversations/c1/messages".to_owned()),
            (Method::PATCH, "/users/a/conversations/c1".to_owned()),
        ] {
            let (s, b) = bare(method.clone(), path.clone()).await;
            if strict {
                assert_eq!((s, &b["message"]), (400, &refused), "{method} {path}: {b}");
            } else {
                let with_header = api.call(method.clone(), &path, None).await;
                assert_eq!((s, &b), (with_header.0, &with_header.1), "{method} {path}");
                assert_eq!(
                    (s, b["error"].as_str()),
                    (400, Some("Invalid JSON")),
                    "{method} {path}: {b}"
                );
            }
            assert_eq!(state(), before, "{method} {path} applied nothing");
        }
        for (method, path) in [
            (
                Method::PUT,
                format!("/conversations/c1/messages/{mid}/reactions/%F0%9F%91%8D/b"),
            ),
            (
                Method::DELETE,
                format!("/conversations/c1/messages/{mid}/reactions/%F0%9F%91%8D/b"),
            ),
            (Method::PUT, "/conversations/c1/participants/b".to_owned()),
            (
                Method::DELETE,
                "/conversations/c1/participants/b".to_owned(),
            ),
            (Method::DELETE, format!("/conversations/c1/messages/{mid}")),
        ] {
            let (s, b) = bare(method.clone(), path.clone()).await;
            assert_eq!(s, expect, "strict={strict}: {method} {path}: {b}");
            // Checked after each call, so a later refused call (e.g. the
            // reaction DELETE) cannot hide an earlier one being applied.
            if strict {
                assert_eq!(b["message"], refused, "{method} {path}");
                assert_eq!(state(), before, "{method} {path} was refused");
            }
        }
        if !strict {
            // Each call was applied: the reaction came and went, b left,
            // the message is gone.
            let (messages, conv) = state();
            assert!(messages.is_empty(), "{messages:?}");
            let conv = conv.expect("c1 kept so far");
            let joined: Vec<&String> = conv["participants"]
                .as_object()
                .expect("participants")
                .keys()
                .collect();
            assert_eq!(joined, ["a"]);
        }
        // GET never needs one.
        assert_eq!(bare(Method::GET, "/users/a".into()).await.0, 200);
        // TalkJS's example: DELETE a conversation, no body, no header.
        let (s, b) = bare(Method::DELETE, "/conversations/c1".to_owned()).await;
        assert_eq!(s, expect, "strict={strict}: DELETE /conversations/c1: {b}");
        if strict {
            // Nothing was applied, and the same calls with the header pass.
            let (messages, conv) = state();
            assert_eq!(messages.len(), 1);
            assert_eq!(
                (messages[0]["id"].as_str(), &messages[0]["reactions"]),
                (Some(mid.as_str()), &json!({}))
            );
            let conv = conv.expect("c1 kept");
            let mut joined: Vec<&str> = conv["participants"]
                .as_object()
                .expect("participants")
                .keys()
                .map(String::as_str)
                .collect();
            joined.sort_unstable();
            assert_eq!(joined, ["a", "b"]);
            // `Api::delete` sends `Content-Type: application/json`.
            assert_eq!(api.delete("/conversations/c1").await.0, 200);
        }
        assert_eq!(api.emu.conversation_count(), 0, "strict={strict}");
        assert_eq!(api.get("/conversations/c1").await.0, 404);
    }
}

/// A request that carries a body needs `application/json` on every
/// method, in the default (lenient) mode too: `text/plain` or no header is
/// 400 and nothing is applied.
#[tokio::test]
async fn body_without_json_content_type_is_refused() {
    use reqwest::Method;
    let api = Api::start().await;
    api.users(&["a", "b"]).await;
    api.conversation("c1", &["a", "b"]).await;
    let mid = api.say("c1", "a", "hi").await;
    let state = || {
        (
            api.emu.messages("c1"),
            api.emu.conversation("c1"),
            api.emu.user_count(),
        )
    };
    let before = state();
    let cases = [
        (Method::PUT, "/users/u9".to_owned(), r#"{"name":"Nine"}"#),
        (
            Method::POST,
            "/conversations/c1/messages".to_owned(),
            r#"[{"type":"UserMessage","sender":"a","text":"x"}]"#,
        ),
        (
            Method::PATCH,
            "/users/b/conversations/c1".to_owned(),
            r#"{"readUntil":"sent"}"#,
        ),
        (
            Method::PUT,
            format!("/conversations/c1/messages/{mid}"),
            r#"{"text":"edited"}"#,
        ),
        (Method::DELETE, "/conversations/c1".to_owned(), "{}"),
    ];
    for (method, path, body) in cases {
        for ct in [None, Some("text/plain")] {
            let mut r = api
                .http
                .request(method.clone(), format!("{}{path}", api.emu.api_url()))
                .bearer_auth(api.emu.secret_key())
                .body(body);
            if let Some(ct) = ct {
                r = r.header("content-type", ct);
            }
            let resp = r.send().await.unwrap();
            let status = resp.status().as_u16();
            let b: serde_json::Value = resp.json().await.unwrap();
            assert_eq!(status, 400, "{method} {path} {ct:?}: {b}");
            assert_eq!(
                b["message"],
                json!("requests with a body must have Content-Type: application/json"),
                "{method} {path} {ct:?}"
            );
            assert_eq!(state(), before, "{method} {path} {ct:?} applied nothing");
        }
    }
}

#[tokio::test]
async fn encoded_path_segments_decode_once() {
    let api = Api::start().await;
    let (s, u) = api.put("/users/a%2Fb", json!({"name": "slash"})).await;
    assert_eq!((s, u["id"].as_str()), (200, Some("a/b")));
    let (s, u) = api.put("/users/%252e", json!({"name": "pct"})).await;
    assert_eq!((s, u["id"].as_str()), (200, Some("%2e")));
    assert_eq!(api.get("/users/a%2Fb").await.1["name"], "slash");
    assert_eq!(
        api.get("/users/a/b").await.0,
        404,
        "a raw slash is two segments"
    );
    assert_eq!(api.get("/users/%2e").await.0, 404);
    assert_eq!(api.get("/users/%252e").await.1["name"], "pct");
    assert_eq!(api.get("/users/%FF").await.0, 400);
}
