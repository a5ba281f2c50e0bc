//! A dependent that points `TALKJS_OPENAPI_SPEC` at a newer spec keeps
//! building and can use what the newer spec adds.
//!
//! Each case writes a mutated copy of the bundled spec and a small program
//! that uses what the mutation added, through the raw client and the typed
//! layer, against the emulator; then builds and runs that program as a
//! scratch crate depending on this one by path. All cases share one target
//! directory, so only `talkjs` itself is rebuilt per case.
//!
//! It takes minutes (one rebuild of the crate per case), so it is
//! `#[ignore]`d in the everyday `cargo test` and run by `.ci/run`:
//! `cargo test --test spec_evolution -- --ignored`.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use serde_json::{Value, json};

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// What a case's build must do.
enum Expect {
    /// Build and run; the build's output holds each of these warnings.
    Runs { warnings: &'static [&'static str] },
    /// The build fails with one paragraph holding each of these.
    Fails { fragments: &'static [&'static str] },
}

struct Case {
    name: &'static str,
    mutate: fn(&mut Value),
    /// The body of the program's `async fn case(emulator, client)`.
    body: &'static str,
    /// Extra environment for the build: (name, value); `{patches}` in a
    /// value is the case's own patch directory.
    env: &'static [(&'static str, &'static str)],
    /// The dependent's own patches: (file name, JSON).
    patches: &'static [(&'static str, &'static str)],
    expect: Expect,
}

fn schemas(spec: &mut Value) -> &mut Value {
    &mut spec["components"]["schemas"]
}

fn push_enum(schema: &mut Value, value: &str) {
    schema["enum"].as_array_mut().unwrap().push(json!(value));
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "new optional properties on request and response schemas",
            mutate: |spec| {
                let s = schemas(spec);
                s["UserInput"]["properties"]["nickname"] =
                    json!({"type": "string", "nullable": true});
                s["UserInput"]["properties"]["karma"] =
                    json!({"type": "integer", "format": "int64"});
                s["SendMessageInput"]["properties"]["silent"] = json!({"type": "boolean"});
                s["ParticipationInput"]["properties"]["muted"] = json!({"type": "boolean"});
                s["ConversationInput"]["properties"]["tag"] = json!({"type": "string"});
                s["Message"]["properties"]["pinned"] = json!({"type": "boolean"});
                s["Conversation"]["properties"]["archived"] = json!({"type": "boolean"});
                s["Participant"]["properties"]["mutedUntil"] =
                    json!({"type": "integer", "format": "int64"});
                s["Presence"]["properties"]["device"] = json!({"type": "string"});
            },
            body: r#"
    // A new input property is a builder setter and a field; the typed
    // layer sends it.
    let alice: types::UserInput = types::UserInput::builder()
        .name(Some("Alice".into()))
        .nickname(Some("Al".into()))
        .karma(Some(3))
        .try_into()?;
    client.users().upsert("alice", alice).await?;
    let sent = emulator.requests().pop().unwrap().json().unwrap();
    assert_eq!((sent["nickname"].clone(), sent["karma"].clone()), (json!("Al"), json!(3)));
    // ... and reaches the response derived from the input (`User` is
    // `allOf` `UserInput` upstream).
    let user: types::User = serde_json::from_value(json!({"id": "alice", "nickname": "Al", "karma": 3}))?;
    assert_eq!((user.nickname.as_deref(), user.karma), (Some("Al"), Some(3)));
    let got: types::User = client.users().get("alice").await?;
    let _: (Option<String>, Option<i64>) = (got.nickname, got.karma);

    let mut chat = types::ConversationInput::with_participants(["alice"]);
    chat.tag = Some("support".into());
    client.conversations().upsert("chat", chat).await?;
    let mut hello = types::SendMessageInput::user_text("alice", "hello");
    hello.silent = Some(true);
    client.messages("chat").send(vec![hello]).await?;
    let sent = emulator.requests().pop().unwrap().json().unwrap();
    assert_eq!(sent[0]["silent"], json!(true));
    let _: types::ParticipationInput = types::ParticipationInput::builder().muted(Some(true)).try_into()?;

    let message: types::Message = serde_json::from_value(json!({"id": "m", "pinned": true}))?;
    assert_eq!(message.pinned, Some(true));
    let conversation: types::Conversation = serde_json::from_value(json!({
        "id": "c", "archived": true, "participants": {"alice": {"mutedUntil": 5}}}))?;
    assert_eq!(conversation.archived, Some(true));
    assert_eq!(conversation.participants.unwrap()["alice"].muted_until, Some(5));
    let presence: types::Presence = serde_json::from_value(json!({"device": "phone"}))?;
    assert_eq!(presence.device.as_deref(), Some("phone"));
"#,
            env: &[],
            patches: &[],
            expect: Expect::Runs { warnings: &[] },
        },
        Case {
            name: "new and changed description, summary, example and title everywhere",
            mutate: |spec| {
                document_everything(spec);
                // Right where patches pin or replace values.
                let s = schemas(spec);
                s["SendMessageInput"]["properties"]["idempotencyKey"]["description"] =
                    json!("Upstream's new words on idempotency.");
                s["Message"]["properties"]["attachment"]["title"] = json!("Attachment");
                s["ImportMessageInput"]["allOf"][1]["properties"]["createdAt"]["example"] =
                    json!(1);
                spec["components"]["parameters"]["Limit"]["schema"]["description"] =
                    json!("Page size.");
            },
            body: r#"
    client.users().upsert("alice", types::UserInput::named("Alice")).await?;
    client.conversations().upsert("chat", types::ConversationInput::with_participants(["alice"])).await?;
    client.messages("chat").send(vec![types::SendMessageInput::user_text("alice", "hi")]).await?;
    let page = client.messages("chat").list().limit(10).send().await?;
    assert_eq!(page.items.len(), 1);
"#,
            env: &[],
            patches: &[],
            expect: Expect::Runs { warnings: &[] },
        },
        Case {
            name: "a new value in every enum",
            mutate: |spec| {
                let s = schemas(spec);
                push_enum(&mut s["Message"]["properties"]["type"], "BotMessage");
                push_enum(&mut s["Message"]["properties"]["origin"], "api");
                push_enum(
                    &mut s["SendMessageInput"]["properties"]["type"],
                    "BotMessage",
                );
                push_enum(&mut s["Participant"]["properties"]["access"], "None");
                push_enum(&mut s["ParticipationInput"]["properties"]["access"], "None");
                push_enum(
                    &mut s["Participant"]["properties"]["notify"]["oneOf"][1],
                    "Never",
                );
                push_enum(
                    &mut s["ParticipationInput"]["properties"]["notify"]["oneOf"][1],
                    "Never",
                );
                push_enum(&mut s["Presence"]["properties"]["availability"], "away");
            },
            body: r#"
    // Inputs gain the variant.
    let _ = (types::SendMessageInputType::BotMessage, types::ParticipationInputAccess::None);
    let _ = types::PresenceInputAvailability::Away;
    // Responses decode it.
    let message: types::Message = serde_json::from_value(json!({"type": "BotMessage", "origin": "api"}))?;
    // A type the SDK does not know is kept, as sent.
    assert_eq!(message.type_, Some(types::MessageType::Unknown("BotMessage".into())));
    assert_eq!(message.origin.as_deref(), Some("api"));
    let presence: types::Presence = serde_json::from_value(json!({"availability": "away"}))?;
    assert_eq!(presence.availability.as_deref(), Some("away"));
    let conversation: types::Conversation = serde_json::from_value(json!({
        "participants": {"a": {"access": "None", "notify": "Never"}}}))?;
    assert_eq!(conversation.participants.unwrap()["a"].access, Some(types::ParticipantAccess::None));
    // The typed layer takes it (the emulator, like TalkJS today, refuses
    // the value: the point is that it compiles and goes on the wire).
    client.users().upsert("alice", types::UserInput::named("Alice")).await?;
    let away: types::PresenceInput = types::PresenceInput::builder()
        .availability(Some(types::PresenceInputAvailability::Away))
        .try_into()?;
    let refused = client.users().set_presence("alice", away).await.unwrap_err();
    assert_eq!(refused.status(), Some(400), "{refused}");
    let sent = emulator.requests().pop().unwrap().json().unwrap();
    assert_eq!(sent["availability"], json!("away"));
"#,
            env: &[],
            patches: &[],
            expect: Expect::Runs { warnings: &[] },
        },
        Case {
            name: "new operations get every error response and run through the transport",
            mutate: |spec| {
                spec["paths"]["/conversations/{conversationId}/archive"] = json!({
                    "parameters": [{"$ref": "#/components/parameters/ConversationId"}],
                    "post": {
                        "operationId": "archiveConversation",
                        "requestBody": {"required": true, "content": {"application/json": {"schema": {
                            "type": "object", "required": ["reasons"],
                            "properties": {"reasons": {"type": "array",
                                "items": {"type": "string", "enum": ["spam", "done"]}}}}}}},
                        "responses": {"200": {"description": "Archived."}}
                    }
                });
                spec["paths"]["/things/{thingId}"] = json!({
                    "get": {
                        "operationId": "getThing",
                        "parameters": [{"name": "thingId", "in": "path", "required": true, "schema": {"type": "string"}}],
                        "responses": {"200": {"description": "A thing.", "content": {"application/json": {
                            "schema": {"type": "object", "properties": {"id": {"type": "string"}}}}}}}
                    }
                });
            },
            body: r#"
    let archive = || client.raw().archive_conversation().conversation_id("chat")
        .body(types::ArchiveConversationBody::builder().reasons(vec![types::ArchiveConversationBodyReasonsItem::Spam]));
    // The emulator has no such route: 404, decoded, with TalkJS's body.
    match client.call(archive().send()).await {
        Err(talkjs::Error::NotFound { body }) => assert_eq!(body.status, 404),
        other => panic!("expected NotFound, got {other:?}"),
    }
    for status in [400u16, 429] {
        emulator.inject_fault(talkjs_emulator::Fault::status(status));
        let error = client.call(archive().send()).await.unwrap_err();
        assert_eq!(error.status(), Some(status), "{error}");
    }
    // A 5xx may come after the POST was applied: an unknown outcome, not
    // sent again. A read keeps the status.
    emulator.inject_fault(talkjs_emulator::Fault::status(502));
    let error = client.call(archive().send()).await.unwrap_err();
    assert!(matches!(error, talkjs::Error::OutcomeUnknown { .. }), "{error}");
    for status in [500u16, 502, 503] {
        emulator.inject_fault(talkjs_emulator::Fault::status(status));
        let error = client.call(client.raw().get_thing().thing_id("t").send()).await.unwrap_err();
        assert_eq!(error.status(), Some(status), "{error}");
    }
    let bad_key = talkjs::ClientConfig::new(emulator.app_id(), "sk_test_wrong")
        .base_url(emulator.base_url()).retry(talkjs::RetryPolicy::none()).build()?;
    match bad_key.call(bad_key.raw().get_thing().thing_id("t").send()).await {
        Err(talkjs::Error::Unauthorized { .. }) => {}
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    // The path id rule reaches the new operation's own parameter.
    let refused = client.call(client.raw().get_thing().thing_id("..").send()).await.unwrap_err();
    assert!(matches!(refused, talkjs::Error::Validation { .. }), "{refused}");
    // One request, through the transport (authenticated).
    let requests = emulator.requests().len();
    assert!(client.call(client.raw().get_thing().thing_id("t").send()).await.is_err());
    assert_eq!(emulator.requests().len(), requests + 1, "sent once, through the transport");
    let last = emulator.requests().pop().unwrap();
    assert!(last.header("authorization").is_some());
"#,
            env: &[],
            patches: &[],
            expect: Expect::Runs { warnings: &[] },
        },
        Case {
            name: "upstream adopts corrections that patches make",
            mutate: |spec| {
                // Part of 0030: one of its parameters, in upstream's words.
                spec["paths"]["/conversations"]["get"]["parameters"]
                    .as_array_mut()
                    .unwrap()
                    .push(
                        json!({"name": "lastMessageBefore", "in": "query", "required": false,
                        "schema": {"type": "integer", "format": "int64"},
                        "description": "Upstream's own words."}),
                    );
                // All of 0085: the attachment shape.
                let s = schemas(spec);
                s["Attachment"] = json!({"type": "object", "properties": {
                    "url": {"type": "string"}, "size": {"type": "integer", "format": "int64"}}});
                s["Message"]["properties"]["attachment"] = json!({"nullable": true,
                    "allOf": [{"$ref": "#/components/schemas/Attachment"}]});
            },
            body: r#"
    let page = client.raw().list_conversations().last_message_before(1).last_message_after(0).send().await?;
    assert!(page.into_inner().data.unwrap_or_default().is_empty());
    let message: types::Message = serde_json::from_value(json!({"attachment": {"url": "u", "size": 3}}))?;
    assert_eq!(message.attachment.unwrap().size, Some(3));
"#,
            env: &[],
            patches: &[],
            expect: Expect::Runs {
                warnings: &[
                    "patch 0030-conversation-list-filters.json: an element of `/paths/~1conversations/get/parameters` skipped",
                    "patch 0085-message-attachment-shape.json skipped",
                ],
            },
        },
        Case {
            name: "a change that contradicts a patch stops the build with one paragraph",
            mutate: contradict_limit,
            body: "",
            env: &[],
            patches: &[],
            expect: Expect::Fails {
                fragments: &[
                    "patch ",
                    "0020-limit-range.json: the spec contradicts what this patch corrects at `/components/parameters/Limit/schema`",
                    "TALKJS_SKIP_PATCHES=0020-limit-range.json",
                    "TALKJS_EXTRA_PATCHES",
                ],
            },
        },
        Case {
            name: "the dependent skips the contradicted patch and brings its own",
            mutate: contradict_limit,
            body: r#"
    client.users().upsert("alice", types::UserInput::named("Alice")).await?;
    assert_eq!(client.users().list().limit(100).send().await?.items.len(), 1);
"#,
            env: &[
                ("TALKJS_SKIP_PATCHES", "0020-limit-range.json"),
                ("TALKJS_EXTRA_PATCHES", "{patches}"),
            ],
            patches: &[(
                "9000-limit-as-number.json",
                r#"[
  {"op": "test", "path": "/components/parameters/Limit/schema", "value": {"type": "number"},
   "why": "Our newer spec says number; TalkJS takes 1..=100."},
  {"op": "replace", "path": "/components/parameters/Limit/schema",
   "value": {"type": "integer", "format": "uint32", "minimum": 1, "maximum": 100, "default": 10}}
]"#,
            )],
            expect: Expect::Runs { warnings: &[] },
        },
    ]
}

fn contradict_limit(spec: &mut Value) {
    spec["components"]["parameters"]["Limit"]["schema"] = json!({"type": "number"});
}

/// Adds or changes a description, summary, title or example on every
/// object of the spec that could carry one.
fn document_everything(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(text)) = map.get_mut("description") {
                *text = format!("Changed upstream: {text}");
            }
            if map.contains_key("operationId") {
                map.insert("summary".into(), json!("A newer summary."));
            }
            if map.get("type").is_some_and(Value::is_string) {
                map.entry("title").or_insert(json!("Titled upstream"));
                map.entry("description")
                    .or_insert(json!("Documented upstream."));
            }
            for child in map.values_mut() {
                document_everything(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(document_everything),
        _ => {}
    }
}

const PROGRAM: &str = r#"#![allow(unused_imports, clippy::all)]
use serde_json::json;
use talkjs::types;

#[tokio::main]
async fn main() {
    let emulator = talkjs_emulator::Emulator::start(Default::default()).await.unwrap();
    let client = talkjs::ClientConfig::new(emulator.app_id(), emulator.secret_key())
        .base_url(emulator.base_url())
        .retry(talkjs::RetryPolicy::none())
        .build()
        .unwrap();
    case(&emulator, &client).await.unwrap();
    println!("case ran");
}

async fn case(
    emulator: &talkjs_emulator::Emulator,
    client: &talkjs::Client,
) -> Result<(), Box<dyn std::error::Error>> {
    let _ = (emulator, client);
BODY
    Ok(())
}
"#;

/// The scratch dependent: a crate of its own (its own workspace) that
/// depends on this one and the emulator by path.
fn dependent(root: &Path) -> PathBuf {
    let dir = root.join("dependent");
    fs::create_dir_all(dir.join("src")).unwrap();
    let repo = Path::new(MANIFEST_DIR);
    fs::write(
        dir.join("Cargo.toml"),
        format!(
            r#"[package]
name = "talkjs-spec-evolution-dependent"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
talkjs = {{ path = {talkjs:?} }}
talkjs-emulator = {{ path = {emulator:?} }}
tokio = {{ version = "1", features = ["macros", "rt-multi-thread"] }}
serde_json = "1"

[workspace]
"#,
            talkjs = repo.display().to_string(),
            emulator = repo.join("emulator").display().to_string(),
        ),
    )
    .unwrap();
    // The same versions as this workspace, so the shared target directory
    // already holds most of what the dependent needs.
    if !dir.join("Cargo.lock").exists() {
        fs::copy(repo.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    }
    dir
}

/// Builds and runs `case`; `Err` says what went wrong.
fn run_case(case: &Case, root: &Path, dependent: &Path) -> Result<(), String> {
    let slug: String = case
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let case_dir = root.join("cases").join(&slug);
    let patch_dir = case_dir.join("patches");
    fs::create_dir_all(&patch_dir).unwrap();
    for (name, text) in case.patches {
        fs::write(patch_dir.join(name), text).unwrap();
    }
    let bundled = Path::new(MANIFEST_DIR).join("talkjs-openapi.yml");
    let mut spec: Value = yaml_serde::from_str(&fs::read_to_string(bundled).unwrap()).unwrap();
    (case.mutate)(&mut spec);
    let spec_path = case_dir.join("newer-spec.yml");
    // JSON is YAML.
    fs::write(&spec_path, serde_json::to_string_pretty(&spec).unwrap()).unwrap();
    fs::write(
        dependent.join("src/main.rs"),
        PROGRAM.replace("BODY", case.body),
    )
    .unwrap();

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        // Not `--quiet`: it would hide the build script's warnings.
        .args(["run", "--manifest-path"])
        .arg(dependent.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env("TALKJS_OPENAPI_SPEC", &spec_path)
        .env_remove("TALKJS_SKIP_PATCHES")
        .env_remove("TALKJS_EXTRA_PATCHES")
        .env_remove("RUSTFLAGS");
    for (name, value) in case.env {
        command.env(
            name,
            value.replace("{patches}", &patch_dir.display().to_string()),
        );
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    match &case.expect {
        Expect::Runs { warnings } => {
            if !output.status.success() || !stdout.contains("case ran") {
                return Err(format!("did not build and run:\n{stderr}\n{stdout}"));
            }
            // Warnings are printed only when the build script runs, which
            // a changed spec path always makes it do.
            for warning in *warnings {
                if !stderr.contains(warning) {
                    return Err(format!("no warning {warning:?} in:\n{stderr}"));
                }
            }
            Ok(())
        }
        Expect::Fails { fragments } => {
            if output.status.success() {
                return Err("built, but must fail".into());
            }
            let line = stderr
                .lines()
                .find(|l| l.contains("talkjs build script"))
                .ok_or_else(|| format!("no build script error in:\n{stderr}"))?;
            for fragment in *fragments {
                if !line.contains(fragment) {
                    return Err(format!("{fragment:?} missing from: {line}"));
                }
            }
            Ok(())
        }
    }
}

#[test]
#[ignore = "rebuilds the crate once per case (minutes); .ci/run runs it with --ignored"]
fn a_dependent_builds_against_newer_specs_and_uses_what_they_add() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("spec-evolution");
    let dependent = dependent(&root);
    let mut failures = Vec::new();
    let all = Instant::now();
    for case in cases() {
        let started = Instant::now();
        let outcome = run_case(&case, &root, &dependent);
        eprintln!(
            "spec evolution: {} ({:.0} s): {}",
            if outcome.is_ok() { "pass" } else { "FAIL" },
            started.elapsed().as_secs_f64(),
            case.name
        );
        if let Err(why) = outcome {
            failures.push(format!("{}: {why}", case.name));
        }
    }
    eprintln!(
        "spec evolution: {:.0} s in all",
        all.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
