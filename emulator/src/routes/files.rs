//! `POST /files`: a `multipart/form-data` upload with one part named
//! `file` that carries a `filename`. Like TalkJS, anything it cannot parse
//! is a 400 "Invalid JSON".

use bytes::Bytes;
use serde_json::json;

use crate::codec::percent_decode_bytes;
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
    let (kind, _) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params(content_type)?
        .into_iter()
        .find_map(|(k, v)| (k == "boundary").then_some(v))
}

/// The parameters of a header value such as
/// `form-data; name="file"; filename="a;b.txt"`, names lower-cased, in
/// order. A value is a token or a quoted string (RFC 9110 5.6.4, which
/// RFC 7578 4.2 and RFC 6266 4.1 use): inside quotes `;` is part of the
/// value and `\"` and `\\` are undone. `None` when a quoted string is not
/// closed or is followed by something other than `;`.
fn params(header: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    // The first item is the type (`form-data`), not a parameter.
    let Some((_, mut rest)) = header.split_once(';') else {
        return Some(out);
    };
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return Some(out);
        }
        let name_end = rest.find(['=', ';']).unwrap_or(rest.len());
        let name = rest[..name_end].trim().to_ascii_lowercase();
        rest = &rest[name_end..];
        let Some(after_eq) = rest.strip_prefix('=') else {
            // A bare word (or an empty item): skipped, as browsers do.
            rest = rest.strip_prefix(';').unwrap_or(rest);
            continue;
        };
        rest = after_eq.trim_start();
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next()? {
                    (i, '"') => break i + 1,
                    (_, '\\') => value.push(chars.next()?.1),
                    (_, c) => value.push(c),
                }
            };
            rest = quoted[end..].trim_start();
            if !rest.is_empty() {
                rest = rest.strip_prefix(';')?;
            }
            value
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            let value = rest[..end].trim().to_owned();
            rest = rest[end..].strip_prefix(';').unwrap_or("");
            value
        };
        out.push((name, value));
    }
}

/// The filename of a `Content-Disposition`'s parameters: `filename*`
/// (RFC 8187 `charset'language'percent-encoded`, UTF-8 or ISO-8859-1)
/// wins over `filename`, as RFC 6266 4.3 asks; an undecodable `filename*`
/// falls back to `filename`.
fn filename(params: &[(String, String)]) -> Option<String> {
    let extended = params.iter().find_map(|(k, v)| {
        let v = v.as_str();
        if k != "filename*" {
            return None;
        }
        let (charset, rest) = v.split_once('\'')?;
        let (_language, encoded) = rest.split_once('\'')?;
        let bytes = percent_decode_bytes(encoded);
        if charset.eq_ignore_ascii_case("utf-8") {
            String::from_utf8(bytes).ok()
        } else if charset.eq_ignore_ascii_case("iso-8859-1") {
            Some(bytes.into_iter().map(char::from).collect())
        } else {
            None
        }
    });
    extended.or_else(|| {
        params
            .iter()
            .find_map(|(k, v)| (k == "filename").then(|| v.clone()))
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
                let params = params(v.trim())?;
                part.name = params
                    .iter()
                    .find_map(|(k, v)| (k == "name").then(|| v.clone()));
                part.filename = filename(&params);
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

    /// The filename of a part whose `Content-Disposition` is `header`.
    fn name_of(header: &str) -> Option<String> {
        let body = format!("--XX\r\nContent-Disposition: {header}\r\n\r\ndata\r\n--XX--\r\n");
        let p = parts(body.as_bytes(), "XX")?;
        assert_eq!(p[0].name.as_deref(), Some("file"), "{header}");
        p[0].filename.clone()
    }

    /// RFC 7578/6266 quoting: `;` inside quotes belongs to the name (it
    /// was cut at it: `a;b.txt` stored as `a`), `\"` and `\\` escapes are
    /// undone (they were kept), `filename*` is decoded and wins.
    #[test]
    fn filenames_follow_the_quoting_rules() {
        let cases = [
            (r#"form-data; name="file"; filename="a;b.txt""#, "a;b.txt"),
            (
                r#"form-data; name="file"; filename="say \"hi\".txt""#,
                r#"say "hi".txt"#,
            ),
            (
                r#"form-data; name="file"; filename="back\\slash.txt""#,
                r"back\slash.txt",
            ),
            (
                r#"form-data; filename="x=1; name=y"; name="file""#,
                "x=1; name=y",
            ),
            (r#"form-data;name=file;filename=plain.txt"#, "plain.txt"),
            (
                r#"form-data; name="file"; filename*=UTF-8''%E2%82%AC%20rates.txt"#,
                "€ rates.txt",
            ),
            (
                r#"form-data; name="file"; filename*=utf-8''a%22b%3B.txt"#,
                "a\"b;.txt",
            ),
            (
                r#"form-data; name="file"; filename="fallback.txt"; filename*=utf-8'en'%C3%A9.txt"#,
                "é.txt",
            ),
            (
                r#"form-data; name="file"; filename*=iso-8859-1''%E9.txt"#,
                "é.txt",
            ),
            // An undecodable `filename*` falls back to `filename`.
            (
                r#"form-data; name="file"; filename*=koi8-r''%E9; filename="plain.txt""#,
                "plain.txt",
            ),
        ];
        for (header, want) in cases {
            assert_eq!(name_of(header).as_deref(), Some(want), "{header}");
        }
        // An unterminated quoted string is malformed, not silently cut.
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"open\r\n\r\nd\r\n--XX--\r\n";
        assert!(parts(body, "XX").is_none());
    }
}
