//! Uploaded files, addressed by attachment token.

use bytes::Bytes;

/// A file uploaded with `POST /files`.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// The `filename` of the multipart part.
    pub filename: String,
    /// The part's content type, if it had one.
    pub content_type: Option<String>,
    /// Where the emulator serves the file (`{base}/files/{token}`).
    pub url: String,
    /// The file's bytes.
    pub bytes: Bytes,
}
