//! Percent-encoding of request path segments.
//!
//! progenitor's own encoder leaves `.`, `..` and `\` as they are, and URL
//! parsers then drop dot segments and read `\` as `/`: an id could reach a
//! different resource. The build script points every generated operation at
//! [`encode_path`] instead; the hand-written paths use it too.

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
    utf8_percent_encode(segment, SEGMENT).to_string()
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
