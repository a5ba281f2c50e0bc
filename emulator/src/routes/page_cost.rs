//! Work-counter tests: every list page visits only the items it returns
//! (plus, for filtered lists, the items the filter skips), wherever the
//! cursor is. `Ctx::list_visits` counts each stored item a list examines.

use std::sync::atomic::Ordering;

use http::Method;

use super::conversations::start;
use crate::ctx::Ctx;
use crate::router::{ApiRequest, dispatch};
use crate::state::conversations::Participant;
use crate::state::messages::Message;
use crate::state::{Conversation, Store, User};

const TOTAL: usize = 100_000;

/// `GET {path}?{query}`: the answer's items' ids and the items visited.
fn list(ctx: &Ctx, path: &str, query: &[(&str, &str)]) -> (Vec<String>, u64) {
    let before = ctx.list_visits.load(Ordering::Relaxed);
    let req = ApiRequest {
        method: Method::GET,
        segments: path.split('/').collect(),
        query: query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body: b"",
        content_type: None,
        in_batch: false,
    };
    let reply = dispatch(ctx, &req);
    assert_eq!(reply.status, 200, "{path} {query:?}: {}", reply.body);
    let visits = ctx.list_visits.load(Ordering::Relaxed) - before;
    let ids = reply.body["data"]
        .as_array()
        .expect("a page")
        .iter()
        .map(|v| v["id"].as_str().expect("id").to_owned())
        .collect();
    (ids, visits)
}

/// Lists `path` with `limit=100`, first without a cursor, then from
/// `cursor`: each page is 100 items, running from the given first to last
/// ids, and each visits exactly its 100 items.
fn assert_deep_page_costs_the_same(
    ctx: &Ctx,
    path: &str,
    cursor: &str,
    first_page: (&str, &str),
    deep_page: (&str, &str),
) {
    // `first`/`last`, not indexing: a short page fails the assertion with
    // its length instead of panicking out of bounds.
    fn ends(ids: &[String]) -> (usize, Option<&str>, Option<&str>) {
        let (first, last) = (ids.first(), ids.last());
        (
            ids.len(),
            first.map(String::as_str),
            last.map(String::as_str),
        )
    }
    let (first, v1) = list(ctx, path, &[("limit", "100")]);
    let (deep, v2) = list(ctx, path, &[("limit", "100"), ("startingAfter", cursor)]);
    assert_eq!(
        ends(&first),
        (100, Some(first_page.0), Some(first_page.1)),
        "{path}: first page"
    );
    assert_eq!(
        ends(&deep),
        (100, Some(deep_page.0), Some(deep_page.1)),
        "{path}: deep page"
    );
    assert_eq!((v1, v2), (100, 100), "{path}: items visited");
}

fn conversation(id: &str, participants: &[&str]) -> Conversation {
    Conversation {
        id: id.to_owned(),
        participants: participants
            .iter()
            .map(|u| ((*u).to_owned(), Participant::new(0)))
            .collect(),
        ..Conversation::default()
    }
}

fn add_user(store: &mut Store, id: &str) {
    store.users.insert(
        id.into(),
        User {
            id: id.into(),
            ..User::default()
        },
    );
}

/// Page 1,000 of 100,000 conversations costs what page 1 costs: the
/// cursor is a B-tree seek, then only the page's items are visited.
#[test]
fn conversations_deep_page_costs_the_same_as_the_first() {
    let ctx = Ctx::for_tests();
    {
        let mut store = ctx.store();
        for i in 0..TOTAL {
            let id = format!("c{i:06}");
            start(&mut store, conversation(&id, &[]));
        }
    }
    assert_deep_page_costs_the_same(
        &ctx,
        "conversations",
        "c099899",
        ("c000000", "c000099"),
        ("c099900", "c099999"),
    );
}

#[test]
fn users_deep_page_costs_the_same_as_the_first() {
    let ctx = Ctx::for_tests();
    {
        let mut store = ctx.store();
        for i in 0..TOTAL {
            add_user(&mut store, &format!("u{i:06}"));
        }
    }
    assert_deep_page_costs_the_same(
        &ctx,
        "users",
        "u099899",
        ("u000000", "u000099"),
        ("u099900", "u099999"),
    );
}

#[test]
fn messages_deep_page_costs_the_same_as_the_first() {
    let ctx = Ctx::for_tests();
    {
        let mut store = ctx.store();
        start(&mut store, conversation("c", &["a"]));
        let log = store.messages.entry("c".into()).or_default();
        for i in 0..TOTAL {
            log.insert(Message::for_tests(
                &format!("m{i:06}"),
                "c",
                Some("a"),
                i as i64,
            ));
        }
    }
    // Newest first: the deep page is the oldest 100.
    assert_deep_page_costs_the_same(
        &ctx,
        "conversations/c/messages",
        "m000100",
        ("m099999", "m099900"),
        ("m000099", "m000000"),
    );
}

#[test]
fn user_conversations_deep_page_costs_the_same_as_the_first() {
    let ctx = Ctx::for_tests();
    {
        let mut store = ctx.store();
        add_user(&mut store, "a");
        for i in 0..TOTAL {
            let id = format!("c{i:06}");
            // Every other conversation is someone else's: the index holds
            // only the user's own.
            let who: &[&str] = if i % 2 == 0 { &["a"] } else { &["b"] };
            start(&mut store, conversation(&id, who));
        }
    }
    assert_deep_page_costs_the_same(
        &ctx,
        "users/a/conversations",
        "c099798",
        ("c000000", "c000198"),
        ("c099800", "c099998"),
    );
}

/// Filtered lists scan forward from the cursor in list order and skip
/// what does not match, so a page costs the page plus the items skipped
/// between the cursor and the page's last item (documented in the
/// README). Here one conversation in 10 matches: a page of 10 visits
/// exactly 100 items, on page 1 as deep in the list.
#[test]
fn filtered_pages_cost_the_page_plus_what_the_filter_skips() {
    const N: usize = 20_000;
    let ctx = Ctx::for_tests();
    {
        let mut store = ctx.store();
        add_user(&mut store, "a");
        for i in 0..N {
            let id = format!("c{i:06}");
            start(&mut store, conversation(&id, &["a", "b"]));
            // Every 10th conversation's last message is recent and from b
            // (unread by a); the others' is old and from a (read by a).
            let (at, sender) = if i % 10 == 9 {
                (2_000, "b")
            } else {
                (1_000, "a")
            };
            let log = store.messages.entry(id.clone()).or_default();
            log.insert(Message::for_tests(&format!("m{i}"), &id, Some(sender), at));
            if sender == "a" {
                let c = store.conversations.get_mut(&id).expect("inserted");
                c.participants.get_mut("a").expect("joined").read_until = Some(at);
            }
        }
    }
    let matches = |from: usize| -> Vec<String> {
        (from..N)
            .filter(|i| i % 10 == 9)
            .take(10)
            .map(|i| format!("c{i:06}"))
            .collect()
    };
    // The cursor: the last match before position 15,000.
    let deep_cursor = "c014999";
    for (path, filter) in [
        ("conversations", ("lastMessageAfter", "1500")),
        ("users/a/conversations", ("lastMessageAfter", "1500")),
        ("users/a/conversations", ("unreadsOnly", "true")),
    ] {
        let (first, v1) = list(&ctx, path, &[filter]);
        assert_eq!(first, matches(0), "{path} {filter:?}");
        let (deep, v2) = list(&ctx, path, &[filter, ("startingAfter", deep_cursor)]);
        assert_eq!(deep, matches(15_000), "{path} {filter:?}");
        // Page (10) + skipped (90), wherever the page is.
        assert_eq!((v1, v2), (100, 100), "{path} {filter:?}");
    }
    // lastMessageBefore: 9 in 10 match, so a page of 10 skips one.
    for path in ["conversations", "users/a/conversations"] {
        let (page, visits) = list(
            &ctx,
            path,
            &[
                ("lastMessageBefore", "1500"),
                ("startingAfter", deep_cursor),
            ],
        );
        assert_eq!(page.first().map(String::as_str), Some("c015000"));
        assert_eq!(page.last().map(String::as_str), Some("c015010"));
        assert_eq!(visits, 11, "{path}");
    }
}

/// The user's conversation list visits only the user's own conversations:
/// others' never enter the index, whatever the filters.
#[test]
fn user_conversation_filters_never_visit_other_users_conversations() {
    let ctx = Ctx::for_tests();
    {
        let mut store = ctx.store();
        for u in ["a", "b"] {
            add_user(&mut store, u);
        }
        for i in 0..10_000 {
            let id = format!("c{i:06}");
            let who = if i < 9_990 { "b" } else { "a" };
            start(&mut store, conversation(&id, &[who]));
        }
    }
    let (page, visits) = list(&ctx, "users/a/conversations", &[("unreadsOnly", "true")]);
    assert!(page.is_empty());
    assert_eq!(visits, 10, "only a's 10 conversations are examined");
}
