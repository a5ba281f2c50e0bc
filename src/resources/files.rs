//! File upload: multipart `POST /files`, answered by an attachment token.

use std::path::PathBuf;

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

/// A file upload, from [`Client::upload_file`] (bytes in memory) or
/// [`Client::upload_path`] (a file on disk); [`Upload::send`] returns the
/// attachment token, to send as a message's `attachmentToken`.
///
/// The part is named `file` and carries the filename (TalkJS needs both);
/// the multipart boundary is set by the HTTP library, never by hand. The
/// form is rebuilt for every attempt, so retries are safe (a repeated
/// upload only leaves an unused file).
///
/// Refused before anything is sent, as an [`Error::Validation`] on the
/// field: a `mime` that does not parse as a MIME type, `type/subtype` with
/// optional parameters (such as `"a b/c"`, `"/x"` or `""`); an empty
/// filename, or one holding a control character (CR, LF, tab, NUL, ...).
///
/// ```no_run
/// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
/// use talkjs::types::SendMessageInput;
/// let token = client
///     .upload_file("receipt.pdf", b"%PDF-1.4...".to_vec())
///     .mime("application/pdf")
///     .send()
///     .await?;
/// let photo = client.upload_path("photos/cat.jpg").send().await?;
/// client.messages("order-42").send(vec![SendMessageInput::user_attachment("alice", token)]).await?;
/// # Ok(()) }
/// ```
#[must_use = "an upload sends nothing until `.send()`"]
#[derive(Debug)]
pub struct Upload<'a> {
    client: &'a Client,
    source: Source,
    mime: Option<String>,
}

#[derive(Debug)]
enum Source {
    Memory { filename: String, contents: Bytes },
    Disk(PathBuf),
}

impl Client {
    /// Uploads `contents` as a file named `filename` (see [`Upload`]).
    pub fn upload_file(
        &self,
        filename: impl Into<String>,
        contents: impl Into<Bytes>,
    ) -> Upload<'_> {
        let source = Source::Memory {
            filename: filename.into(),
            contents: contents.into(),
        };
        Upload {
            client: self,
            source,
            mime: None,
        }
    }

    /// Uploads the file at `path`, its name the filename (see [`Upload`]).
    /// A file that cannot be read is [`Error::Io`]; a name that
    /// [`Client::upload_file`] refuses is refused before reading.
    pub fn upload_path(&self, path: impl Into<PathBuf>) -> Upload<'_> {
        Upload {
            client: self,
            source: Source::Disk(path.into()),
            mime: None,
        }
    }
}

impl Upload<'_> {
    /// The part's `Content-Type` (unset: none is sent).
    pub fn mime(mut self, mime: impl Into<String>) -> Self {
        self.mime = Some(mime.into());
        self
    }

    /// Uploads the file and returns its attachment token.
    pub async fn send(self) -> Result<String, Error> {
        let filename = match &self.source {
            Source::Memory { filename, .. } => filename.as_str(),
            Source::Disk(path) => path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
                Error::validation("path", format!("{} has no UTF-8 file name", path.display()))
            })?,
        };
        check_filename(filename)?;
        if let Some(mime) = &self.mime {
            check_mime(mime)?;
        }
        let contents = match &self.source {
            Source::Memory { contents, .. } => contents.clone(),
            Source::Disk(path) => {
                tokio::fs::read(path)
                    .await
                    .map(Bytes::from)
                    .map_err(|source| Error::Io {
                        path: path.clone(),
                        source,
                    })?
            }
        };
        let request = Request::new(Method::POST, "upload_file")
            .at("files")
            .upload(filename, contents, self.mime.as_deref())
            .repeat(Repeat::Always);
        let uploaded: Uploaded = self.client.fetch(request).await?;
        Ok(uploaded.attachment_token)
    }
}
