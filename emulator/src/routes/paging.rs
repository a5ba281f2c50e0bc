//! Query parameters shared by list operations: `limit` (1..=100, default
//! 10), `startingAfter` (id of the previous page's last item) and the
//! last-message filters.

use crate::reply::{Reply, Result};
use crate::state::order::{ListOrder, OrderBy};

/// Parsed list parameters.
#[derive(Debug, Default)]
pub struct ListParams {
    /// Page size.
    pub limit: usize,
    /// Cursor: the id of the last item of the previous page.
    pub starting_after: Option<String>,
    /// Only conversations whose last message is older than this (Unix ms).
    pub last_message_before: Option<i64>,
    /// Only conversations whose last message is newer than this (Unix ms).
    pub last_message_after: Option<i64>,
    /// Only conversations unread by the user.
    pub unreads_only: bool,
}

impl ListParams {
    /// Reads the parameters; unknown ones are ignored, bad values are 400.
    pub fn parse(query: &[(String, String)]) -> Result<Self> {
        let mut p = ListParams {
            limit: 10,
            ..Default::default()
        };
        for (k, v) in query {
            match k.as_str() {
                "limit" => {
                    p.limit = v
                        .parse::<usize>()
                        .ok()
                        .filter(|l| (1..=100).contains(l))
                        .ok_or_else(|| {
                            Reply::bad_request("limit must be a number between 1 and 100")
                        })?;
                }
                "startingAfter" => p.starting_after = Some(v.clone()),
                "lastMessageBefore" => p.last_message_before = Some(ms(k, v)?),
                "lastMessageAfter" => p.last_message_after = Some(ms(k, v)?),
                "unreadsOnly" => {
                    p.unreads_only = match v.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(Reply::bad_request("unreadsOnly must be true or false")),
                    }
                }
                _ => {}
            }
        }
        Ok(p)
    }

    /// Whether a conversation whose newest message was created at `last`
    /// passes the last-message filters. Without a message it passes only
    /// when no filter is set.
    pub fn last_message_matches(&self, last: Option<i64>) -> bool {
        if self.last_message_before.is_none() && self.last_message_after.is_none() {
            return true;
        }
        let Some(t) = last else { return false };
        self.last_message_before.is_none_or(|b| t < b)
            && self.last_message_after.is_none_or(|a| t > a)
    }
}

/// The first `TalkJS-REST-Version` whose conversation lists are ordered by
/// last activity and take `orderBy`/`orderDirection` (TalkJS's API
/// changelog); before it the order is `createdAt`, latest first, fixed.
pub const SORTABLE_SINCE: &str = "2021-02-09";

/// The order of a conversation list: `orderBy` = `lastMessageAt` (default)
/// | `createdAt`, `orderDirection` = `desc` (default) | `asc`; other values
/// are a 400 naming the parameter and the accepted values. TalkJS
/// documents the parameters but not their values, so these are the
/// natural reading. With a `rest_version` (`YYYY-MM-DD`) before
/// [`SORTABLE_SINCE`] the order is `createdAt` descending and both
/// parameters are ignored, unchecked.
pub fn list_order(query: &[(String, String)], rest_version: Option<&str>) -> Result<ListOrder> {
    if rest_version.is_some_and(|v| v < SORTABLE_SINCE) {
        return Ok(ListOrder {
            by: OrderBy::CreatedAt,
            descending: true,
        });
    }
    let mut order = ListOrder::default();
    for (k, v) in query {
        match k.as_str() {
            "orderBy" => {
                order.by = match v.as_str() {
                    "lastMessageAt" => OrderBy::LastActivity,
                    "createdAt" => OrderBy::CreatedAt,
                    _ => {
                        return Err(Reply::bad_request(format!(
                            "orderBy must be \"lastMessageAt\" or \"createdAt\", got {v:?}"
                        )));
                    }
                }
            }
            "orderDirection" => {
                order.descending = match v.as_str() {
                    "desc" => true,
                    "asc" => false,
                    _ => {
                        return Err(Reply::bad_request(format!(
                            "orderDirection must be \"desc\" or \"asc\", got {v:?}"
                        )));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(order)
}

fn ms(name: &str, v: &str) -> Result<i64> {
    v.parse::<i64>()
        .map_err(|_| Reply::bad_request(format!("{name} must be a Unix timestamp in milliseconds")))
}

/// The 400 for a cursor that names no item. The emulator rejects unknown
/// cursors rather than answering an empty page, so client bugs show up.
pub fn unknown_cursor(id: &str) -> Reply {
    Reply::bad_request(format!(
        "startingAfter {id:?} does not name an item of this list"
    ))
}

/// Wraps a page as TalkJS does: `{"data": [...]}` and nothing else.
pub fn page(items: Vec<serde_json::Value>) -> Reply {
    Reply::ok(serde_json::json!({ "data": items }))
}
