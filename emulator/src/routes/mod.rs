//! Handlers of the `/v1/{appId}/...` operations, one file per resource.

pub mod batch;
pub mod conversations;
pub mod files;
pub mod messages;
pub mod paging;
pub mod users;

#[cfg(test)]
mod page_cost;
