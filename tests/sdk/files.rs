//! File uploads (`upload_file`, `upload_path`): the multipart form, MIME
//! types and filenames refused before sending, and sending the attachment.

use chrono::Utc;
use serde_json::json;
use talkjs::Error;
use talkjs::raw::types::SendMessageInput;

use crate::common::{assert_validation, emulator};
use crate::fixtures::{chat, requests_to, user_message};
use crate::wire::{assert_app_token, client, header, only, requests, server};

// ---------------------------------------------------------- on the wire

#[tokio::test]
async fn upload_is_multipart_with_a_file_part_and_a_filename() {
    let server = server(json!({"attachmentToken": "att_1"})).await;
    let token = client(&server)
        .upload_file("notes.txt", b"line one\nline two".to_vec())
        .mime("text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(token, "att_1");
    let r = only(&server).await;
    assert_eq!(r.method.as_str(), "POST");
    assert_eq!(r.url.path(), "/v1/app/files");
    assert_eq!(r.url.query(), None);
    assert_app_token(&r);
    let content_type = header(&r, "content-type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("{content_type}"));
    assert!(!boundary.is_empty());
    let body = String::from_utf8_lossy(&r.body);
    assert!(body.starts_with(&format!("--{boundary}\r\n")), "{body}");
    assert!(body.contains(&format!("--{boundary}--")), "{body}");
    assert!(
        body.contains("Content-Disposition: form-data; name=\"file\"; filename=\"notes.txt\""),
        "{body}"
    );
    assert!(body.contains("Content-Type: text/plain"), "{body}");
    assert!(body.contains("\r\n\r\nline one\nline two\r\n"), "{body}");
}

#[tokio::test]
async fn upload_refuses_what_the_multipart_encoder_cannot_parse_as_a_mime_type() {
    let server = server(json!({"attachmentToken": "att_1"})).await;
    let client = client(&server);
    // Not MIME types, though several are header values containing '/'.
    for bad in [
        "a b/c",
        "/x",
        "",
        "text/",
        "text/; charset=utf-8",
        "text",
        "text/plain; =x",
        "text/plain\r\nX-Evil: 1",
    ] {
        let result = client
            .upload_file("notes.txt", b"x".to_vec())
            .mime(bad)
            .send()
            .await;
        assert!(
            matches!(&result, Err(talkjs::Error::Validation { field, .. }) if field == "mime"),
            "{bad:?}: {result:?}"
        );
    }
    assert!(requests(&server).await.is_empty(), "nothing was sent");
    // A type with parameters passes, and is what the part carries.
    client
        .upload_file("notes.txt", b"x".to_vec())
        .mime("text/plain; charset=utf-8")
        .send()
        .await
        .unwrap();
    let r = only(&server).await;
    let body = String::from_utf8_lossy(&r.body);
    assert!(
        body.contains("Content-Type: text/plain; charset=utf-8"),
        "{body}"
    );
}

// ------------------------------------------------- against the emulator

#[tokio::test]
async fn upload_file_and_path_then_send_the_attachment() {
    let (emu, client) = emulator().await;
    chat(&client).await;

    let token = client
        .upload_file("hello.txt", b"hello world".to_vec())
        .mime("text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(
        emu.file(&token),
        Some(("hello.txt".to_string(), b"hello world".to_vec()))
    );
    let upload = requests_to(&emu, "POST", "/files").remove(0);
    let content_type = upload.header("content-type").unwrap();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    let body = String::from_utf8_lossy(&upload.body);
    assert!(body.contains("Content-Type: text/plain"), "{body}");

    let name = format!(
        "talkjs-sdk-emulator-{}-{}.bin",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap()
    );
    let path = std::env::temp_dir().join(&name);
    let bytes: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    std::fs::write(&path, &bytes).unwrap();
    let uploaded = client
        .upload_path(&path)
        .mime("application/octet-stream")
        .send()
        .await;
    std::fs::remove_file(&path).unwrap();
    let path_token = uploaded.unwrap();
    assert_ne!(path_token, token);
    assert_eq!(emu.file(&path_token), Some((name, bytes.clone())));

    let with_file: SendMessageInput = user_message()
        .attachment_token(Some(path_token.clone()))
        .try_into()
        .unwrap();
    let id = client
        .messages("chat")
        .send(vec![with_file])
        .await
        .unwrap()
        .remove(0);
    let stored = &emu.messages("chat")[0];
    assert_eq!(stored["id"], id.as_str());
    assert_eq!(
        stored["attachment"],
        json!({"url": format!("{}/files/{path_token}", emu.base_url()), "size": 3000})
    );
    let got = client.messages("chat").get(&id).await.unwrap();
    let attachment = got.attachment.unwrap();
    assert_eq!(attachment.size, Some(3000));
    assert!(attachment.url.unwrap().ends_with(&path_token));

    // Refused before sending.
    let sent = emu.requests().len();
    assert_validation(
        client.upload_file("", b"x".to_vec()).send().await,
        "filename",
    );
    assert_validation(
        client
            .upload_file("a.txt", b"x".to_vec())
            .mime("text")
            .send()
            .await,
        "mime",
    );
    let missing = std::env::temp_dir().join(format!("{}-missing", std::process::id()));
    match client.upload_path(&missing).send().await {
        Err(Error::Io { path, source }) => {
            assert_eq!(
                (path, source.kind()),
                (missing, std::io::ErrorKind::NotFound)
            );
        }
        other => panic!("expected Error::Io, got {other:?}"),
    }
    assert_eq!(emu.requests().len(), sent);
}

#[tokio::test]
async fn filenames_with_control_characters_are_refused_before_sending() {
    let (emu, client) = emulator().await;
    let dir = std::env::temp_dir().join(format!("talkjs-ctl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in [
        "a\r\nX-Injected: 1.txt",
        "a\n.txt",
        "a\r.txt",
        "a\0.txt",
        "a\t.txt",
        "a\u{7f}.txt",
        "a\u{85}.txt",
    ] {
        assert_validation(
            client.upload_file(name, b"x".to_vec()).send().await,
            "filename",
        );
        // The same name from disk, where Unix allows it (not NUL).
        if !name.contains('\0') {
            let path = dir.join(name);
            std::fs::write(&path, b"x").unwrap();
            assert_validation(client.upload_path(&path).send().await, "filename");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}
