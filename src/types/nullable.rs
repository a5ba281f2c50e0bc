//! Shorthands for the generated `Nullable*` input types.
//!
//! A clearable input field is `Option<NullableX>`: `None` leaves the field
//! as it is, `Some(NullableX::NULL)` sends `null` (TalkJS clears the field),
//! `Some(value.into())` sets it. These impls make both short, and the
//! setters of [`super::setters`] take them directly:
//!
//! ```
//! use talkjs::types::{NullableString, UserInput};
//! let rename = UserInput::default().name("Alice").photo_url(NullableString::NULL);
//! assert_eq!(
//!     serde_json::to_value(&rename).unwrap(),
//!     serde_json::json!({"name": "Alice", "photoUrl": null})
//! );
//! ```

use std::collections::HashMap;

use crate::raw::types::{Custom, NullableCustom, NullableString, NullableStringList};

impl NullableString {
    /// `null`: clears the field.
    pub const NULL: Self = NullableString(None);
}

impl From<&str> for NullableString {
    fn from(value: &str) -> Self {
        NullableString(Some(value.to_string()))
    }
}

impl From<String> for NullableString {
    fn from(value: String) -> Self {
        NullableString(Some(value))
    }
}

impl NullableStringList {
    /// `null`: clears the field.
    pub const NULL: Self = NullableStringList(None);
}

impl From<Vec<String>> for NullableStringList {
    fn from(value: Vec<String>) -> Self {
        NullableStringList(Some(value))
    }
}

/// One value: a list of one.
impl From<&str> for NullableStringList {
    fn from(value: &str) -> Self {
        NullableStringList(Some(vec![value.to_string()]))
    }
}

/// One value: a list of one.
impl From<String> for NullableStringList {
    fn from(value: String) -> Self {
        NullableStringList(Some(vec![value]))
    }
}

impl<const N: usize> From<[&str; N]> for NullableStringList {
    fn from(value: [&str; N]) -> Self {
        NullableStringList(Some(value.iter().map(|s| s.to_string()).collect()))
    }
}

impl From<&[&str]> for NullableStringList {
    fn from(value: &[&str]) -> Self {
        NullableStringList(Some(value.iter().map(|s| s.to_string()).collect()))
    }
}

impl NullableCustom {
    /// `null`: clears all custom data.
    pub const NULL: Self = NullableCustom(None);
}

impl From<HashMap<String, String>> for NullableCustom {
    fn from(value: HashMap<String, String>) -> Self {
        NullableCustom(Some(value))
    }
}

impl From<HashMap<String, String>> for Custom {
    fn from(value: HashMap<String, String>) -> Self {
        Custom(Some(value))
    }
}
