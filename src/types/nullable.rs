//! Shorthands for the generated `Nullable*` input types.
//!
//! A clearable input field is `Option<NullableX>`: `None` leaves the field
//! as it is, `Some(NullableX::NULL)` sends `null` (TalkJS clears the field),
//! `Some(value.into())` sets it. These impls make the last two short:
//!
//! ```
//! use talkjs::types::{NullableString, UserInput};
//! let rename: UserInput = UserInput::builder()
//!     .name(Some("Alice".into()))
//!     .photo_url(Some(NullableString::NULL))
//!     .try_into()
//!     .unwrap();
//! assert_eq!(
//!     serde_json::to_value(&rename).unwrap(),
//!     serde_json::json!({"name": "Alice", "photoUrl": null})
//! );
//! ```

use std::collections::HashMap;

use crate::raw::types::{NullableCustom, NullableString, NullableStringList};

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
