//! Pages, cursors and streams: every list paged by hand and streamed to
//! its end, each item once, and a server whose paging would never end.

use std::collections::HashSet;
use std::time::{Duration, UNIX_EPOCH};

use futures::TryStreamExt;
use talkjs::{ConversationOrder, Error, OrderDirection};
use wiremock::ResponseTemplate;

use crate::common::{assert_validation, emulator, import, text, with_participants};
use crate::fixtures::{chat, conv_ids, ids_of, requests_to, users};
use crate::wire::answering;

// ------------------------------------------------- against the emulator

#[tokio::test]
async fn users_page_and_stream_list_every_user_once() {
    let (emu, client) = emulator().await;
    let ids: Vec<String> = (0..25).map(|i| format!("user{i:02}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    users(&client, &refs).await;

    let first = client.users().list().limit(10).send().await.unwrap();
    assert_eq!(first.items.len(), 10);
    // A full page: its cursor is its last item's id.
    let cursor = first.next_cursor().unwrap().to_owned();
    assert_eq!(Some(&cursor), first.items.last().unwrap().id.as_ref());
    let second = client
        .users()
        .list()
        .limit(10)
        .starting_after(&cursor)
        .send()
        .await
        .unwrap();
    assert_eq!(second.items.len(), 10);
    let first_ids = ids_of(&first.items, |u| u.id.as_ref());
    let second_ids = ids_of(&second.items, |u| u.id.as_ref());
    assert!(first_ids.iter().all(|id| !second_ids.contains(id)));
    let list = requests_to(&emu, "GET", "/users");
    assert_eq!(
        list.last().unwrap().query.as_deref(),
        Some(format!("limit=10&startingAfter={cursor}").as_str())
    );

    // The last, short page has no next cursor.
    let third = client
        .users()
        .list()
        .limit(10)
        .starting_after(second.next_cursor().unwrap());
    let third = third.send().await.unwrap();
    assert_eq!((third.items.len(), third.next_cursor()), (5, None));

    // Unset, the limit is 100 and goes on the wire.
    emu.clear_log();
    assert_eq!(client.users().list().send().await.unwrap().items.len(), 25);
    assert_eq!(
        requests_to(&emu, "GET", "/users")[0].query.as_deref(),
        Some("limit=100")
    );

    // A stream from a cursor: the rest of the list.
    let rest: Vec<_> = client
        .users()
        .list()
        .limit(10)
        .starting_after(&cursor)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest.len(), 15);
    assert_eq!(ids_of(&rest, |u| u.id.as_ref())[..10], second_ids[..]);

    emu.clear_log();
    let all: Vec<_> = client
        .users()
        .list()
        .limit(10)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let streamed = ids_of(&all, |u| u.id.as_ref());
    assert_eq!(streamed.len(), 25, "{streamed:?}");
    let unique: HashSet<&String> = streamed.iter().collect();
    assert_eq!(unique.len(), 25, "duplicates: {streamed:?}");
    assert_eq!(unique, ids.iter().collect::<HashSet<_>>());
    // 10 + 10 + 5: the short page ends the stream.
    assert_eq!(requests_to(&emu, "GET", "/users").len(), 3);
}

#[tokio::test]
async fn conversations_page_and_stream_with_filters() {
    let (emu, client) = emulator().await;
    users(&client, &["alice"]).await;
    let ids: Vec<String> = (0..25).map(|i| format!("conv{i:02}")).collect();
    for id in &ids {
        client
            .conversations()
            .upsert(id, with_participants(&["alice"]))
            .await
            .unwrap();
    }
    // Last messages at 1_000, 2_000, 3_000 in conv00..conv02.
    for (i, id) in ids.iter().take(3).enumerate() {
        client
            .messages(id.as_str())
            .import(vec![import("alice", "x", 1_000 * (i as i64 + 1))])
            .await
            .unwrap();
    }
    let c = client.conversations();
    // Creation order, oldest first, so that pages follow `ids`.
    let by_creation = || {
        c.list()
            .order(ConversationOrder::CreatedAt, OrderDirection::Ascending)
            .limit(10)
    };

    let first = by_creation().send().await.unwrap();
    assert_eq!(conv_ids(&first.items), ids[..10]);
    assert_eq!(first.next_cursor(), Some("conv09"));
    let second = by_creation().starting_after("conv09").send().await.unwrap();
    assert_eq!(conv_ids(&second.items), ids[10..20]);

    emu.clear_log();
    let all: Vec<_> = by_creation().stream().try_collect().await.unwrap();
    assert_eq!(conv_ids(&all), ids);
    assert_eq!(requests_to(&emu, "GET", "/conversations").len(), 3);
    // The default order is TalkJS's: last activity, latest first, so the
    // three conversations with 1970 messages come last, newest of them first.
    let latest: Vec<_> = c.list().limit(10).stream().try_collect().await.unwrap();
    assert_eq!(conv_ids(&latest)[22..], ["conv02", "conv01", "conv00"]);

    let page = by_creation().before(2_500i64).send().await.unwrap();
    assert_eq!(conv_ids(&page.items), ["conv00", "conv01"]);
    let after = by_creation().after(UNIX_EPOCH + Duration::from_millis(1_500));
    let streamed: Vec<_> = after.limit(1).stream().try_collect().await.unwrap();
    assert_eq!(conv_ids(&streamed), ["conv01", "conv02"]);

    // unreadsOnly is refused on the app-wide list, before sending.
    let sent = emu.requests().len();
    assert_validation(c.list().unreads_only().send().await, "unreadsOnly");
    let streamed: Result<Vec<_>, _> = c.list().unreads_only().stream().try_collect().await;
    assert_validation(streamed, "unreadsOnly");
    assert_validation(c.list().limit(0).send().await, "limit");
    assert_eq!(emu.requests().len(), sent);
}

#[tokio::test]
async fn messages_page_and_stream_newest_first() {
    let (emu, client) = emulator().await;
    chat(&client).await;
    let messages = (0..12).map(|i| text("alice", &format!("m{i}"))).collect();
    let mut ids = client.messages("chat").send(messages).await.unwrap();
    ids.reverse();

    let m = client.messages("chat");
    let page = m.list().limit(5).send().await.unwrap();
    assert_eq!(ids_of(&page.items, |m| m.id.as_ref()), ids[..5]);
    assert_eq!(page.next_cursor(), Some(ids[4].as_str()));
    let page = m
        .list()
        .limit(5)
        .starting_after(&ids[4])
        .send()
        .await
        .unwrap();
    assert_eq!(ids_of(&page.items, |m| m.id.as_ref()), ids[5..10]);

    emu.clear_log();
    let all: Vec<_> = m.list().limit(5).stream().try_collect().await.unwrap();
    assert_eq!(ids_of(&all, |m| m.id.as_ref()), ids);
    assert_eq!(
        requests_to(&emu, "GET", "/conversations/chat/messages").len(),
        3
    );
    assert_eq!(all[0].text.as_deref(), Some("m11"));
}

// -------------------------------------------- servers that break paging

#[tokio::test]
async fn a_server_that_repeats_a_cursor_ends_the_stream_with_an_error() {
    use futures::StreamExt;
    // Every page is the same full page: a naive loop would never end.
    let page: Vec<_> = (0..2)
        .map(|i| serde_json::json!({"id": format!("u{i}")}))
        .collect();
    let template = ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": page}));
    let (server, client) = answering(template).await;
    let items: Vec<_> = client.users().list().limit(2).stream().collect().await;
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
    let items: Vec<_> = client
        .users()
        .list()
        .limit(10)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_full_page_without_a_last_id_is_an_error_not_the_end() {
    // Calling it the last page would skip the rest of the list.
    let (server, client) = answering(
        ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": [{"id": "a"}, {}]})),
    )
    .await;
    let page = client.users().list().limit(2).send().await;
    assert!(
        matches!(&page, Err(Error::Protocol(m)) if m.contains("without an id")),
        "{page:?}"
    );
    let streamed: Result<Vec<_>, _> = client.users().list().limit(2).stream().try_collect().await;
    assert!(matches!(streamed, Err(Error::Protocol(_))));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}
