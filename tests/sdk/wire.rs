//! Helpers of the wire-exact tests (no tests here): a loopback wiremock
//! server, a client of it, and assertions on the exact requests it
//! received: method, path, query, content type, authorization and JSON
//! body.

use std::collections::HashSet;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use talkjs::{ClientConfig, RetryPolicy};
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers::any};

pub const APP: &str = "app";

pub const SECRET: &str = "sk_test_wire_0123456789";

/// A server answering every request with 200 and `body`.
pub async fn server(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

pub fn client(server: &MockServer) -> talkjs::Client {
    talkjs::ClientConfig::new(APP, SECRET)
        .base_url(server.uri())
        .build()
        .unwrap()
}

pub async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

/// The requests the server received, in order, asserting there are `n`.
pub async fn exactly(server: &MockServer, n: usize) -> Vec<Request> {
    let all = requests(server).await;
    assert_eq!(all.len(), n, "{all:#?}");
    all
}

/// The one request the server received.
pub async fn only(server: &MockServer) -> Request {
    exactly(server, 1).await.remove(0)
}

pub fn header<'a>(r: &'a Request, name: &str) -> Option<&'a str> {
    r.headers.get(name).map(|v| v.to_str().unwrap())
}

/// The query as sorted (name, value) pairs.
pub fn query(r: &Request) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = r.url.query_pairs().into_owned().collect();
    q.sort();
    q
}

pub fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    q.sort();
    q
}

/// The bearer token is a fresh HS256 app token for `APP`, signed with the
/// secret key.
#[track_caller]
pub fn assert_app_token(r: &Request) {
    let auth = header(r, "authorization").expect("an Authorization header");
    let jwt = auth.strip_prefix("Bearer ").expect("a bearer token");
    assert_eq!(jwt.split('.').count(), 3, "{jwt}");
    assert!(jwt.split('.').all(|p| !p.is_empty()), "{jwt}");
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[APP]);
    v.set_required_spec_claims(&["exp", "iss"]);
    let claims =
        jsonwebtoken::decode::<Value>(jwt, &DecodingKey::from_secret(SECRET.as_bytes()), &v)
            .expect("a valid app token")
            .claims;
    assert_eq!(claims["tokenType"], "app", "{claims}");
}

/// Method, raw path, query, app token, `Accept`, `User-Agent`, and a JSON
/// body (or none; a bodiless non-GET call still says it is JSON, as TalkJS
/// takes only JSON requests besides GET).
#[track_caller]
pub fn assert_request(
    r: &Request,
    method: &str,
    path: &str,
    q: &[(&str, &str)],
    body: Option<Value>,
) {
    assert_eq!(r.method.as_str(), method, "{r:?}");
    assert_eq!(r.url.path(), path, "{}", r.url);
    assert_eq!(query(r), pairs(q), "{}", r.url);
    assert_app_token(r);
    assert_eq!(header(r, "accept"), Some("application/json"), "{r:?}");
    assert_eq!(
        header(r, "user-agent"),
        Some(concat!("talkjs-rust/", env!("CARGO_PKG_VERSION"))),
        "{r:?}"
    );
    match body {
        Some(expected) => {
            assert_eq!(header(r, "content-type"), Some("application/json"), "{r:?}");
            let got: Value = serde_json::from_slice(&r.body)
                .unwrap_or_else(|e| panic!("the body of {method} {} is not JSON: {e}", r.url));
            assert_eq!(got, expected, "the JSON body of {method} {}", r.url);
        }
        None => {
            assert!(
                r.body.is_empty(),
                "unexpected body of {method} {}: {:?}",
                r.url,
                String::from_utf8_lossy(&r.body)
            );
            let expected = (method != "GET").then_some("application/json");
            assert_eq!(header(r, "content-type"), expected, "{r:?}");
        }
    }
}

/// Removes every message's `idempotencyKey` and returns the keys.
pub fn take_keys(messages: &mut Value) -> Vec<String> {
    messages
        .as_array_mut()
        .expect("an array of messages")
        .iter_mut()
        .map(|m| {
            m.as_object_mut()
                .unwrap()
                .remove("idempotencyKey")
                .and_then(|k| k.as_str().map(str::to_owned))
                .expect("an idempotencyKey")
        })
        .collect()
}

/// `messages` with `keys` put back, in order, as their `idempotencyKey`s:
/// the whole body [`take_keys`] took them from.
#[track_caller]
pub fn with_keys(mut messages: Value, keys: &[String]) -> Value {
    let list = messages.as_array_mut().expect("an array of messages");
    assert_eq!(list.len(), keys.len(), "one key per message");
    for (message, key) in list.iter_mut().zip(keys) {
        message["idempotencyKey"] = json!(key);
    }
    messages
}

#[track_caller]
pub fn assert_distinct_keys(keys: &[String]) {
    assert!(keys.iter().all(|k| !k.is_empty()), "{keys:?}");
    assert_eq!(
        keys.iter().collect::<HashSet<_>>().len(),
        keys.len(),
        "{keys:?}"
    );
}

/// Asserts that `requests` are the chunks, of `sizes` messages each, of one
/// send of `text(sender, "0")`, `text(sender, "1")`, ... to `path`: each a
/// whole request (method, headers, JSON body) carrying exactly the next
/// messages in order, each with its own idempotency key. Returns the keys.
#[track_caller]
pub fn assert_chunked_sends(
    requests: &[Request],
    path: &str,
    sender: &str,
    sizes: &[usize],
) -> Vec<String> {
    assert_eq!(requests.len(), sizes.len(), "{requests:#?}");
    let mut keys = Vec::new();
    let mut next = 0;
    for (req, &n) in requests.iter().zip(sizes) {
        let mut body: Value = serde_json::from_slice(&req.body).unwrap();
        let chunk_keys = take_keys(&mut body);
        let expected: Vec<Value> = (next..next + n)
            .map(|i| json!({"type": "UserMessage", "sender": sender, "text": i.to_string()}))
            .collect();
        let expected = json!(expected);
        assert_eq!(body, expected, "the chunk from message {next}");
        // The whole request, with the keys it carried back in place.
        let keyed = with_keys(expected, &chunk_keys);
        assert_request(req, "POST", path, &[], Some(keyed));
        keys.extend(chunk_keys);
        next += n;
    }
    assert_distinct_keys(&keys);
    keys
}

/// An answer to a message send: one id (`m0`, `m1`, ...) per message sent,
/// as TalkJS answers.
pub fn one_id_per_message(request: &Request) -> ResponseTemplate {
    let sent: Value = serde_json::from_slice(&request.body).unwrap();
    let ids: Vec<Value> = (0..sent.as_array().unwrap().len())
        .map(|i| json!({"id": format!("m{i}")}))
        .collect();
    ResponseTemplate::new(200).set_body_json(ids)
}

/// A server answering each batch with `[seq, 200, {}]` per operation.
pub async fn batch_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(|r: &Request| {
            let ops: Vec<Value> = serde_json::from_slice(&r.body).unwrap();
            let results: Vec<Value> = ops.iter().map(|op| json!([op[0], 200, {}])).collect();
            ResponseTemplate::new(200).set_body_json(results)
        })
        .mount(&server)
        .await;
    server
}

pub async fn answering(template: ResponseTemplate) -> (MockServer, talkjs::Client) {
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
