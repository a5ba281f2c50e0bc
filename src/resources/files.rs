//! File upload: multipart `POST /files`, answered by an attachment token.

use std::path::Path;

use bytes::Bytes;
use reqwest::Method;

use crate::{
    Client, Error,
    http::request::{Repeat, Request},
};

/// The answer of `POST /files`.
#[derive(serde::Deserialize)]
struct Uploaded {
    #[serde(rename = "attachmentToken")]
    attachment_token: String,
}

/// Refuses what the multipart encoder would refuse, with the encoder's own
/// parser (the `mime` crate's, stricter than a header value: no spaces, a
/// non-empty type and subtype, well-formed parameters), before anything is
/// sent.
fn check_mime(mime: &str) -> Result<(), Error> {
    // That parser lets an empty subtype through (`text/`), which no MIME
    // type has (RFC 6838): refused here too.
    let subtype = mime
        .split_once('/')
        .map(|(_, rest)| rest.split(';').next().unwrap_or_default().trim());
    let parsed = reqwest::multipart::Part::bytes(Vec::new()).mime_str(mime);
    match (parsed, subtype) {
        (Ok(_), Some(subtype)) if !subtype.is_empty() => Ok(()),
        _ => Err(Error::validation(
            "mime",
            format!("{mime:?} is not a MIME type of the form type/subtype[; parameter=value]"),
        )),
    }
}

/// Refuses an empty filename, and one with a control character (CR, LF,
/// NUL, DEL, ...): it travels inside the part's `Content-Disposition`
/// header, where a line break would end the header early.
fn check_filename(filename: &str) -> Result<(), Error> {
    if filename.is_empty() {
        return Err(Error::validation(
            "filename",
            "must not be empty: TalkJS needs a filename",
        ));
    }
    if filename.chars().any(char::is_control) {
        return Err(Error::validation(
            "filename",
            format!(
                "{filename:?} contains a control character (CR, LF, tab, ...), which cannot \
                 travel in a multipart header; rename the file"
            ),
        ));
    }
    Ok(())
}

impl Client {
    /// Uploads a file from memory and returns its attachment token, to send
    /// as a message's `attachmentToken`.
    ///
    /// The part is named `file` and carries `filename` (TalkJS needs both);
    /// the multipart boundary is set by the HTTP library, never by hand. The
    /// form is rebuilt for every attempt, so retries are safe.
    ///
    /// `mime` (sent as the part's `Content-Type`) must parse as a MIME type,
    /// `type/subtype` with optional parameters; anything else, such as
    /// `"a b/c"`, `"/x"` or `""`, is an [`Error::Validation`] on `mime` and
    /// nothing is sent. An empty `filename`, or one holding a control
    /// character (CR, LF, tab, NUL, ...), is refused the same way, as
    /// an [`Error::Validation`] on `filename`.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// let token = client.upload_file("receipt.pdf", b"%PDF-1.4...".to_vec(), Some("application/pdf")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_file(
        &self,
        filename: &str,
        contents: impl Into<Bytes>,
        mime: Option<&str>,
    ) -> Result<String, Error> {
        check_filename(filename)?;
        let contents: Bytes = contents.into();
        if let Some(mime) = mime {
            check_mime(mime)?;
        }
        // A repeated upload only leaves an unused file: always repeatable.
        let request = Request::new(Method::POST, "upload_file")
            .at("files")
            .upload(filename, contents, mime)
            .repeat(Repeat::Always);
        let uploaded: Uploaded = self.fetch(request).await?;
        Ok(uploaded.attachment_token)
    }

    /// Uploads a file from disk (its name becomes the filename) and returns
    /// its attachment token. A file that cannot be read is [`Error::Io`]; a
    /// name that [`Client::upload_file`] refuses is refused before reading.
    pub async fn upload_path(
        &self,
        path: impl AsRef<Path>,
        mime: Option<&str>,
    ) -> Result<String, Error> {
        let path = path.as_ref();
        let filename = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            Error::validation("path", format!("{} has no UTF-8 file name", path.display()))
        })?;
        check_filename(filename)?;
        let contents = tokio::fs::read(path).await.map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        self.upload_file(filename, contents, mime).await
    }
}
