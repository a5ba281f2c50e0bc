//! Conversations and participants: merge, add-only participants, join
//! settings (PUT overwrites, PATCH changes only the given fields, access
//! `None`), leave, read markers, user conversation lists and filters.

mod common;

use common::Api;
use serde_json::json;

#[tokio::test]
async fn put_merges_and_only_adds_participants() {
    let api = Api::start().await;
    api.users(&["a", "b", "c"]).await;
    let (s, c) = api
        .put(
            "/conversations/c1",
            json!({"participants": ["a", "b"], "subject": "Boots", "custom": {"k": "v"}}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        c["participants"]["a"],
        json!({"access": "ReadWrite", "notify": true, "isUnread": false, "joinedAt": c["participants"]["a"]["joinedAt"]})
    );
    assert_eq!(c["lastMessage"], json!(null));
    api.put(
        "/conversations/c1",
        json!({"participants": ["c"], "subject": null, "photoUrl": "http://p"}),
    )
    .await;
    let (s, c) = api.get("/conversations/c1").await;
    assert_eq!(s, 200);
    let mut ps: Vec<_> = c["participants"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    ps.sort();
    assert_eq!(ps, ["a", "b", "c"]);
    assert_eq!(c["subject"], json!(null));
    assert_eq!(c["photoUrl"], "http://p");
    assert_eq!(c["custom"], json!({"k": "v"}));
    assert_eq!(c["topicId"], json!(null));
    assert_eq!(
        api.put("/conversations/c1", json!({"participants": [1]}))
            .await
            .0,
        400
    );
    assert_eq!(
        api.put("/conversations/c1", json!({"participants": null}))
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn join_leave_and_settings() {
    let api = Api::start().await;
    api.users(&["a", "b"]).await;
    api.conversation("c1", &["a"]).await;
    let (s, b) = api
        .put(
            "/conversations/c1/participants/b",
            json!({"access": "Read", "notify": "MentionsOnly"}),
        )
        .await;
    assert_eq!((s, b), (200, json!({})));
    let c = api.get("/conversations/c1").await.1;
    assert_eq!(c["participants"]["b"]["access"], "Read");
    assert_eq!(c["participants"]["b"]["notify"], "MentionsOnly");
    // PUT overwrites: the omitted access goes back to its default.
    api.put("/conversations/c1/participants/b", json!({"notify": false}))
        .await;
    let c = api.get("/conversations/c1").await.1;
    assert_eq!(c["participants"]["b"]["access"], "ReadWrite", "reset");
    assert_eq!(c["participants"]["b"]["notify"], false);
    assert_eq!(
        api.put(
            "/conversations/c1/participants/b",
            json!({"access": "Write"})
        )
        .await
        .0,
        400
    );
    assert_eq!(
        api.put("/conversations/nope/participants/b", json!({}))
            .await
            .0,
        404
    );
    // No body at all is allowed: defaults.
    let (s, _) = api
        .call(
            reqwest::Method::PUT,
            "/conversations/c1/participants/z",
            None,
        )
        .await;
    assert_eq!(s, 200);
    let c = api.get("/conversations/c1").await.1;
    assert_eq!(c["participants"]["z"]["access"], "ReadWrite");
    assert_eq!(c["participants"]["z"]["notify"], true);
    assert_eq!(
        api.delete("/conversations/c1/participants/b").await,
        (200, json!({}))
    );
    assert!(
        api.get("/conversations/c1").await.1["participants"]
            .get("b")
            .is_none()
    );
    assert_eq!(api.get("/users/b/conversations").await.1["data"], json!([]));
}

#[tokio::test]
async fn patch_changes_only_given_fields_and_put_overwrites() {
    let api = Api::start().await;
    api.users(&["a", "b", "c"]).await;
    api.conversation("c1", &["a"]).await;
    let settings = |c: &serde_json::Value, u: &str| {
        (
            c["participants"][u]["access"].clone(),
            c["participants"][u]["notify"].clone(),
        )
    };
    assert_eq!(
        api.put("/conversations/c1/participants/b", json!({"notify": false}))
            .await,
        (200, json!({}))
    );
    let joined_at = api.get("/conversations/c1").await.1["participants"]["b"]["joinedAt"].clone();
    assert_eq!(
        api.patch(
            "/conversations/c1/participants/b",
            json!({"access": "Read"})
        )
        .await,
        (200, json!({}))
    );
    let c = api.get("/conversations/c1").await.1;
    assert_eq!(
        settings(&c, "b"),
        (json!("Read"), json!(false)),
        "notify kept"
    );
    api.patch(
        "/conversations/c1/participants/b",
        json!({"notify": "MentionsOnly"}),
    )
    .await;
    let c = api.get("/conversations/c1").await.1;
    assert_eq!(settings(&c, "b"), (json!("Read"), json!("MentionsOnly")));
    // A PATCH with an empty body, or none, changes nothing.
    assert_eq!(
        api.patch("/conversations/c1/participants/b", json!({}))
            .await
            .0,
        200
    );
    let (s, _) = api
        .call(
            reqwest::Method::PATCH,
            "/conversations/c1/participants/b",
            None,
        )
        .await;
    assert_eq!(s, 200);
    let c = api.get("/conversations/c1").await.1;
    assert_eq!(settings(&c, "b"), (json!("Read"), json!("MentionsOnly")));
    // PUT without fields after the PATCHes: both settings back to defaults,
    // the participant is the same (join time kept).
    assert_eq!(
        api.put("/conversations/c1/participants/b", json!({}))
            .await
            .0,
        200
    );
    let c = api.get("/conversations/c1").await.1;
    assert_eq!(settings(&c, "b"), (json!("ReadWrite"), json!(true)));
    assert_eq!(c["participants"]["b"]["joinedAt"], joined_at);
    // PATCH is no join: 404 for a non-participant, who stays out.
    let (s, e) = api
        .patch(
            "/conversations/c1/participants/c",
            json!({"access": "Read"}),
        )
        .await;
    assert_eq!(s, 404, "{e}");
    assert!(
        api.get("/conversations/c1").await.1["participants"]
            .get("c")
            .is_none()
    );
    // ... also for one who left.
    api.delete("/conversations/c1/participants/b").await;
    assert_eq!(
        api.patch("/conversations/c1/participants/b", json!({"notify": true}))
            .await
            .0,
        404
    );
    // Unknown conversation.
    assert_eq!(
        api.patch(
            "/conversations/nope/participants/a",
            json!({"notify": true})
        )
        .await
        .0,
        404
    );
    // Validation as for PUT (and before the 404).
    for bad in [
        json!({"access": "Write"}),
        json!({"notify": "sometimes"}),
        json!([]),
    ] {
        assert_eq!(
            api.patch("/conversations/c1/participants/a", bad.clone())
                .await
                .0,
            400,
            "{bad}"
        );
    }
    // Over the batch endpoint too.
    let (s, b) = api
        .post(
            "/batch",
            json!([[1, "PATCH", "/conversations/c1/participants/a", {"notify": false}]]),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let c = api.get("/conversations/c1").await.1;
    assert_eq!(settings(&c, "a"), (json!("ReadWrite"), json!(false)));
}

#[tokio::test]
async fn access_none_is_stored_and_shown() {
    let api = Api::start().await;
    api.users(&["a", "b"]).await;
    api.conversation("c1", &["a"]).await;
    assert_eq!(
        api.put(
            "/conversations/c1/participants/b",
            json!({"access": "None", "notify": false})
        )
        .await,
        (200, json!({}))
    );
    let c = api.get("/conversations/c1").await.1;
    assert_eq!(c["participants"]["b"]["access"], "None");
    assert_eq!(c["participants"]["b"]["notify"], false);
    // Shown wherever the conversation is listed.
    let all = api.get("/conversations").await.1;
    assert_eq!(all["data"][0]["participants"]["b"]["access"], "None");
    let mine = api.get("/users/b/conversations").await.1;
    assert_eq!(mine["data"][0]["participants"]["b"]["access"], "None");
    // PATCH to and from None.
    api.patch(
        "/conversations/c1/participants/a",
        json!({"access": "None"}),
    )
    .await;
    api.patch(
        "/conversations/c1/participants/b",
        json!({"access": "Read"}),
    )
    .await;
    let c = api.get("/conversations/c1").await.1;
    assert_eq!(c["participants"]["a"]["access"], "None");
    assert_eq!(c["participants"]["b"]["access"], "Read");
    assert_eq!(c["participants"]["b"]["notify"], false);
    // Case matters.
    for bad in ["none", "NONE", "readwrite", "read", ""] {
        let (s, e) = api
            .put("/conversations/c1/participants/b", json!({ "access": bad }))
            .await;
        assert_eq!(s, 400, "PUT {bad:?}: {e}");
        assert_eq!(
            api.patch("/conversations/c1/participants/b", json!({ "access": bad }))
                .await
                .0,
            400,
            "PATCH {bad:?}"
        );
    }
    assert_eq!(
        api.get("/conversations/c1").await.1["participants"]["b"]["access"],
        "Read",
        "refused calls change nothing"
    );
}

#[tokio::test]
async fn read_markers_and_unreads() {
    let api = Api::start().await;
    api.users(&["a", "b"]).await;
    api.conversation("c1", &["a", "b"]).await;
    api.conversation("c2", &["a", "b"]).await;
    let m = api.say("c1", "a", "hi").await;
    let c = api.get("/conversations/c1").await.1;
    assert_eq!(c["participants"]["a"]["isUnread"], false, "own message");
    assert_eq!(c["participants"]["b"]["isUnread"], true);
    assert_eq!(c["lastMessage"]["id"], m.as_str());
    let unread = api.get("/users/b/conversations?unreadsOnly=true").await.1;
    assert_eq!(unread["data"].as_array().unwrap().len(), 1);
    assert_eq!(unread["data"][0]["id"], "c1");
    assert_eq!(
        api.get("/users/b/conversations").await.1["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        api.patch("/users/b/conversations/c1", json!({"readUntil": "sent"}))
            .await,
        (200, json!({}))
    );
    let c = api.get("/conversations/c1").await.1;
    assert_eq!(c["participants"]["b"]["isUnread"], false);
    assert_eq!(
        api.get(&format!("/conversations/c1/messages/{m}")).await.1["readBy"],
        json!(["b"])
    );
    assert_eq!(
        api.get("/users/b/conversations?unreadsOnly=true").await.1["data"],
        json!([])
    );
    // Back to before the message: unread again.
    assert_eq!(
        api.patch("/users/b/conversations/c1", json!({"readUntil": 0}))
            .await
            .0,
        200
    );
    assert_eq!(
        api.get("/conversations/c1").await.1["participants"]["b"]["isUnread"],
        true
    );
    assert_eq!(
        api.patch("/users/b/conversations/c1", json!({"readUntil": "later"}))
            .await
            .0,
        400
    );
    assert_eq!(
        api.patch("/users/zz/conversations/c1", json!({"readUntil": "sent"}))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn user_conversations_and_filters() {
    let api = Api::start().await;
    assert_eq!(api.get("/users/ghost/conversations").await.0, 404);
    api.users(&["a", "b"]).await;
    api.conversation("old", &["a"]).await;
    tick().await;
    api.conversation("new", &["a"]).await;
    tick().await;
    api.conversation("quiet", &["a", "b"]).await;
    tick().await;
    api.post(
        "/import/conversations/old/messages",
        json!([{"type": "UserMessage", "sender": "a", "text": "x", "timestamp": 1000, "readBy": []}]),
    )
    .await;
    api.say("new", "a", "y").await;
    // Last activity, latest first: `old`'s imported message is from 1970.
    assert_eq!(
        ids(api.get("/users/a/conversations").await.1),
        ["new", "quiet", "old"]
    );
    assert_eq!(
        ids(api
            .get("/users/a/conversations?lastMessageBefore=2000")
            .await
            .1),
        ["old"]
    );
    assert_eq!(
        ids(api
            .get("/users/a/conversations?lastMessageAfter=2000")
            .await
            .1),
        ["new"]
    );
    assert_eq!(
        ids(api
            .get("/conversations?lastMessageAfter=999&lastMessageBefore=1001")
            .await
            .1),
        ["old"]
    );
    assert_eq!(
        ids(api.get("/conversations?startingAfter=new&limit=1").await.1),
        ["quiet"]
    );
    assert_eq!(
        ids(api.get("/users/a/conversations?startingAfter=new").await.1),
        ["quiet", "old"]
    );
    assert_eq!(api.get("/conversations?lastMessageAfter=soon").await.0, 400);
    assert_eq!(
        api.get("/users/a/conversations?unreadsOnly=maybe").await.0,
        400
    );
}

/// Lets the clock move on, so the next change gets a later timestamp.
async fn tick() {
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
}

/// The ids of a list page.
fn ids(v: serde_json::Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {v}"))
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// `GET path` with a `TalkJS-REST-Version` header.
async fn get_with_version(api: &Api, path: &str, version: &str) -> (u16, serde_json::Value) {
    let resp = api
        .http
        .get(format!("{}{}", api.emu.api_url(), path))
        .bearer_auth(api.emu.secret_key())
        .header("TalkJS-REST-Version", version)
        .send()
        .await
        .expect("request completes");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON"))
}

/// Pages `path` (which has a query already) with `limit=2` and
/// `startingAfter`; every id seen, in order.
async fn page_through(api: &Api, path: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    loop {
        let cursor = seen
            .last()
            .map(|c| format!("&startingAfter={c}"))
            .unwrap_or_default();
        let (s, page) = api.get(&format!("{path}&limit=2{cursor}")).await;
        assert_eq!(s, 200, "{page}");
        let page = ids(page);
        let full = page.len() == 2;
        seen.extend(page);
        if !full {
            return seen;
        }
    }
}

/// Both conversation lists follow TalkJS's order: last activity (last
/// message, else creation), latest first, by default; `orderBy=createdAt`
/// and `orderDirection=asc` change it; paging visits each conversation once
/// in every order; `TalkJS-REST-Version` before 2021-02-09 fixes the order
/// to creation time, latest first.
#[tokio::test]
async fn conversation_lists_order_by_last_activity() {
    let api = Api::start().await;
    api.users(&["a", "b"]).await;
    for (c, who) in [
        ("c1", &["a"][..]),
        ("c2", &["a", "b"]),
        ("c3", &["a"]),
        ("c4", &["a", "b"]),
        ("c5", &["a"]),
    ] {
        api.conversation(c, who).await;
        tick().await;
    }
    let all = |q: &str| format!("/conversations?x=1{q}");
    let mine = |q: &str| format!("/users/a/conversations?x=1{q}");
    // No messages yet: last activity is creation.
    assert_eq!(
        ids(api.get("/conversations").await.1),
        ["c5", "c4", "c3", "c2", "c1"]
    );
    // A new message moves a conversation to the front, in both lists.
    api.say("c2", "a", "hi").await;
    tick().await;
    api.say("c4", "b", "hi").await;
    tick().await;
    let by_activity = ["c4", "c2", "c5", "c3", "c1"];
    assert_eq!(ids(api.get("/conversations").await.1), by_activity);
    assert_eq!(ids(api.get(&mine("")).await.1), by_activity);
    assert_eq!(ids(api.get("/users/b/conversations").await.1), ["c4", "c2"]);
    let explicit = "&orderBy=lastMessageAt&orderDirection=desc";
    assert_eq!(ids(api.get(&all(explicit)).await.1), by_activity);
    let mut asc = by_activity;
    asc.reverse();
    assert_eq!(ids(api.get(&all("&orderDirection=asc")).await.1), asc);
    let by_creation = ["c5", "c4", "c3", "c2", "c1"];
    assert_eq!(
        ids(api.get(&mine("&orderBy=createdAt")).await.1),
        by_creation
    );
    assert_eq!(
        ids(api
            .get(&all("&orderBy=createdAt&orderDirection=asc"))
            .await
            .1),
        ["c1", "c2", "c3", "c4", "c5"]
    );
    // Paging with limit 2 visits each conversation exactly once, in order.
    for q in [
        "",
        "&orderDirection=asc",
        "&orderBy=createdAt",
        "&orderBy=createdAt&orderDirection=asc",
    ] {
        for path in [all(q), mine(q)] {
            let whole = ids(api.get(&path).await.1);
            assert_eq!(whole.len(), 5);
            assert_eq!(page_through(&api, &path).await, whole, "{path}");
        }
    }
    // An imported message counts by its timestamp: an old one moves
    // nothing; deleting the newest message moves the conversation back.
    api.post(
        "/import/conversations/c1/messages",
        json!([{"type": "UserMessage", "sender": "a", "text": "x", "timestamp": 1000, "readBy": []}]),
    )
    .await;
    assert_eq!(
        ids(api.get("/conversations").await.1),
        ["c4", "c2", "c5", "c3", "c1"]
    );
    let m = api.say("c1", "a", "late").await;
    assert_eq!(
        ids(api.get("/conversations").await.1),
        ["c1", "c4", "c2", "c5", "c3"]
    );
    assert_eq!(
        api.delete(&format!("/conversations/c1/messages/{m}"))
            .await
            .0,
        200
    );
    assert_eq!(ids(api.get("/conversations").await.1), by_activity);
    // Before 2021-02-09: creation time, latest first, parameters ignored.
    for path in [
        "/conversations",
        "/conversations?orderBy=lastMessageAt&orderDirection=asc",
        "/users/a/conversations?orderBy=bogus",
    ] {
        let (s, page) = get_with_version(&api, path, "2021-01-01").await;
        assert_eq!(
            (s, ids(page)),
            (200, by_creation.map(String::from).to_vec()),
            "{path}"
        );
    }
    let (s, page) = get_with_version(&api, "/conversations", "2021-02-09").await;
    assert_eq!(
        (s, ids(page)),
        (200, by_activity.map(String::from).to_vec())
    );
    // A batch operation's own api_version counts the same way.
    let (s, r) = api
        .post(
            "/batch",
            json!([
                [1, "GET", "/conversations", null, {"api_version": "2021-01-01"}],
                [2, "GET", "/conversations"]
            ]),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(ids(r[0][2].clone()), by_creation);
    assert_eq!(ids(r[1][2].clone()), by_activity);
    // Unknown values: 400 naming the parameter and the accepted values.
    for (q, words) in [
        (
            "orderBy=updatedAt",
            ["orderBy", "lastMessageAt", "createdAt"],
        ),
        ("orderDirection=up", ["orderDirection", "desc", "asc"]),
    ] {
        for path in [
            format!("/conversations?{q}"),
            format!("/users/a/conversations?{q}"),
        ] {
            let (s, e) = api.get(&path).await;
            assert_eq!(s, 400, "{path}: {e}");
            let msg = e["message"].as_str().unwrap_or_default();
            for w in words {
                assert!(msg.contains(w), "{path}: {msg}");
            }
        }
    }
    // An unknown cursor is still a 400; a deleted conversation is gone.
    assert_eq!(api.get("/conversations?startingAfter=nope").await.0, 400);
    api.delete("/conversations/c2").await;
    assert_eq!(ids(api.get("/users/b/conversations").await.1), ["c4"]);
}

#[tokio::test]
async fn delete_removes_conversation_and_messages() {
    let api = Api::start().await;
    api.users(&["a"]).await;
    api.conversation("c1", &["a"]).await;
    api.say("c1", "a", "hello").await;
    assert_eq!(api.delete("/conversations/c1").await, (200, json!({})));
    assert_eq!(api.get("/conversations/c1").await.0, 404);
    assert_eq!(api.get("/conversations/c1/messages").await.0, 404);
    assert!(api.emu.messages("c1").is_empty());
    assert_eq!(api.get("/users/a/conversations").await.1["data"], json!([]));
    assert_eq!(api.delete("/conversations/c1").await.0, 404);
    // Re-creating starts empty.
    api.conversation("c1", &["a"]).await;
    assert_eq!(
        api.get("/conversations/c1/messages").await.1["data"],
        json!([])
    );
}

#[tokio::test]
async fn deprecated_participants_paths() {
    let api = Api::start().await;
    api.users(&["42", "9,8", "98"]).await;
    assert_eq!(api.get("/conversations/participants=42,98").await.0, 404);
    let (s, c) = api
        .put(
            "/conversations/participants=98,42;topic=612",
            json!({"subject": "s"}),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["topicId"], "612");
    let id = c["id"].as_str().unwrap().to_owned();
    let mut ps: Vec<_> = c["participants"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    ps.sort();
    assert_eq!(ps, ["42", "98"]);
    // Same set in another order and the same topic: the same conversation.
    let (s, c2) = api.get("/conversations/participants=42,98;topic=612").await;
    assert_eq!((s, c2["id"].as_str()), (200, Some(id.as_str())));
    // Without the topic it is another conversation.
    assert_eq!(api.get("/conversations/participants=42,98").await.0, 404);
    // An encoded comma stays inside an id.
    let (s, m) = api
        .post(
            "/conversations/participants=9%2C8,42/messages",
            json!([{"type": "UserMessage", "sender": "9,8", "text": "hi"}]),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    let (s, page) = api
        .get("/conversations/participants=42,9%2C8/messages")
        .await;
    assert_eq!(s, 200);
    assert_eq!(page["data"][0]["senderId"], "9,8");
    assert_eq!(
        api.get("/conversations/participants=42;color=red").await.0,
        400
    );
}
