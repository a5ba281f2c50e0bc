//! Wire-exact requests of the hand-written layer: method, path, query,
//! content type, authorization and JSON body, recorded by a loopback
//! wiremock server.

mod common;

use std::collections::HashSet;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use talkjs::raw::types::{
    ConversationInput, EditMessageBody, NullableString, PresenceInput, SendMessageInput, UserInput,
};
use talkjs::{
    Access, AuthMode, BatchOp, ConversationFilter, ConversationOrder, Notify, OrderDirection,
    ReadUntil,
};
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers::any};

use common::{assert_validation, import, named, online, system, text};

const APP: &str = "app";
const SECRET: &str = "sk_test_wire_0123456789";

/// A server answering every request with 200 and `body`.
async fn server(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> talkjs::Client {
    talkjs::ClientConfig::new(APP, SECRET)
        .base_url(server.uri())
        .build()
        .unwrap()
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

/// The requests the server received, in order, asserting there are `n`.
async fn exactly(server: &MockServer, n: usize) -> Vec<Request> {
    let all = requests(server).await;
    assert_eq!(all.len(), n, "{all:#?}");
    all
}

/// The one request the server received.
async fn only(server: &MockServer) -> Request {
    exactly(server, 1).await.remove(0)
}

fn header<'a>(r: &'a Request, name: &str) -> Option<&'a str> {
    r.headers.get(name).map(|v| v.to_str().unwrap())
}

/// The query as sorted (name, value) pairs.
fn query(r: &Request) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = r.url.query_pairs().into_owned().collect();
    q.sort();
    q
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
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
fn assert_app_token(r: &Request) {
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
fn assert_request(r: &Request, method: &str, path: &str, q: &[(&str, &str)], body: Option<Value>) {
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
fn take_keys(messages: &mut Value) -> Vec<String> {
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
fn with_keys(mut messages: Value, keys: &[String]) -> Value {
    let list = messages.as_array_mut().expect("an array of messages");
    assert_eq!(list.len(), keys.len(), "one key per message");
    for (message, key) in list.iter_mut().zip(keys) {
        message["idempotencyKey"] = json!(key);
    }
    messages
}

#[track_caller]
fn assert_distinct_keys(keys: &[String]) {
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
fn assert_chunked_sends(
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

// ---------------------------------------------------------------- users

#[tokio::test]
async fn upsert_user() {
    let server = server(json!({"id": "alice", "name": "Alice"})).await;
    let user = UserInput {
        name: Some(NullableString(Some("Alice".into()))),
        photo_url: Some(NullableString(None)),
        ..Default::default()
    };
    client(&server).users().upsert("alice", user).await.unwrap();
    let r = only(&server).await;
    assert_request(
        &r,
        "PUT",
        "/v1/app/users/alice",
        &[],
        Some(json!({"name": "Alice", "photoUrl": null})),
    );
}

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
async fn batch_users() {
    let server = server(json!({})).await;
    let users = vec![
        ("alice".to_string(), named("Alice")),
        ("bob".to_string(), named("Bob")),
    ];
    client(&server).users().upsert_many(users).await.unwrap();
    let r = only(&server).await;
    assert_request(
        &r,
        "PUT",
        "/v1/app/users",
        &[],
        Some(json!({"alice": {"name": "Alice"}, "bob": {"name": "Bob"}})),
    );
}

#[tokio::test]
async fn get_and_list_users() {
    let server = server(json!({"id": "alice", "data": [{"id": "bob"}]})).await;
    let client = client(&server);
    client.users().get("alice").await.unwrap();
    let page = client.users().page(25, Some("alice")).await.unwrap();
    assert_eq!(page[0].id.as_deref(), Some("bob"));
    client.users().page(100, None).await.unwrap();
    let r = exactly(&server, 3).await;
    assert_request(&r[0], "GET", "/v1/app/users/alice", &[], None);
    assert_request(
        &r[1],
        "GET",
        "/v1/app/users",
        &[("limit", "25"), ("startingAfter", "alice")],
        None,
    );
    assert_request(&r[2], "GET", "/v1/app/users", &[("limit", "100")], None);
}

#[tokio::test]
async fn user_conversations_with_every_filter() {
    let server = server(json!({"data": []})).await;
    let filter = ConversationFilter::default()
        .before(1_700_000_000_000i64)
        .after(chrono::DateTime::from_timestamp_millis(1_600_000_000_123).unwrap())
        .unreads_only();
    client(&server)
        .users()
        .conversations_page("alice", &filter, 5, Some("c1"))
        .await
        .unwrap();
    let r = only(&server).await;
    assert_request(
        &r,
        "GET",
        "/v1/app/users/alice/conversations",
        &[
            ("lastMessageBefore", "1700000000000"),
            ("lastMessageAfter", "1600000000123"),
            ("limit", "5"),
            ("startingAfter", "c1"),
            ("unreadsOnly", "true"),
        ],
        None,
    );
}

#[tokio::test]
async fn presence_get_and_set() {
    let server = server(json!({"availability": "online", "visible": true})).await;
    let client = client(&server);
    client.users().presence("alice").await.unwrap();
    client
        .users()
        .set_presence("alice", online())
        .await
        .unwrap();
    let r = exactly(&server, 2).await;
    assert_request(&r[0], "GET", "/v1/app/users/alice/presence", &[], None);
    assert_request(
        &r[1],
        "PUT",
        "/v1/app/users/alice/presence",
        &[],
        Some(json!({"availability": "online", "visible": true})),
    );
}

// -------------------------------------------------------- conversations

#[tokio::test]
async fn conversation_upsert_get_list_delete() {
    let server = server(json!({"id": "c1", "data": []})).await;
    let client = client(&server);
    let input = ConversationInput {
        subject: Some(NullableString(Some("Order #42".into()))),
        photo_url: Some(NullableString(None)),
        participants: vec!["alice".into(), "bob".into()],
        ..Default::default()
    };
    client.conversations().upsert("c1", input).await.unwrap();
    client.conversations().get("c1").await.unwrap();
    let filter = ConversationFilter::default()
        .before(2_000i64)
        .after(1_000i64);
    client
        .conversations()
        .page(&filter, 50, Some("c0"))
        .await
        .unwrap();
    client.conversations().delete("c1").await.unwrap();
    let r = exactly(&server, 4).await;
    assert_request(
        &r[0],
        "PUT",
        "/v1/app/conversations/c1",
        &[],
        Some(json!({"subject": "Order #42", "photoUrl": null, "participants": ["alice", "bob"]})),
    );
    assert_request(&r[1], "GET", "/v1/app/conversations/c1", &[], None);
    assert_request(
        &r[2],
        "GET",
        "/v1/app/conversations",
        &[
            ("lastMessageBefore", "2000"),
            ("lastMessageAfter", "1000"),
            ("limit", "50"),
            ("startingAfter", "c0"),
        ],
        None,
    );
    assert_request(&r[3], "DELETE", "/v1/app/conversations/c1", &[], None);
}

#[tokio::test]
async fn join_and_leave() {
    let server = server(json!({})).await;
    let client = client(&server);
    let c = client.conversations();
    c.join("c1", "bob", Access::Read, Notify::MentionsOnly)
        .await
        .unwrap();
    c.join("c1", "bob", Access::ReadWrite, Notify::Off)
        .await
        .unwrap();
    c.join("c1", "bob", Access::ReadWrite, Notify::All)
        .await
        .unwrap();
    c.leave("c1", "bob").await.unwrap();
    let r = exactly(&server, 4).await;
    let path = "/v1/app/conversations/c1/participants/bob";
    assert_request(
        &r[0],
        "PUT",
        path,
        &[],
        Some(json!({"access": "Read", "notify": "MentionsOnly"})),
    );
    assert_request(
        &r[1],
        "PUT",
        path,
        &[],
        Some(json!({"access": "ReadWrite", "notify": false})),
    );
    assert_request(
        &r[2],
        "PUT",
        path,
        &[],
        Some(json!({"access": "ReadWrite", "notify": true})),
    );
    assert_request(&r[3], "DELETE", path, &[], None);
}

#[tokio::test]
async fn mark_read_sent_and_at() {
    let server = server(json!({})).await;
    let client = client(&server);
    let c = client.conversations();
    c.mark_read("c1", "bob", ReadUntil::Sent).await.unwrap();
    c.mark_read("c1", "bob", ReadUntil::At(1_700_000_000_000i64.into()))
        .await
        .unwrap();
    let at = chrono::DateTime::from_timestamp_millis(1_650_000_000_001).unwrap();
    c.mark_read("c1", "bob", ReadUntil::At(at.into()))
        .await
        .unwrap();
    let r = exactly(&server, 3).await;
    let path = "/v1/app/users/bob/conversations/c1";
    assert_request(
        &r[0],
        "PATCH",
        path,
        &[],
        Some(json!({"readUntil": "sent"})),
    );
    assert_request(
        &r[1],
        "PATCH",
        path,
        &[],
        Some(json!({"readUntil": 1_700_000_000_000i64})),
    );
    assert_request(
        &r[2],
        "PATCH",
        path,
        &[],
        Some(json!({"readUntil": 1_650_000_000_001i64})),
    );
}

// ------------------------------------------------------------- messages

#[tokio::test]
async fn send_messages() {
    let server = server(json!([{"id": "m1"}, {"id": "m2"}, {"id": "m3"}])).await;
    let client = client(&server);
    let keyed = SendMessageInput {
        idempotency_key: Some("my-key".to_string()),
        ..text("bob", "mine")
    };
    let ids = client
        .messages("c1")
        .send(vec![text("alice", "hi"), system("Order shipped"), keyed])
        .await
        .unwrap();
    assert_eq!(ids, ["m1", "m2", "m3"]);
    let r = only(&server).await;
    let mut body: Value = serde_json::from_slice(&r.body).unwrap();
    let keys = take_keys(&mut body);
    assert_distinct_keys(&keys);
    assert_eq!(keys[2], "my-key", "a given key is kept");
    let expected = json!([
        {"type": "UserMessage", "sender": "alice", "text": "hi"},
        {"type": "SystemMessage", "text": "Order shipped"},
        {"type": "UserMessage", "sender": "bob", "text": "mine"},
    ]);
    assert_eq!(body, expected);
    assert_request(
        &r,
        "POST",
        "/v1/app/conversations/c1/messages",
        &[],
        Some(with_keys(expected, &keys)),
    );
}

/// An answer to a message send: one id (`m0`, `m1`, ...) per message sent,
/// as TalkJS answers.
fn one_id_per_message(request: &Request) -> ResponseTemplate {
    let sent: Value = serde_json::from_slice(&request.body).unwrap();
    let ids: Vec<Value> = (0..sent.as_array().unwrap().len())
        .map(|i| json!({"id": format!("m{i}")}))
        .collect();
    ResponseTemplate::new(200).set_body_json(ids)
}

#[tokio::test]
async fn send_many_messages_in_chunks_with_distinct_keys() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(one_id_per_message)
        .mount(&server)
        .await;
    let messages = (0..11).map(|i| text("alice", &i.to_string())).collect();
    client(&server).messages("c1").send(messages).await.unwrap();
    let r = requests(&server).await;
    let path = "/v1/app/conversations/c1/messages";
    assert_chunked_sends(&r, path, "alice", &[10, 1]);
}

#[tokio::test]
async fn list_get_edit_delete_messages() {
    let server = server(json!({"id": "m1", "data": []})).await;
    let client = client(&server);
    let m = client.messages("c1");
    m.page(20, Some("m5")).await.unwrap();
    m.get("m1").await.unwrap();
    m.edit(
        "m1",
        EditMessageBody::builder()
            .text("new".to_string())
            .custom(talkjs::raw::types::Custom(Some(
                [("k".to_string(), "v".to_string())].into(),
            )))
            .try_into()
            .unwrap(),
    )
    .await
    .unwrap();
    m.delete("m1").await.unwrap();
    let r = exactly(&server, 4).await;
    assert_request(
        &r[0],
        "GET",
        "/v1/app/conversations/c1/messages",
        &[("limit", "20"), ("startingAfter", "m5")],
        None,
    );
    let path = "/v1/app/conversations/c1/messages/m1";
    assert_request(&r[1], "GET", path, &[], None);
    assert_request(
        &r[2],
        "PUT",
        path,
        &[],
        Some(json!({"text": "new", "custom": {"k": "v"}})),
    );
    assert_request(&r[3], "DELETE", path, &[], None);
}

#[tokio::test]
async fn react_and_unreact_percent_encode_the_emoji() {
    let server = server(json!({})).await;
    let client = client(&server);
    client
        .messages("c1")
        .react("m1", "👍", "bob")
        .await
        .unwrap();
    client
        .messages("c1")
        .unreact("m1", "👍", "bob")
        .await
        .unwrap();
    let r = exactly(&server, 2).await;
    let path = "/v1/app/conversations/c1/messages/m1/reactions/%F0%9F%91%8D/bob";
    assert_request(&r[0], "PUT", path, &[], None);
    assert_request(&r[1], "DELETE", path, &[], None);
}

#[tokio::test]
async fn import_messages() {
    let server = server(json!([{"id": "m1"}])).await;
    let applied = client(&server)
        .messages("c1")
        .import(vec![import("alice", "old", 1_600_000_000_000)])
        .await
        .unwrap();
    assert_eq!(applied, 1);
    let r = only(&server).await;
    assert_request(
        &r,
        "POST",
        "/v1/app/import/conversations/c1/messages",
        &[],
        Some(json!([{
            "type": "UserMessage",
            "sender": "alice",
            "text": "old",
            "timestamp": 1_600_000_000_000i64,
            "readBy": [],
        }])),
    );
}

// ---------------------------------------------------------------- files

#[tokio::test]
async fn upload_is_multipart_with_a_file_part_and_a_filename() {
    let server = server(json!({"attachmentToken": "att_1"})).await;
    let token = client(&server)
        .upload_file(
            "notes.txt",
            b"line one\nline two".to_vec(),
            Some("text/plain"),
        )
        .await
        .unwrap();
    assert_eq!(token, "att_1");
    let r = only(&server).await;
    assert_eq!(r.method.as_str(), "POST");
    assert_eq!(r.url.path(), "/v1/app/files");
    assert_eq!(r.url.query(), None);
    assert_app_token(&r);
    let content_type = header(&r, "content-type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("{content_type}"));
    assert!(!boundary.is_empty());
    let body = String::from_utf8_lossy(&r.body);
    assert!(body.starts_with(&format!("--{boundary}\r\n")), "{body}");
    assert!(body.contains(&format!("--{boundary}--")), "{body}");
    assert!(
        body.contains("Content-Disposition: form-data; name=\"file\"; filename=\"notes.txt\""),
        "{body}"
    );
    assert!(body.contains("Content-Type: text/plain"), "{body}");
    assert!(body.contains("\r\n\r\nline one\nline two\r\n"), "{body}");
}

// --------------------------------------------------------------- legacy

#[tokio::test]
async fn legacy_participants_paths() {
    let server = server(json!({"id": "c", "data": []})).await;
    let client = client(&server);
    let legacy = client
        .conversation_by_participants(&["a", "b"], Some("t"))
        .unwrap();
    legacy.get().await.unwrap();
    let input = ConversationInput {
        subject: Some(NullableString(Some("S".into()))),
        ..Default::default()
    };
    legacy.upsert(&input).await.unwrap();
    legacy.messages_page(10, Some("m1")).await.unwrap();
    let r = exactly(&server, 3).await;
    let path = "/v1/app/conversations/participants=a,b;topic=t";
    assert_request(&r[0], "GET", path, &[], None);
    assert_request(&r[1], "PUT", path, &[], Some(json!({"subject": "S"})));
    assert_request(
        &r[2],
        "GET",
        &format!("{path}/messages"),
        &[("limit", "10"), ("startingAfter", "m1")],
        None,
    );

    // Other characters are percent-encoded inside the list.
    let odd = client
        .conversation_by_participants(&["a b", "ü/1"], None)
        .unwrap();
    assert_eq!(odd.path(), "/conversations/participants=a%20b,%C3%BC%2F1");
}

#[tokio::test]
async fn legacy_send() {
    let server = server(json!([{"id": "m1"}])).await;
    let client = client(&server);
    let legacy = client
        .conversation_by_participants(&["a", "b"], Some("t"))
        .unwrap();
    let ids = legacy.send(vec![text("a", "hi")]).await.unwrap();
    assert_eq!(ids, ["m1"]);
    let r = only(&server).await;
    let mut body: Value = serde_json::from_slice(&r.body).unwrap();
    let keys = take_keys(&mut body);
    assert_distinct_keys(&keys);
    let expected = json!([{"type": "UserMessage", "sender": "a", "text": "hi"}]);
    assert_eq!(body, expected);
    assert_request(
        &r,
        "POST",
        "/v1/app/conversations/participants=a,b;topic=t/messages",
        &[],
        Some(with_keys(expected, &keys)),
    );
}

// ---------------------------------------------------------------- batch

#[tokio::test]
async fn batch_tuples_and_outcomes_by_sequence() {
    // Answered out of order: outcomes still come back in the order given.
    let server = server(json!([
        [2, 200, [{"id": "m1"}]],
        [0, 200, {"id": "alice"}],
        [1, 404, {"error": "NotFound"}],
    ]))
    .await;
    let ops = vec![
        BatchOp::get_user("alice").unwrap(),
        BatchOp::put_user("a/b", &named("Bob")).unwrap(),
        BatchOp::send_messages("c 1", vec![text("alice", "hi")]).unwrap(),
    ];
    let outcomes = client(&server).batch(ops).await.unwrap();
    assert_eq!(
        outcomes.iter().map(|o| o.status).collect::<Vec<_>>(),
        [200, 404, 200]
    );
    assert_eq!(outcomes[0].body, json!({"id": "alice"}));
    assert_eq!(outcomes[2].body, json!([{"id": "m1"}]));

    let r = only(&server).await;
    let mut body: Value = serde_json::from_slice(&r.body).unwrap();
    let keys = take_keys(&mut body[2][3]);
    assert_distinct_keys(&keys);
    let mut expected = json!([
        [0, "GET", "/users/alice"],
        [1, "PUT", "/users/a%2Fb", {"name": "Bob"}],
        [2, "POST", "/conversations/c%201/messages", [
            {"type": "UserMessage", "sender": "alice", "text": "hi"}
        ]],
    ]);
    assert_eq!(body, expected);
    // The whole request, with the key the message carried back in place.
    expected[2][3] = with_keys(expected[2][3].take(), &keys);
    assert_request(&r, "POST", "/v1/app/batch", &[], Some(expected));
}

#[tokio::test]
async fn upload_refuses_what_the_multipart_encoder_cannot_parse_as_a_mime_type() {
    let server = server(json!({"attachmentToken": "att_1"})).await;
    let client = client(&server);
    // Not MIME types, though several are header values containing '/'.
    for bad in [
        "a b/c",
        "/x",
        "",
        "text/",
        "text/; charset=utf-8",
        "text",
        "text/plain; =x",
        "text/plain\r\nX-Evil: 1",
    ] {
        let result = client
            .upload_file("notes.txt", b"x".to_vec(), Some(bad))
            .await;
        assert!(
            matches!(&result, Err(talkjs::Error::Validation { field, .. }) if field == "mime"),
            "{bad:?}: {result:?}"
        );
    }
    assert!(requests(&server).await.is_empty(), "nothing was sent");
    // A type with parameters passes, and is what the part carries.
    client
        .upload_file(
            "notes.txt",
            b"x".to_vec(),
            Some("text/plain; charset=utf-8"),
        )
        .await
        .unwrap();
    let r = only(&server).await;
    let body = String::from_utf8_lossy(&r.body);
    assert!(
        body.contains("Content-Type: text/plain; charset=utf-8"),
        "{body}"
    );
}

#[tokio::test]
async fn update_participant_sends_only_the_given_fields() {
    let server = server(json!({})).await;
    let client = client(&server);
    let c = client.conversations();
    c.update_participant("c 1", "bob/2", None, Some(Notify::Off))
        .await
        .unwrap();
    c.update_participant("c 1", "bob/2", Some(Access::Read), None)
        .await
        .unwrap();
    c.update_participant(
        "c 1",
        "bob/2",
        Some(Access::ReadWrite),
        Some(Notify::MentionsOnly),
    )
    .await
    .unwrap();
    // Neither field, or an id no URL can carry: refused, nothing sent.
    assert_validation(
        c.update_participant("c 1", "bob", None, None).await,
        "access, notify",
    );
    assert_validation(
        c.update_participant("..", "bob", Some(Access::Read), None)
            .await,
        "conversationId",
    );
    // TalkJS's PATCH changes only the fields given (its PUT overwrites).
    c.update_participant("c 1", "bob/2", Some(Access::None), None)
        .await
        .unwrap();
    c.join("c 1", "bob/2", Access::Read, Notify::All)
        .await
        .unwrap();
    let r = exactly(&server, 5).await;
    let path = "/v1/app/conversations/c%201/participants/bob%2F2";
    assert_request(&r[0], "PATCH", path, &[], Some(json!({"notify": false})));
    assert_request(&r[1], "PATCH", path, &[], Some(json!({"access": "Read"})));
    assert_request(
        &r[2],
        "PATCH",
        path,
        &[],
        Some(json!({"access": "ReadWrite", "notify": "MentionsOnly"})),
    );
    assert_request(&r[3], "PATCH", path, &[], Some(json!({"access": "None"})));
    assert_request(
        &r[4],
        "PUT",
        path,
        &[],
        Some(json!({"access": "Read", "notify": true})),
    );
}

/// A server answering each batch with `[seq, 200, {}]` per operation.
async fn batch_server() -> MockServer {
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

/// `orderBy`/`orderDirection` reach both conversation lists and their batch
/// forms, the natural values and a free one alike; none is sent by default.
#[tokio::test]
async fn conversation_list_order_reaches_the_query() {
    let server = server(json!({"data": []})).await;
    let client = client(&server);
    let oldest_first = ConversationFilter::default()
        .order(ConversationOrder::CreatedAt, OrderDirection::Ascending);
    let custom = ConversationFilter::default().order(
        ConversationOrder::Other("subject".into()),
        OrderDirection::Other("DESC".into()),
    );
    client
        .conversations()
        .page(&oldest_first, 10, None)
        .await
        .unwrap();
    client
        .users()
        .conversations_page("u", &custom, 10, None)
        .await
        .unwrap();
    client
        .conversations()
        .page(&ConversationFilter::default(), 10, None)
        .await
        .unwrap();
    let r = exactly(&server, 3).await;
    let has = |r: &Request, pair: (&str, &str)| {
        query(r).contains(&(pair.0.to_string(), pair.1.to_string()))
    };
    assert!(has(&r[0], ("orderBy", "createdAt")) && has(&r[0], ("orderDirection", "asc")));
    assert!(has(&r[1], ("orderBy", "subject")) && has(&r[1], ("orderDirection", "DESC")));
    assert!(
        query(&r[2]).iter().all(|(k, _)| !k.starts_with("order")),
        "{:?}",
        query(&r[2])
    );
    let by_activity = ConversationFilter::default()
        .order(ConversationOrder::LastActivity, OrderDirection::Descending);
    let op = BatchOp::list_conversations(&by_activity, 5, None).unwrap();
    let batch = batch_server().await;
    self::client(&batch).batch(vec![op]).await.unwrap();
    let sent: Value = serde_json::from_slice(&only(&batch).await.body).unwrap();
    assert_eq!(sent[0][3]["orderBy"], "lastMessageAt");
    assert_eq!(sent[0][3]["orderDirection"], "desc");
}

/// TalkJS's per-operation `{"api_version": ...}`: an operation's own
/// version wins, the client's pinned REST version fills in the others, and
/// an operation without a payload gets `null` in its place.
#[tokio::test]
async fn batch_operations_carry_their_api_version() {
    let server = batch_server().await;
    let ops = || {
        vec![
            BatchOp::get_user("a").unwrap(),
            BatchOp::get_user("b").unwrap().api_version("2021-02-09"),
            BatchOp::join("c", "a", Access::Read, Notify::All).unwrap(),
        ]
    };
    client(&server).batch(ops()).await.unwrap();
    let pinned = talkjs::ClientConfig::new(APP, SECRET)
        .base_url(server.uri())
        .rest_version("2024-01-01")
        .build()
        .unwrap();
    pinned.batch(ops()).await.unwrap();
    let r = exactly(&server, 2).await;
    let body = |r: &Request| serde_json::from_slice::<Value>(&r.body).unwrap();
    assert_eq!(
        body(&r[0]),
        json!([
            [0, "GET", "/users/a"],
            [1, "GET", "/users/b", null, {"api_version": "2021-02-09"}],
            [2, "PUT", "/conversations/c/participants/a", {"access": "Read", "notify": true}],
        ])
    );
    assert_eq!(
        body(&r[1]),
        json!([
            [0, "GET", "/users/a", null, {"api_version": "2024-01-01"}],
            [1, "GET", "/users/b", null, {"api_version": "2021-02-09"}],
            [2, "PUT", "/conversations/c/participants/a", {"access": "Read", "notify": true},
                {"api_version": "2024-01-01"}],
        ])
    );
    assert_eq!(header(&r[1], "talkjs-rest-version"), Some("2024-01-01"));
}

#[tokio::test]
async fn batch_tuples_of_every_operation() {
    let server = batch_server().await;
    let filter = ConversationFilter::default().before(1_000i64).after(10i64);
    let edit = EditMessageBody {
        text: Some("new".into()),
        ..Default::default()
    };
    let presence = PresenceInput {
        visible: Some(false),
        ..online()
    };
    let users = [
        ("a/b".to_string(), named("A")),
        ("c".to_string(), named("C")),
    ];
    let first = vec![
        BatchOp::put_users(&users).unwrap(),
        BatchOp::list_users(20, Some("u 1")).unwrap(),
        BatchOp::get_presence("a/b").unwrap(),
        BatchOp::set_presence("bob", &presence).unwrap(),
        BatchOp::list_conversations(&filter, 5, None).unwrap(),
        BatchOp::list_user_conversations("bob", &filter.clone().unreads_only(), 100, Some("c9"))
            .unwrap(),
        BatchOp::join("c 1", "bob", Access::Read, Notify::MentionsOnly).unwrap(),
        BatchOp::update_participant("c 1", "bob", None, Some(Notify::Off)).unwrap(),
        BatchOp::leave("c 1", "bob").unwrap(),
        BatchOp::mark_read("c 1", "bob", ReadUntil::Sent).unwrap(),
    ];
    let second = vec![
        BatchOp::mark_read("c 1", "bob", ReadUntil::At(1_700i64.into())).unwrap(),
        BatchOp::list_messages("c 1", 10, Some("m1")).unwrap(),
        BatchOp::get_message("c 1", "m/1").unwrap(),
        BatchOp::edit_message("c 1", "m1", &edit).unwrap(),
        BatchOp::delete_message("c 1", "m1").unwrap(),
        BatchOp::add_reaction("c 1", "m1", "👍", "bob").unwrap(),
        BatchOp::remove_reaction("c 1", "m1", "👍", "bob").unwrap(),
        BatchOp::import_messages("c 1", vec![import("alice", "old", 1_600_000_000_000)]).unwrap(),
    ];
    // One client per batch: each client waits out the one-per-second limit
    // on its own, so two clients don't wait for each other.
    let outcomes = client(&server).batch(first).await.unwrap();
    assert_eq!(outcomes.len(), 10);
    let outcomes = client(&server).batch(second).await.unwrap();
    assert_eq!(outcomes.len(), 8);

    let r = exactly(&server, 2).await;
    let reaction = "/conversations/c%201/messages/m1/reactions/%F0%9F%91%8D/bob";
    assert_request(
        &r[0],
        "POST",
        "/v1/app/batch",
        &[],
        Some(json!([
            [0, "PUT", "/users", {"a/b": {"name": "A"}, "c": {"name": "C"}}],
            [1, "GET", "/users", {"limit": "20", "startingAfter": "u 1"}],
            [2, "GET", "/users/a%2Fb/presence"],
            [3, "PUT", "/users/bob/presence", {"availability": "online", "visible": false}],
            [4, "GET", "/conversations",
                {"limit": "5", "lastMessageBefore": "1000", "lastMessageAfter": "10"}],
            [5, "GET", "/users/bob/conversations", {
                "limit": "100", "startingAfter": "c9", "unreadsOnly": "true",
                "lastMessageBefore": "1000", "lastMessageAfter": "10",
            }],
            [6, "PUT", "/conversations/c%201/participants/bob",
                {"access": "Read", "notify": "MentionsOnly"}],
            [7, "PATCH", "/conversations/c%201/participants/bob", {"notify": false}],
            [8, "DELETE", "/conversations/c%201/participants/bob"],
            [9, "PATCH", "/users/bob/conversations/c%201", {"readUntil": "sent"}],
        ])),
    );
    assert_request(
        &r[1],
        "POST",
        "/v1/app/batch",
        &[],
        Some(json!([
            [0, "PATCH", "/users/bob/conversations/c%201", {"readUntil": 1_700}],
            [1, "GET", "/conversations/c%201/messages", {"limit": "10", "startingAfter": "m1"}],
            [2, "GET", "/conversations/c%201/messages/m%2F1"],
            [3, "PUT", "/conversations/c%201/messages/m1", {"text": "new"}],
            [4, "DELETE", "/conversations/c%201/messages/m1"],
            [5, "PUT", reaction],
            [6, "DELETE", reaction],
            [7, "POST", "/import/conversations/c%201/messages", [{
                "type": "UserMessage",
                "sender": "alice",
                "text": "old",
                "timestamp": 1_600_000_000_000i64,
                "readBy": [],
            }]],
        ])),
    );
}

#[test]
fn batch_operations_refuse_what_the_direct_calls_refuse() {
    let unread = ConversationFilter::default().unreads_only();
    assert_validation(BatchOp::list_users(0, None), "limit");
    assert_validation(BatchOp::list_messages("c", 101, None), "limit");
    assert_validation(
        BatchOp::list_conversations(&unread, 10, None),
        "unreadsOnly",
    );
    assert_validation(
        BatchOp::update_participant("c", "bob", None, None),
        "access, notify",
    );
    assert_validation(
        BatchOp::update_participant("..", "bob", None, None),
        "conversationId",
    );
    assert_validation(BatchOp::join("c", ".", Access::Read, Notify::All), "userId");
    assert_validation(
        BatchOp::mark_read("", "bob", ReadUntil::Sent),
        "conversationId",
    );
    assert_validation(BatchOp::get_message("c", ".."), "messageId");
    assert_validation(BatchOp::add_reaction("c", "m", "", "bob"), "emoji");
    assert_validation(BatchOp::remove_reaction("c", "m", "👍", ""), "userId");
    assert_validation(BatchOp::get_presence(""), "userId");
    let eleven = (0..11).map(|i| import("alice", "x", i)).collect();
    assert_validation(BatchOp::import_messages("c", eleven), "messages");
    assert_validation(BatchOp::import_messages("c", vec![]), "messages");
    let twice = [("a".to_string(), named("A")), ("a".to_string(), named("B"))];
    assert_validation(BatchOp::put_users(&twice), "users[1].id");
    assert_validation(BatchOp::put_users(&[]), "users");
    let many: Vec<(String, talkjs::raw::types::UserInput)> =
        (0..101).map(|i| (format!("u{i}"), named("U"))).collect();
    assert_validation(BatchOp::put_users(&many), "users");
}

/// A server answering batches of 10 operations with `[seq, 200, {"n": seq}]`
/// each, and any other batch with `other`.
async fn second_batch_fails(other: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(move |r: &Request| {
            let ops: Vec<Value> = serde_json::from_slice(&r.body).unwrap();
            if ops.len() == 10 {
                let results: Vec<Value> = ops
                    .iter()
                    .map(|op| json!([op[0], 200, {"n": op[0]}]))
                    .collect();
                ResponseTemplate::new(200).set_body_json(results)
            } else {
                other.clone()
            }
        })
        .mount(&server)
        .await;
    server
}

fn twelve_gets() -> Vec<BatchOp> {
    (0..12)
        .map(|i| BatchOp::get_user(&format!("u{i}")).unwrap())
        .collect()
}

#[track_caller]
fn assert_first_ten_applied(error: &talkjs::Error) -> &talkjs::Error {
    let (applied, source) = common::first_ten_applied(error);
    for (i, outcome) in applied.iter().enumerate() {
        assert_eq!(outcome.body, json!({"n": i}));
    }
    source
}

#[tokio::test]
async fn a_failed_second_batch_request_keeps_the_outcomes_of_the_first() {
    let server = second_batch_fails(
        ResponseTemplate::new(400).set_body_json(json!({"error": "BadRequest"})),
    )
    .await;
    let error = client(&server).batch(twelve_gets()).await.unwrap_err();
    let source = assert_first_ten_applied(&error);
    assert!(matches!(source, talkjs::Error::Api { .. }), "{source:?}");
    assert_eq!(error.status(), Some(400));
    assert!(
        error.to_string().contains("batch request 1 failed"),
        "{error}"
    );
    exactly(&server, 2).await;
}

#[tokio::test]
async fn a_second_batch_answer_that_breaks_the_protocol_is_partial_too() {
    // Operation 1 of the second request is answered twice, operation 0 never.
    let server = second_batch_fails(
        ResponseTemplate::new(200).set_body_json(json!([[1, 200, {}], [1, 200, {}]])),
    )
    .await;
    let error = client(&server).batch(twelve_gets()).await.unwrap_err();
    let source = assert_first_ten_applied(&error);
    assert!(
        matches!(source, talkjs::Error::Protocol(m) if m.contains("twice")),
        "{source:?}"
    );
    assert_eq!(error.status(), None);
    // The broken answer ends the batch: no third request, no retry.
    exactly(&server, 2).await;
}

#[tokio::test]
async fn legacy_send_of_11_goes_out_in_chunks_and_the_stream_pages() {
    // One id per message sent, as TalkJS answers; a full page of 2 for a
    // list without a cursor, then a short page.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(|request: &Request| {
            if request.method.as_str() == "GET" {
                let page = if request.url.query().unwrap_or("").contains("startingAfter") {
                    json!({"data": [{"id": "m1"}]})
                } else {
                    json!({"data": [{"id": "m3"}, {"id": "m2"}]})
                };
                return ResponseTemplate::new(200).set_body_json(page);
            }
            one_id_per_message(request)
        })
        .mount(&server)
        .await;
    let client = client(&server);
    let legacy = client
        .conversation_by_participants(&["a", "b"], Some("t"))
        .unwrap();
    let messages = (0..11).map(|i| text("a", &i.to_string())).collect();
    let ids = legacy.send(messages).await.unwrap();
    assert_eq!(ids.len(), 11);
    let streamed: Vec<_> = futures::TryStreamExt::try_collect(legacy.messages_stream(2))
        .await
        .unwrap();
    let streamed: Vec<_> = streamed.iter().map(|m| m.id.clone().unwrap()).collect();
    assert_eq!(streamed, ["m3", "m2", "m1"]);

    let r = exactly(&server, 4).await;
    let path = "/v1/app/conversations/participants=a,b;topic=t/messages";
    assert_chunked_sends(&r[..2], path, "a", &[10, 1]);
    assert_request(&r[2], "GET", path, &[("limit", "2")], None);
    assert_request(
        &r[3],
        "GET",
        path,
        &[("limit", "2"), ("startingAfter", "m2")],
        None,
    );
}

/// A server answering 503 to the first request and `body` to every later one.
async fn failing_once(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

/// Method, URL, every header but `Authorization` (a fresh token may be
/// minted between attempts), and the body.
fn attempt(r: &Request) -> (String, String, Vec<(String, String)>, Vec<u8>) {
    let mut headers: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(name, _)| *name != "authorization")
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    (
        r.method.to_string(),
        r.url.to_string(),
        headers,
        r.body.clone(),
    )
}

/// Later attempts are rebuilt from a record of the first request
/// (`Resend` in src/transport.rs), not cloned: they must match it exactly,
/// with and without a body.
#[tokio::test]
async fn a_retried_request_is_the_same_request() {
    let server = failing_once(json!({"id": "alice"})).await;
    client(&server).users().get("a/b c").await.unwrap();
    let [first, second] = <[Request; 2]>::try_from(requests(&server).await).unwrap();
    assert_eq!(attempt(&first), attempt(&second));
    assert!(header(&second, "authorization").is_some());

    let server = failing_once(json!([{"id": "m1"}])).await;
    client(&server)
        .messages("c1")
        .send(vec![text("alice", "hi")])
        .await
        .unwrap();
    let [first, second] = <[Request; 2]>::try_from(requests(&server).await).unwrap();
    assert_eq!(attempt(&first), attempt(&second));
    assert_eq!(header(&second, "content-type"), Some("application/json"));
    assert!(!second.body.is_empty());
}
