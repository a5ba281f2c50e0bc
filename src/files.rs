//! File upload: multipart `POST /files`, answered by an attachment token.

use std::path::Path;

use bytes::Bytes;
use progenitor_client::ClientInfo as _;

use crate::{Client, Error};

/// The answer of `POST /files`.
#[derive(serde::Deserialize)]
struct Uploaded {
    #[serde(rename = "attachmentToken")]
    attachment_token: String,
}

impl Client {
    /// Uploads a file from memory and returns its attachment token, to send
    /// as a message's `attachmentToken`.
    ///
    /// The part is named `file` and carries `filename` (TalkJS needs both);
    /// the multipart boundary is set by the HTTP library, never by hand. The
    /// form is rebuilt for every attempt, so retries are safe.
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
        if filename.is_empty() {
            return Err(Error::validation(
                "filename",
                "must not be empty: TalkJS needs a filename",
            ));
        }
        let contents: Bytes = contents.into();
        if let Some(mime) = mime {
            mime.parse::<reqwest::header::HeaderValue>()
                .ok()
                .filter(|_| mime.contains('/'))
                .ok_or_else(|| Error::validation("mime", format!("{mime:?} is not a MIME type")))?;
        }
        let url = format!("{}/files", self.raw.baseurl());
        let make = || {
            let body = reqwest::Body::from(contents.clone());
            let mut part =
                reqwest::multipart::Part::stream_with_length(body, contents.len() as u64)
                    .file_name(filename.to_string());
            if let Some(mime) = mime {
                part = part.mime_str(mime).expect("checked above");
            }
            let form = reqwest::multipart::Form::new().part("file", part);
            self.raw
                .client()
                .post(&url)
                .header(reqwest::header::ACCEPT, "application/json")
                .multipart(form)
                .build()
                .expect("checked base URL")
        };
        let uploaded: Uploaded = self.send_custom("upload_file", make).await?;
        Ok(uploaded.attachment_token)
    }

    /// Uploads a file from disk (its name becomes the filename) and returns
    /// its attachment token.
    pub async fn upload_path(
        &self,
        path: impl AsRef<Path>,
        mime: Option<&str>,
    ) -> Result<String, Error> {
        let path = path.as_ref();
        let filename = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            Error::validation("path", format!("{} has no UTF-8 file name", path.display()))
        })?;
        let contents = tokio::fs::read(path).await.map_err(|e| {
            Error::validation("path", format!("cannot read {}: {e}", path.display()))
        })?;
        self.upload_file(filename, contents, mime).await
    }
}
