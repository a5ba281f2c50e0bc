//! Handlers of the `/v1/{appId}/...` operations, one file per resource.

pub mod app;
pub mod batch;
pub mod conversations;
pub mod files;
pub mod messages;
pub mod notifications;
pub mod paging;
pub mod presences;
pub mod users;

#[cfg(test)]
mod page_cost;
