//! The typed calls, one file per resource. Each endpoint is one function
//! returning its [`crate::http::request::Request`], next to the method that
//! sends it; [`crate::BatchOp`] builds its operations from the same
//! functions.

pub(crate) mod anonymise;
pub(crate) mod app;
pub(crate) mod batch;
pub(crate) mod chunked;
pub(crate) mod conversations;
pub(crate) mod files;
pub(crate) mod filters;
pub(crate) mod legacy;
pub(crate) mod messages;
pub(crate) mod notifications;
pub mod pagination;
pub(crate) mod presences;
pub(crate) mod users;
pub mod validate;
