//! `POST /files`: a `multipart/form-data` upload with one part named
//! `file` that carries a `filename`. Like TalkJS, anything it cannot parse
//! is a 400 "Invalid JSON".

use bytes::Bytes;
use serde_json::json;

use crate::ctx::Ctx;
use crate::reply::{Reply, Result};
use crate::router::ApiRequest;
use crate::state::StoredFile;

/// One multipart part.
struct Part<'a> {
    name: Option<String>,
    filename: Option<String>,
    content_type: Option<String>,
    data: &'a [u8],
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The `boundary` parameter of a `multipart/form-data` content type.
fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    if !params
        .next()?
        .trim()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        return None;
    }
    params.find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// A header parameter such as `name="file"` from `Content-Disposition`.
fn param(header: &str, key: &str) -> Option<String> {
    header.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// Splits a multipart body; `None` when it is malformed.
fn parts<'a>(body: &'a [u8], boundary: &str) -> Option<Vec<Part<'a>>> {
    let delim = format!("--{boundary}");
    let next_delim = format!("\r\n--{boundary}");
    let mut pos = find(body, delim.as_bytes())? + delim.len();
    let mut out = Vec::new();
    loop {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            return Some(out);
        }
        let rest = rest.strip_prefix(b"\r\n")?;
        let end = find(rest, next_delim.as_bytes())?;
        let raw = &rest[..end];
        let (head, data) = match raw.strip_prefix(b"\r\n") {
            Some(data) => (&b""[..], data),
            None => {
                let h = find(raw, b"\r\n\r\n")?;
                (&raw[..h], &raw[h + 4..])
            }
        };
        let head = std::str::from_utf8(head).ok()?;
        let mut part = Part {
            name: None,
            filename: None,
            content_type: None,
            data,
        };
        for line in head.split("\r\n") {
            let (k, v) = line.split_once(':')?;
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                part.name = param(v, "name");
                part.filename = param(v, "filename");
            } else if k.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(v.trim().to_owned());
            }
        }
        out.push(part);
        // Skip the CRLF before the delimiter and the delimiter itself.
        pos = pos + 2 + end + next_delim.len();
    }
}

/// `POST /files`: answers `{"attachmentToken": "..."}`.
pub fn upload(ctx: &Ctx, req: &ApiRequest) -> Result<Reply> {
    if req.in_batch {
        return Err(Reply::bad_request(
            "files cannot be uploaded through /batch",
        ));
    }
    let boundary = req
        .content_type
        .and_then(boundary)
        .ok_or_else(|| Reply::invalid_json("expected multipart/form-data with a boundary"))?;
    let parts = parts(req.body, &boundary)
        .ok_or_else(|| Reply::invalid_json("malformed multipart body"))?;
    let part = parts
        .into_iter()
        .find(|p| p.name.as_deref() == Some("file"))
        .ok_or_else(|| Reply::invalid_json("no part named \"file\""))?;
    let filename = part
        .filename
        .filter(|f| !f.is_empty())
        .ok_or_else(|| Reply::invalid_json("the \"file\" part needs a filename"))?;
    let mut store = ctx.store();
    let token = store.ids.id("att_");
    let file = StoredFile {
        filename,
        content_type: part.content_type,
        url: format!("{}/files/{token}", ctx.base_url),
        bytes: Bytes::copy_from_slice(part.data),
    };
    store.files.insert(token.clone(), file);
    Ok(Reply::ok(json!({ "attachmentToken": token })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_parts() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\nworld\r\n--XX--\r\n";
        let p = parts(body, "XX").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].data, b"1");
        assert_eq!(p[1].filename.as_deref(), Some("f.txt"));
        assert_eq!(p[1].data, b"hello\r\nworld");
        assert_eq!(
            boundary("multipart/form-data; boundary=\"XX\"").as_deref(),
            Some("XX")
        );
        assert!(parts(b"--XX\r\nbroken", "XX").is_none());
    }
}
