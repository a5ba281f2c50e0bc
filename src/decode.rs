//! How a generated operation decodes a response body: `build.rs` points the
//! generated `ResponseValue::from_response(response)` calls here.
//!
//! Same result as progenitor's own (status, headers, the JSON body, the
//! same error variants), with a smaller future. progenitor's clones the
//! headers and awaits reqwest's `bytes()`, which holds the whole response
//! twice over: 944 bytes carried inside every operation's future, copied
//! whenever that future moves. This one moves the headers out and reads
//! the body chunk by chunk through `&mut Response` (BENCHMARKS.md).

use bytes::{Bytes, BytesMut};
use progenitor_client::{Error, ResponseValue};
use serde::de::DeserializeOwned;

/// The response's body decoded as JSON `T`, with its status and headers.
///
/// A body that fails to arrive is `Error::ResponseBodyError`; one that is
/// not `T` is `Error::InvalidResponsePayload` with the bytes, as with
/// progenitor's decoder.
///
/// Not an `async fn`, which would store `response` twice
/// (rust-lang/rust#62958); the status and headers are taken after the body,
/// so that no copy of them is kept across the wait.
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn would store its argument twice"
)]
pub(crate) fn from_response<T: DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> impl Future<Output = Result<ResponseValue<T>, Error<E>>> {
    async move {
        let body = read_body(&mut response)
            .await
            .map_err(Error::ResponseBodyError)?;
        let headers = std::mem::take(response.headers_mut());
        match serde_json::from_slice(&body) {
            Ok(inner) => Ok(ResponseValue::new(inner, response.status(), headers)),
            Err(e) => Err(Error::InvalidResponsePayload(body, e)),
        }
    }
}

/// The whole body. One that arrives in a single chunk (a small JSON answer
/// usually does) is returned as it is, without a copy.
async fn read_body(response: &mut reqwest::Response) -> reqwest::Result<Bytes> {
    let Some(first) = response.chunk().await? else {
        return Ok(Bytes::new());
    };
    let Some(second) = response.chunk().await? else {
        return Ok(first);
    };
    let mut all = BytesMut::with_capacity(first.len() + second.len());
    all.extend_from_slice(&first);
    all.extend_from_slice(&second);
    while let Some(chunk) = response.chunk().await? {
        all.extend_from_slice(&chunk);
    }
    Ok(all.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, chunks: &[&'static str]) -> reqwest::Response {
        let chunks: Vec<Result<Bytes, std::io::Error>> = chunks
            .iter()
            .map(|c| Ok(Bytes::from_static(c.as_bytes())))
            .collect();
        let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
        let mut response = http::Response::new(body);
        *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
        response
            .headers_mut()
            .insert("x-request-id", http::HeaderValue::from_static("r1"));
        reqwest::Response::from(response)
    }

    #[tokio::test]
    async fn decodes_a_body_in_any_number_of_chunks_keeping_status_and_headers() {
        for chunks in [
            &[r#"{"a":1,"b":"xy"}"#][..],
            &[r#"{"a":1,"#, r#""b":"xy"}"#],
            &[r#"{"a""#, r#":1,"b""#, r#":"x"#, r#"y"}"#],
            &["", r#"{"a":1,"b":"xy"}"#, ""],
        ] {
            let value: ResponseValue<serde_json::Value> =
                from_response::<_, ()>(response(201, chunks)).await.unwrap();
            assert_eq!(value.status().as_u16(), 201);
            assert_eq!(value.headers()["x-request-id"], "r1");
            assert_eq!(
                value.into_inner(),
                serde_json::json!({"a": 1, "b": "xy"}),
                "{chunks:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_body_of_another_shape_keeps_its_bytes() {
        let error = from_response::<u32, ()>(response(200, &["\"no", "t a number\""]))
            .await
            .unwrap_err();
        match error {
            Error::InvalidResponsePayload(bytes, _) => assert_eq!(bytes, "\"not a number\""),
            other => panic!("{other:?}"),
        }
        // An empty body is not JSON either, and says so.
        let error = from_response::<u32, ()>(response(200, &[]))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::InvalidResponsePayload(ref b, _) if b.is_empty()));
    }

    #[tokio::test]
    async fn a_body_that_fails_midway_is_a_body_error() {
        let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
            Ok(Bytes::from_static(b"{\"a\":")),
            Err(std::io::Error::other("connection reset")),
        ];
        let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
        let response = reqwest::Response::from(http::Response::new(body));
        let error = from_response::<serde_json::Value, ()>(response)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::ResponseBodyError(_)), "{error:?}");
    }
}
