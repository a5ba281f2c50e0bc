//! Percent-encoding of request path segments.
//!
//! progenitor's own encoder leaves `.`, `..` and `\` as they are, and URL
//! parsers then drop dot segments and read `\` as `/`: an id could reach a
//! different resource. The build script points every generated operation at
//! this module's encoder instead (`encode_display`, the same encoding as
//! [`encode_path`], written straight into the URL); the hand-written paths
//! use [`encode_path`].

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986 "unreserved" characters is escaped, so no byte of
/// an id can act as a delimiter (`/`, `\`, `?`, `#`, `;`, `,`, `=`, `%`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes one path segment so that the server decodes exactly `segment`.
///
/// The segments `.` and `..` (and the empty segment) cannot be carried by a
/// URL at all: check them with [`check_segment`] first. Generated operations
/// do so through the `ResourceId` type, which refuses them.
///
/// ```
/// assert_eq!(talkjs::path::encode_path("a/b c"), "a%2Fb%20c");
/// assert_eq!(talkjs::path::encode_path(r"a\b"), "a%5Cb");
/// assert_eq!(talkjs::path::encode_path("%2e"), "%252e");
/// ```
pub fn encode_path(segment: &str) -> String {
    Encoded(segment).to_string()
}

/// What the generated operations call for each `{id}` of a path: the same
/// encoding as [`encode_path`], written straight into the URL being
/// formatted. `build.rs` turns progenitor's `encode_path(&id.to_string())`
/// into `encode_path(&id)` with this function behind the name, so a call
/// allocates neither the id's string copy nor its encoded copy.
pub(crate) fn encode_display<T: std::fmt::Display + ?Sized>(segment: &T) -> Encoded<'_, T> {
    Encoded(segment)
}

/// A path segment that percent-encodes whatever its value displays as.
///
/// Encoding is per byte, so encoding each piece a `Display` impl writes
/// gives exactly the encoding of the whole string.
pub(crate) struct Encoded<'a, T: ?Sized>(&'a T);

impl<T: std::fmt::Display + ?Sized> std::fmt::Display for Encoded<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Escape<'a, 'b>(&'a mut std::fmt::Formatter<'b>);
        impl std::fmt::Write for Escape<'_, '_> {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                utf8_percent_encode(s, SEGMENT).try_for_each(|piece| self.0.write_str(piece))
            }
        }
        std::fmt::write(&mut Escape(f), format_args!("{}", self.0))
    }
}

/// Refuses the ids that no URL path segment can carry: empty, `.` and `..`.
///
/// ```
/// assert!(talkjs::path::check_segment("userId", "..").is_err());
/// assert!(talkjs::path::check_segment("userId", "a/b").is_ok());
/// ```
pub fn check_segment(field: &str, segment: &str) -> Result<(), crate::Error> {
    match segment {
        "" => Err(crate::Error::validation(field, "must not be empty")),
        "." | ".." => Err(crate::Error::validation(
            field,
            "must not be \".\" or \"..\": no URL can address such an id",
        )),
        _ => Ok(()),
    }
}

/// What [`check_segment`] requires, in one phrase: the reason a raw
/// builder gives when it refuses an id (build/rewrites.rs, `state_id_rule`). It must
/// not contain " for " or " failed", which `call::invalid_request` splits
/// the message on (a unit test there pins the parse).
pub(crate) const ID_RULE: &str =
    "must not be empty, \".\" or \"..\" (no URL can address such an id)";

/// An id that one URL path segment can carry: not empty, not `.`, not `..`.
///
/// The generated client takes it for every `{id}` in a path: `build.rs`
/// puts it in place of the spec's `ResourceId` schema (the patched spec keeps
/// the schema's pattern, which says the same). Checked by hand because the
/// generated type ran the pattern through a regex engine for every id of
/// every call (BENCHMARKS.md).
///
/// ```
/// use talkjs::path::ResourceId;
/// assert!("a/b".parse::<ResourceId>().is_ok()); // encoded when sent
/// assert!("..".parse::<ResourceId>().is_err()); // no URL can address it
/// assert!(ResourceId::try_from(String::new()).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ResourceId(String);

impl ResourceId {
    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ResourceId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for ResourceId {
    type Target = String;
    fn deref(&self) -> &String {
        &self.0
    }
}

impl From<ResourceId> for String {
    fn from(id: ResourceId) -> String {
        id.0
    }
}

impl std::fmt::Display for ResourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for ResourceId {
    type Err = crate::Error;
    fn from_str(id: &str) -> Result<Self, crate::Error> {
        check_segment("id", id)?;
        Ok(ResourceId(id.to_owned()))
    }
}

impl TryFrom<&str> for ResourceId {
    type Error = crate::Error;
    fn try_from(id: &str) -> Result<Self, crate::Error> {
        id.parse()
    }
}

impl TryFrom<&String> for ResourceId {
    type Error = crate::Error;
    fn try_from(id: &String) -> Result<Self, crate::Error> {
        id.parse()
    }
}

impl TryFrom<String> for ResourceId {
    type Error = crate::Error;
    fn try_from(id: String) -> Result<Self, crate::Error> {
        check_segment("id", &id)?;
        Ok(ResourceId(id))
    }
}

impl<'de> serde::Deserialize<'de> for ResourceId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ResourceId::try_from(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for ResourceId {
    fn schema_name() -> String {
        "ResourceId".into()
    }
    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        let mut schema = String::json_schema(generator).into_object();
        schema.string().min_length = Some(1);
        schema.string().pattern = Some(r"^(?!\.{1,2}$)[\s\S]+$".into());
        schema.into()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    /// Displays its parts one `write_str` at a time, as a `Display` impl of
    /// a composite value would.
    struct Pieces(Vec<String>);

    impl std::fmt::Display for Pieces {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            self.0.iter().try_for_each(|p| f.write_str(p))
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

        /// Encoding piece by piece equals encoding the whole string.
        #[test]
        fn streamed_encoding_equals_whole(parts in proptest::collection::vec(any::<String>(), 0..5)) {
            let whole = parts.concat();
            let streamed = super::encode_display(&Pieces(parts)).to_string();
            prop_assert_eq!(&streamed, &super::encode_path(&whole));
            prop_assert!(streamed.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
        }
    }
}
