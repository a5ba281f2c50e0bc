//! Each correction in `patches/` and `build/rules.rs` shown where it
//! matters: on the wire (what a loopback server receives) or in decoding
//! (what the raw client accepts).
//! Every test here fails if its patch or rule is removed.

use serde_json::{Value, json};
use talkjs::raw::{self, types};
use wiremock::{
    Mock, MockServer, Request, ResponseTemplate,
    matchers::{any, method, path},
};

/// A server answering every request with `status` and the JSON `body`.
async fn answering(status: u16, body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

/// A client without retries, so a 429 or 5xx comes back as it was sent.
fn client(server: &MockServer) -> talkjs::Client {
    talkjs::ClientConfig::new("app", "sk_test_spec")
        .base_url(server.uri())
        .retry(talkjs::RetryPolicy::none())
        .build()
        .unwrap()
}

async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "expected exactly one request");
    requests.remove(0)
}

fn json_body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or_else(|e| {
        panic!(
            "body is not JSON ({e}): {:?}",
            String::from_utf8_lossy(&request.body)
        )
    })
}

fn query(request: &Request) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    pairs
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    pairs.sort();
    pairs
}

// 0050: the import endpoint takes `timestamp` (not `createdAt`), `readBy`
// and only `type: "UserMessage"`.
#[tokio::test]
async fn import_sends_timestamp_read_by_and_user_message_type() {
    let server = answering(200, json!({})).await;
    let client = client(&server);
    let messages = vec![
        types::ImportMessageInput::builder()
            .read_by(vec!["bob".into()])
            .sender("alice")
            .text(Some("hi".into()))
            .timestamp(1_600_000_000_000_i64)
            .type_(types::ImportMessageInputType::UserMessage)
            .try_into()
            .unwrap(),
        types::ImportMessageInput::builder()
            .attachment_token(Some("att_1".into()))
            .read_by(vec![])
            .sender("bob")
            .timestamp(1_600_000_000_001_i64)
            .type_(types::ImportMessageInputType::UserMessage)
            .try_into()
            .unwrap(),
    ];
    client
        .raw()
        .import_messages()
        .conversation_id("c1")
        .body(messages)
        .send()
        .await
        .unwrap();

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(
        request.url.path(),
        "/v1/app/import/conversations/c1/messages"
    );
    let body = json_body(&request);
    assert_eq!(
        body,
        json!([
            {
                "sender": "alice",
                "text": "hi",
                "timestamp": 1_600_000_000_000_i64,
                "readBy": ["bob"],
                "type": "UserMessage"
            },
            {
                "sender": "bob",
                "attachmentToken": "att_1",
                "timestamp": 1_600_000_000_001_i64,
                "readBy": [],
                "type": "UserMessage"
            }
        ])
    );
    for message in body.as_array().unwrap() {
        assert!(message.get("createdAt").is_none(), "{message}");
    }
}

// 0040 and 0041: send answers one {id} per message; a message may carry an
// attachmentToken or a location.
#[tokio::test]
async fn send_messages_decodes_ids_and_sends_attachment_token_and_location() {
    let server = answering(200, json!([{"id": "msg_1"}, {"id": "msg_2"}])).await;
    let client = client(&server);
    let message =
        |attachment_token: Option<&str>, location: Option<[f64; 2]>| -> types::SendMessageInput {
            types::SendMessageInput::builder()
                .attachment_token(attachment_token.map(String::from))
                .location(location)
                .sender(Some("alice".into()))
                .type_(types::SendMessageInputType::UserMessage)
                .try_into()
                .unwrap()
        };
    let sent = client
        .raw()
        .send_messages()
        .conversation_id("c1")
        .body(vec![
            message(Some("att_tok"), None),
            message(None, Some([4.5, -52.25])),
        ])
        .send()
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = sent.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["msg_1", "msg_2"]);

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), "/v1/app/conversations/c1/messages");
    assert_eq!(
        json_body(&request),
        json!([
            {"sender": "alice", "type": "UserMessage", "attachmentToken": "att_tok"},
            {"sender": "alice", "type": "UserMessage", "location": [4.5, -52.25]}
        ])
    );
}

// 0060: a batch is an array of tuple arrays, answered by
// [sequence, status, body] tuples.
#[tokio::test]
async fn batch_sends_tuples_and_decodes_result_tuples() {
    let server = answering(200, json!([[1, 200, {}], [2, 404, {"error": "x"}]])).await;
    let client = client(&server);
    let operations: Vec<types::BatchOperation> = vec![
        vec![json!(1), json!("GET"), json!("/users/alice")].into(),
        vec![
            json!(2),
            json!("PUT"),
            json!("/users/bob"),
            json!({"name": "Bob"}),
            json!({"api_version": "2021-02-09"}),
        ]
        .into(),
    ];
    let results = client
        .raw()
        .batch_requests()
        .body(operations)
        .send()
        .await
        .unwrap()
        .into_inner();

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), "/v1/app/batch");
    assert_eq!(
        json_body(&request),
        json!([
            [1, "GET", "/users/alice"],
            [2, "PUT", "/users/bob", {"name": "Bob"}, {"api_version": "2021-02-09"}]
        ])
    );

    assert_eq!(results.len(), 2);
    // A result is at least [seq, status, body]; later items are tolerated.
    let results: Vec<Vec<Value>> = results.into_iter().map(Into::into).collect();
    assert_eq!(results[0], [json!(1), json!(200), json!({})]);
    assert_eq!(results[1], [json!(2), json!(404), json!({"error": "x"})]);
}

// 0030: conversation lists filter by lastMessageBefore/lastMessageAfter, and
// a user's conversations also by unreadsOnly.
#[tokio::test]
async fn conversation_list_filters_reach_the_query() {
    let server = answering(200, json!({"data": []})).await;
    let client = client(&server);
    client
        .raw()
        .list_conversations()
        .last_message_before(1_700_000_000_000_i64)
        .last_message_after(1_600_000_000_000_i64)
        .send()
        .await
        .unwrap();
    client
        .raw()
        .list_user_conversations()
        .user_id("alice")
        .unreads_only(true)
        .last_message_before(1_700_000_000_001_i64)
        .last_message_after(1_600_000_000_001_i64)
        .send()
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method.as_str(), "GET");
    assert_eq!(requests[0].url.path(), "/v1/app/conversations");
    assert_eq!(
        query(&requests[0]),
        pairs(&[
            ("lastMessageBefore", "1700000000000"),
            ("lastMessageAfter", "1600000000000"),
        ])
    );
    assert_eq!(requests[1].method.as_str(), "GET");
    assert_eq!(requests[1].url.path(), "/v1/app/users/alice/conversations");
    assert_eq!(
        query(&requests[1]),
        pairs(&[
            ("unreadsOnly", "true"),
            ("lastMessageBefore", "1700000000001"),
            ("lastMessageAfter", "1600000000001"),
        ])
    );
}

// 0020: limit 0 is refused before sending.
#[tokio::test]
async fn limit_zero_is_refused_before_sending() {
    let server = answering(200, json!({"data": []})).await;
    let client = client(&server);
    let api = client.raw();
    let results = [
        api.list_users().limit(0u32).send().await.map(drop),
        api.list_conversations().limit(0u32).send().await.map(drop),
        api.list_messages()
            .conversation_id("c1")
            .limit(0u32)
            .send()
            .await
            .map(drop),
        api.list_user_conversations()
            .user_id("alice")
            .limit(0u32)
            .send()
            .await
            .map(drop),
    ];
    for result in results {
        match result {
            Err(raw::Error::InvalidRequest(message)) => {
                assert!(message.contains("limit"), "{message}")
            }
            other => panic!("limit 0 was not refused: {other:?}"),
        }
    }
    assert!(server.received_requests().await.unwrap().is_empty());

    // A limit in range goes out as given.
    api.list_users().limit(1u32).send().await.unwrap();
    let request = only_request(&server).await;
    assert_eq!(query(&request), pairs(&[("limit", "1")]));
}

const ERROR_OPERATIONS: [&str; 4] = [
    "get_user",
    "send_messages",
    "delete_conversation",
    "batch_requests",
];

/// Calls one of [`ERROR_OPERATIONS`], dropping the success value.
async fn call(api: &raw::Client, operation: &str) -> Result<(), raw::Error<types::Error>> {
    match operation {
        "get_user" => api.get_user().user_id("alice").send().await.map(drop),
        "send_messages" => api
            .send_messages()
            .conversation_id("c1")
            .body(vec![types::SendMessageInput::user_text("alice", "hi")])
            .send()
            .await
            .map(drop),
        "delete_conversation" => api
            .delete_conversation()
            .conversation_id("c1")
            .send()
            .await
            .map(drop),
        "batch_requests" => api
            .batch_requests()
            .body(vec![types::BatchOperation::from(vec![
                json!(1),
                json!("GET"),
                json!("/users/alice"),
            ])])
            .send()
            .await
            .map(drop),
        other => unreachable!("{other}"),
    }
}

/// The status and body of an `ErrorResponse`; panics on anything else.
fn error_response(
    result: Result<(), raw::Error<types::Error>>,
    context: &str,
) -> (u16, types::Error) {
    match result {
        Err(raw::Error::ErrorResponse(response)) => {
            (response.status().as_u16(), response.into_inner())
        }
        other => panic!("{context}: expected ErrorResponse, got {other:?}"),
    }
}

// Rule error_responses: every operation types 400, 401, 404, 429 and 5xx as an error
// response whose body is the JSON object or the raw text.
#[tokio::test]
async fn error_statuses_are_typed_error_responses() {
    let server = MockServer::start().await;
    let client = client(&server);
    for operation in ERROR_OPERATIONS {
        for status in [400u16, 401, 404, 429, 503] {
            server.reset().await;
            Mock::given(any())
                .respond_with(
                    ResponseTemplate::new(status)
                        .set_body_json(json!({"error": "e", "message": "m"})),
                )
                .mount(&server)
                .await;
            let context = format!("{operation} {status}");
            let (got, body) = error_response(call(client.raw(), operation).await, &context);
            assert_eq!(got, status, "{context}");
            match body {
                types::Error::ErrorBody(body) => {
                    assert_eq!(body.error.as_deref(), Some("e"), "{context}");
                    assert_eq!(body.message.as_deref(), Some("m"), "{context}");
                }
                other => panic!("{context}: expected ErrorBody, got {other:?}"),
            }
            assert_eq!(
                server.received_requests().await.unwrap().len(),
                1,
                "{context}"
            );
        }
    }
}

#[tokio::test]
async fn plain_text_and_empty_error_bodies_keep_their_status() {
    let server = MockServer::start().await;
    let client = client(&server);
    for operation in ERROR_OPERATIONS {
        server.reset().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(401).set_body_raw("Unauthorized", "text/plain"))
            .mount(&server)
            .await;
        let context = format!("{operation} 401 text/plain");
        let (status, body) = error_response(call(client.raw(), operation).await, &context);
        assert_eq!(status, 401, "{context}");
        match body {
            types::Error::String(text) => assert_eq!(text, "Unauthorized", "{context}"),
            other => panic!("{context}: expected String, got {other:?}"),
        }

        server.reset().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(500))
            .mount(&server)
            .await;
        let context = format!("{operation} 500 empty");
        let (status, body) = error_response(call(client.raw(), operation).await, &context);
        assert_eq!(status, 500, "{context}");
        match body {
            types::Error::String(text) => assert_eq!(text, "", "{context}"),
            other => panic!("{context}: expected String, got {other:?}"),
        }
    }
}

async fn mount_get(server: &MockServer, at: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

// Rule tolerant_responses and patch 0085: new enum values and nulls in responses decode.
#[tokio::test]
async fn unknown_enum_values_and_nulls_in_responses_decode() {
    let server = MockServer::start().await;
    let odd_message = json!({
        "id": "m1",
        "conversationId": "c1",
        "type": "SomethingNew",
        "origin": "carrier-pigeon",
        "readBy": null,
        "reactions": null,
        "custom": null,
        "attachment": {"url": "u", "size": 3},
        "createdAt": 1_600_000_000_000_i64,
        "brandNewField": {"nested": [1, 2]},
        "anotherOne": "x"
    });
    mount_get(
        &server,
        "/v1/app/conversations/c1/messages/m1",
        odd_message.clone(),
    )
    .await;
    mount_get(
        &server,
        "/v1/app/conversations/c1",
        json!({"id": "c1", "participants": null, "lastMessage": null, "custom": null}),
    )
    .await;
    mount_get(
        &server,
        "/v1/app/conversations/c2",
        json!({
            "id": "c2",
            "participants": {"alice": {"access": "Owner", "notify": "Sometimes"}},
            "lastMessage": odd_message,
            "somethingElse": true
        }),
    )
    .await;
    mount_get(
        &server,
        "/v1/app/users/alice/presence",
        json!({"availability": "busy", "visible": true}),
    )
    .await;
    mount_get(&server, "/v1/app/users", json!({"data": null})).await;
    mount_get(&server, "/v1/app/conversations", json!({"data": null})).await;
    mount_get(
        &server,
        "/v1/app/conversations/c1/messages",
        json!({"data": null}),
    )
    .await;
    let client = client(&server);
    let api = client.raw();

    let message = api
        .get_message()
        .conversation_id("c1")
        .message_id("m1")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        message.type_,
        Some(talkjs::types::MessageType::Unknown("SomethingNew".into()))
    );
    assert_eq!(message.origin.as_deref(), Some("carrier-pigeon"));
    assert!(message.read_by.is_none());
    assert!(message.reactions.is_none());
    assert!(message.custom.as_ref().and_then(|c| c.0.as_ref()).is_none());
    let attachment = message.attachment.expect("attachment");
    assert_eq!(attachment.url.as_deref(), Some("u"));
    assert_eq!(attachment.size, Some(3));

    let bare = api
        .get_conversation()
        .conversation_id("c1")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bare.id.as_deref(), Some("c1"));
    assert!(bare.participants.is_none());
    assert!(bare.last_message.is_none());

    let full = api
        .get_conversation()
        .conversation_id("c2")
        .send()
        .await
        .unwrap()
        .into_inner();
    let alice = &full.participants.as_ref().expect("participants")["alice"];
    assert_eq!(
        alice.access,
        Some(talkjs::types::ParticipantAccess::Unknown("Owner".into()))
    );
    assert_eq!(
        alice.notify,
        Some(talkjs::types::ParticipantNotify::Unknown(json!(
            "Sometimes"
        )))
    );
    let last = full.last_message.expect("lastMessage");
    assert_eq!(
        last.type_,
        Some(talkjs::types::MessageType::Unknown("SomethingNew".into()))
    );

    let presence = api
        .get_user_presence()
        .user_id("alice")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(presence.availability.as_deref(), Some("busy"));
    assert_eq!(presence.visible, Some(true));

    let users = api.list_users().send().await.unwrap().into_inner();
    assert!(users.data.is_none());
    let conversations = api.list_conversations().send().await.unwrap().into_inner();
    assert!(conversations.data.is_none());
    let messages = api
        .list_messages()
        .conversation_id("c1")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(messages.data.is_none());

    server.verify().await;
}

// Rule standalone_responses: a user response requires nothing; a user without a name (or with
// fields nulled out by anonymisation) decodes.
#[tokio::test]
async fn user_without_name_decodes() {
    let server = MockServer::start().await;
    mount_get(
        &server,
        "/v1/app/users/anon",
        json!({"id": "anon", "email": null, "createdAt": 1_600_000_000_000_i64}),
    )
    .await;
    mount_get(
        &server,
        "/v1/app/users/gone",
        json!({"id": "gone", "name": null, "photoUrl": null, "custom": null}),
    )
    .await;
    let client = client(&server);

    let anon = client
        .raw()
        .get_user()
        .user_id("anon")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(anon.id.as_deref(), Some("anon"));
    assert!(anon.name.is_none());
    assert!(anon.email.is_none());
    assert_eq!(anon.created_at, Some(talkjs::UnixMillis(1_600_000_000_000)));

    let gone = client
        .raw()
        .get_user()
        .user_id("gone")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(gone.id.as_deref(), Some("gone"));
    assert!(gone.name.is_none());
    assert!(gone.photo_url.is_none());

    server.verify().await;
}

// Rule nullable_inputs and patch 0090: a clearable input field sends an explicit null; an unset field is
// absent; name is optional.
#[tokio::test]
async fn explicit_null_reaches_the_wire_and_unset_fields_do_not() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "x"})))
        .mount(&server)
        .await;
    let client = client(&server);
    let api = client.raw();

    api.create_or_update_user()
        .user_id("alice")
        .body(types::UserInput {
            photo_url: Some(types::NullableString(None)),
            ..Default::default()
        })
        .send()
        .await
        .unwrap();
    api.create_or_update_user()
        .user_id("bob")
        .body(types::UserInput {
            name: Some(types::NullableString(Some("Bob".into()))),
            email: Some(types::NullableStringList(None)),
            custom: Some(types::NullableCustom(None)),
            ..Default::default()
        })
        .send()
        .await
        .unwrap();
    api.create_or_update_conversation()
        .conversation_id("c1")
        .body(types::ConversationInput {
            subject: Some(types::NullableString(None)),
            ..Default::default()
        })
        .send()
        .await
        .unwrap();
    api.create_or_update_conversation()
        .conversation_id("c2")
        .body(types::ConversationInput {
            subject: Some(types::NullableString(Some("Hello".into()))),
            welcome_messages: Some(types::NullableStringList(None)),
            ..Default::default()
        })
        .send()
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    let seen: Vec<(&str, &str, Value)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.url.path(), json_body(r)))
        .collect();
    assert_eq!(
        seen,
        [
            ("PUT", "/v1/app/users/alice", json!({"photoUrl": null})),
            (
                "PUT",
                "/v1/app/users/bob",
                json!({"name": "Bob", "email": null, "custom": null})
            ),
            ("PUT", "/v1/app/conversations/c1", json!({"subject": null})),
            (
                "PUT",
                "/v1/app/conversations/c2",
                json!({"subject": "Hello", "welcomeMessages": null})
            ),
        ]
    );
}

// Rule path_ids: ids that cannot be a URL path segment are refused by the type the
// generated client takes for path ids (build.rs puts `talkjs::path::ResourceId`
// in place of the schema, with the same rule as its pattern).
#[test]
fn resource_id_refuses_only_unaddressable_ids() {
    for bad in ["", ".", ".."] {
        assert!(
            bad.parse::<talkjs::path::ResourceId>().is_err(),
            "{bad:?} was accepted"
        );
        assert!(
            talkjs::path::ResourceId::try_from(bad.to_string()).is_err(),
            "{bad:?} was accepted"
        );
        assert!(
            serde_json::from_value::<talkjs::path::ResourceId>(json!(bad)).is_err(),
            "{bad:?} was accepted"
        );
    }
    for good in ["...", "a/b", ". ", " ..", "./", "a", "😀", "\n"] {
        let id: talkjs::path::ResourceId = good
            .parse()
            .unwrap_or_else(|e| panic!("{good:?} was refused: {e}"));
        assert_eq!(id.as_str(), good);
        assert_eq!(String::from(id), good);
    }
}

// Rule path_ids, on the wire: a refused id never leaves the client, in any position.
#[tokio::test]
async fn refused_ids_never_reach_the_server() {
    let server = answering(200, json!({"id": "x"})).await;
    let client = client(&server);
    let api = client.raw();
    for bad in ["", ".", ".."] {
        let results = [
            api.get_conversation()
                .conversation_id(bad)
                .send()
                .await
                .map(drop),
            api.get_message()
                .conversation_id("c1")
                .message_id(bad)
                .send()
                .await
                .map(drop),
            api.remove_reaction()
                .conversation_id("c1")
                .message_id("m1")
                .emoji("👍")
                .user_id(bad)
                .send()
                .await
                .map(drop),
        ];
        for result in results {
            assert!(
                matches!(result, Err(raw::Error::InvalidRequest(_))),
                "{bad:?}: {result:?}"
            );
        }
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}
