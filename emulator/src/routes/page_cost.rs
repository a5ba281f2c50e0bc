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
        rest_version: None,
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
    order: &[(&str, &str)],
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
    let mut query = order.to_vec();
    query.push(("limit", "100"));
    let (first, v1) = list(ctx, path, &query);
    query.push(("startingAfter", cursor));
    let (deep, v2) = list(ctx, path, &query);
    assert_eq!(
        ends(&first),
        (100, Some(first_page.0), Some(first_page.1)),
        "{path} {order:?}: first page"
    );
    assert_eq!(
        ends(&deep),
        (100, Some(deep_page.0), Some(deep_page.1)),
        "{path} {order:?}: deep page"
    );
    assert_eq!((v1, v2), (100, 100), "{path} {order:?}: items visited");
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

/// The four orders of the conversation lists, as query parameters.
const ORDERS: [&[(&str, &str)]; 4] = [
    &[],
    &[("orderDirection", "asc")],
    &[("orderBy", "createdAt")],
    &[("orderBy", "createdAt"), ("orderDirection", "asc")],
];

/// `n` conversations `c000000...`, created at `i / 3`, of user `a` (even
/// `i`) or `b` (odd `i`); every third has a message at a shuffled time
/// after every creation, so last activity and creation order differ. Times
/// repeat (three conversations per creation time, two messages per
/// message time), so ties are broken by id.
fn conversations_with_activity(store: &mut Store, n: usize) {
    for i in 0..n {
        let id = format!("c{i:06}");
        let who: &[&str] = if i % 2 == 0 { &["a"] } else { &["b"] };
        start(
            store,
            Conversation {
                created_at: (i / 3) as i64,
                ..conversation(&id, who)
            },
        );
        if i % 3 == 0 {
            let at = (n + (i * 7_919) % n / 2) as i64;
            let log = store.messages.entry(id.clone()).or_default();
            log.insert(Message::for_tests(&format!("m{i}"), &id, Some(who[0]), at));
            store.touch_activity(&id);
        }
    }
}

/// The ids of the conversations (only `user`'s, if given) in the order
/// `order` asks for, computed by sorting everything.
fn sorted(store: &Store, user: Option<&str>, order: &[(&str, &str)]) -> Vec<String> {
    let by_created = order.contains(&("orderBy", "createdAt"));
    let mut keyed: Vec<(i64, String)> = store
        .conversations
        .iter_after(None)
        .filter(|(_, c)| user.is_none_or(|u| c.participants.contains_key(u)))
        .map(|(_, c)| {
            let t = if by_created {
                c.created_at
            } else {
                store.last_activity(&c.id).expect("stored")
            };
            (t, c.id.clone())
        })
        .collect();
    keyed.sort();
    if !order.contains(&("orderDirection", "asc")) {
        keyed.reverse();
    }
    keyed.into_iter().map(|(_, id)| id).collect()
}

/// Page 1,000 of 100,000 conversations costs what page 1 costs, in every
/// order: the cursor is a B-tree seek, then only the page's items are
/// visited. The user's list holds only the user's own conversations.
#[test]
fn conversations_deep_page_costs_the_same_as_the_first() {
    let ctx = Ctx::for_tests();
    conversations_with_activity(&mut ctx.store(), TOTAL);
    for (path, user) in [
        ("conversations", None),
        ("users/a/conversations", Some("a")),
    ] {
        if let Some(u) = user {
            add_user(&mut ctx.store(), u);
        }
        for order in ORDERS {
            let all = sorted(&ctx.store(), user, order);
            // The page after the 100th-to-last item is the last 100.
            let deep = all.len() - 101;
            assert_deep_page_costs_the_same(
                &ctx,
                path,
                order,
                &all[deep],
                (&all[0], &all[99]),
                (&all[deep + 1], &all[deep + 100]),
            );
        }
    }
}

/// Paging a conversation list with `startingAfter` visits every
/// conversation exactly once, in the list's order, in every order.
#[test]
fn paging_visits_each_conversation_once_in_every_order() {
    let ctx = Ctx::for_tests();
    conversations_with_activity(&mut ctx.store(), 1_000);
    add_user(&mut ctx.store(), "a");
    for (path, user) in [
        ("conversations", None),
        ("users/a/conversations", Some("a")),
    ] {
        for order in ORDERS {
            let mut seen: Vec<String> = Vec::new();
            loop {
                let mut q = order.to_vec();
                q.push(("limit", "7"));
                let last = seen.last().cloned();
                if let Some(c) = &last {
                    q.push(("startingAfter", c.as_str()));
                }
                let (ids, _) = list(&ctx, path, &q);
                let full = ids.len() == 7;
                seen.extend(ids);
                if !full {
                    break;
                }
            }
            assert_eq!(seen, sorted(&ctx.store(), user, order), "{path} {order:?}");
        }
    }
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
        &[],
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
        &[],
        "m000100",
        ("m099999", "m099900"),
        ("m000099", "m000000"),
    );
}

/// Filtered lists scan forward from the cursor in list order and skip
/// what does not match, so a page costs the page plus the items skipped
/// between the cursor and the page's last item (documented in the
/// README). Here one conversation in 10 matches: a page of 10 visits
/// exactly 100 items, on page 1 as deep in the list. (In creation order,
/// ascending: every conversation here is created at 0, so that is id
/// order.)
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
            store.touch_activity(&id);
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
    let by_id = [("orderBy", "createdAt"), ("orderDirection", "asc")];
    for (path, filter) in [
        ("conversations", ("lastMessageAfter", "1500")),
        ("users/a/conversations", ("lastMessageAfter", "1500")),
        ("users/a/conversations", ("unreadsOnly", "true")),
    ] {
        let (first, v1) = list(&ctx, path, &[filter, by_id[0], by_id[1]]);
        assert_eq!(first, matches(0), "{path} {filter:?}");
        let (deep, v2) = list(
            &ctx,
            path,
            &[filter, by_id[0], by_id[1], ("startingAfter", deep_cursor)],
        );
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
                by_id[0],
                by_id[1],
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
