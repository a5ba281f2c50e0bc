//! What the build script says when the spec or a patch is not what it
//! expects. `build.rs` reads the spec and applies the patches through
//! `build/patching.rs`; this test includes the same file, so the messages
//! are tested without running a build. Each must be one paragraph naming
//! the file (the patch, or the spec) and, for a changed spec, the path.

#[path = "../../build/patching.rs"]
mod patching;
#[path = "../../build/rules.rs"]
mod rules;

use std::{
    ffi::OsString,
    fs,
    path::{Path, PathBuf},
    sync::atomic::{AtomicUsize, Ordering},
};

use serde_json::{Value, json};

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

fn bundled_spec() -> Value {
    let path = Path::new(MANIFEST_DIR).join("talkjs-openapi.yml");
    patching::read_spec(&path, "").expect("the bundled spec parses")
}

fn patches() -> Vec<PathBuf> {
    patching::patch_files(&Path::new(MANIFEST_DIR).join("patches")).expect("patches listed")
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Applies every patch, in order, to `spec`.
fn apply_all(spec: &mut Value) -> Result<(), String> {
    patches()
        .iter()
        .try_for_each(|patch| patching::apply_patch(spec, patch).map(drop))
}

/// A fresh scratch directory under the system temp dir.
fn scratch() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "talkjs-build-errors-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn assert_one_paragraph(message: &str) {
    assert!(
        !message.contains('\n'),
        "the error spans several lines: {message:?}"
    );
    assert!(!message.contains("panicked"), "{message}");
}

/// Applies every patch to `spec`, expecting the error: one paragraph,
/// naming the file `patch` and containing each of `fragments`.
#[track_caller]
fn assert_patch_error(spec: &mut Value, patch: &str, fragments: &[&str]) {
    let error = apply_all(spec).expect_err("a patch must fail");
    assert_one_paragraph(&error);
    assert!(error.contains(patch), "{patch} not named: {error}");
    for fragment in fragments {
        assert!(error.contains(fragment), "{fragment:?} missing: {error}");
    }
}

#[test]
fn the_bundled_spec_patches_and_rules_give_the_shipped_patched_spec() {
    let mut spec = bundled_spec();
    apply_all(&mut spec).expect("every patch applies to the bundled spec");
    rules::apply(&mut spec).expect("the rules apply");
    let shipped: Value = serde_json::from_str(talkjs::raw::PATCHED_SPEC).unwrap();
    assert!(
        spec == shipped,
        "build/patching.rs and build/rules.rs are not what build.rs applied"
    );
}

#[test]
fn patch_files_are_the_json_files_in_name_order() {
    let names: Vec<String> = patches().iter().map(|p| file_name(p)).collect();
    assert!(names.len() >= 10, "{names:?}");
    assert!(names.iter().all(|n| n.ends_with(".json")), "{names:?}");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

/// The `test` operations of every patch that pin an upstream value (not
/// one the patch made itself), each with the spec as it stands before that
/// patch.
fn pinned_values() -> Vec<(PathBuf, String, Value)> {
    let mut spec = bundled_spec();
    let mut pins = Vec::new();
    for patch in patches() {
        let ops: Vec<Value> = serde_json::from_str(&fs::read_to_string(&patch).unwrap()).unwrap();
        for op in ops.iter().filter(|op| op["op"] == "test") {
            let path = op["path"].as_str().unwrap();
            if spec.pointer(path).is_some() {
                pins.push((patch.clone(), path.to_owned(), spec.clone()));
            }
        }
        patching::apply_patch(&mut spec, &patch).unwrap();
    }
    pins
}

/// Applies `patch` to `before` with the value at `path` changed by
/// `change` first.
fn apply_with_change(
    patch: &Path,
    path: &str,
    before: &Value,
    change: impl Fn(&mut Value),
) -> Result<patching::Applied, String> {
    let mut spec = before.clone();
    change(spec.pointer_mut(path).unwrap());
    patching::apply_patch(&mut spec, patch)
}

/// Every `test` operation of every patch: the value it pins, changed in the
/// spec the patch sees, stops that patch with one paragraph naming the file,
/// the path, the values, and what a dependent can do.
#[test]
fn every_pinned_value_changed_upstream_names_the_patch_the_path_and_the_way_out() {
    let pins = pinned_values();
    for (patch, path, before) in &pins {
        let error = apply_with_change(patch, path, before, |v| *v = json!("changed upstream"))
            .expect_err("a changed pinned value must fail the patch");
        assert_one_paragraph(&error);
        let name = file_name(patch);
        assert!(error.contains(&name), "{error}");
        assert!(error.contains(&format!("`{path}`")), "{error}");
        assert!(error.contains("contradicts"), "{error}");
        assert!(error.contains("\"changed upstream\""), "{error}");
        assert!(
            error.contains(&format!("TALKJS_SKIP_PATCHES={name}")),
            "{error}"
        );
        assert!(error.contains("TALKJS_EXTRA_PATCHES"), "{error}");
    }
    assert!(pins.len() >= 12, "only {} pinned values", pins.len());
}

/// What a newer spec adds around a pinned value (documentation, another
/// member, another enum value) is not a change the patch must know of.
#[test]
fn every_pinned_value_may_gain_documentation_and_members_upstream() {
    for (patch, path, before) in pinned_values() {
        let applied = apply_with_change(&patch, &path, &before, |value| {
            // An enum pinned by itself may gain values too.
            if path.ends_with("/enum")
                && let Some(values) = value.as_array_mut()
            {
                values.push(json!("NewValue"));
            }
            if let Some(map) = value.as_object_mut() {
                map.insert("description".into(), json!("Newly documented upstream."));
                map.insert("x-new-member".into(), json!(true));
                if let Some(values) = map.get_mut("enum").and_then(Value::as_array_mut) {
                    values.push(json!("NewValue"));
                }
            }
        })
        .unwrap_or_else(|e| panic!("{}: {path}: {e}", file_name(&patch)));
        assert!(applied.warnings.is_empty(), "{:?}", applied.warnings);
    }
}

/// The same from the YAML text: a pinned value changed upstream.
#[test]
fn a_changed_spec_file_fails_at_the_patch_that_assumed_otherwise() {
    let original = fs::read_to_string(Path::new(MANIFEST_DIR).join("talkjs-openapi.yml")).unwrap();
    let changed = original.replacen(
        "    Limit:\n      name: limit\n      in: query\n      required: false\n      schema:\n        type: integer\n",
        "    Limit:\n      name: limit\n      in: query\n      required: false\n      schema:\n        type: string\n",
        1,
    );
    assert_ne!(
        original, changed,
        "the spec no longer has the Limit parameter"
    );
    let dir = scratch();
    let spec_path = dir.join("newer.yml");
    fs::write(&spec_path, changed).unwrap();

    let mut spec = patching::read_spec(&spec_path, "").unwrap();
    assert_patch_error(
        &mut spec,
        "0020-limit-range.json",
        &[
            "`/components/parameters/Limit/schema`",
            "the patch assumes {\"type\":\"integer\"} there, and the spec has {\"type\":\"string\"}",
        ],
    );
    fs::remove_dir_all(dir).unwrap();
}

/// RFC 6902 `add` would silently overwrite a member the spec gained; the
/// build refuses when the spec's value differs from the patch's.
#[test]
fn a_different_member_the_spec_gained_upstream_is_not_overwritten() {
    let mut spec = bundled_spec();
    spec["components"]["schemas"]["SentMessage"] = json!({"type": "string"});
    assert_patch_error(
        &mut spec,
        "0040-send-messages-response-and-bound.json",
        &[
            "`/components/schemas/SentMessage`",
            "the spec already has {\"type\":\"string\"} there",
            "TALKJS_SKIP_PATCHES=0040-send-messages-response-and-bound.json",
        ],
    );
}

/// Upstream adopting a correction: the parts it already has are skipped
/// with a warning naming the patch, never applied twice; a patch whose
/// every change is there is skipped whole.
#[test]
fn a_correction_adopted_upstream_is_skipped_with_a_warning() {
    let path = Path::new(MANIFEST_DIR).join("patches/0030-conversation-list-filters.json");
    let ops: Vec<Value> = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let before_param = ops[2]["value"].clone();
    assert_eq!(before_param["name"], "lastMessageBefore");

    // One of the five parameters, with TalkJS's own wording.
    let mut spec = bundled_spec();
    let mut adopted = before_param.clone();
    adopted["description"] = json!("Upstream's own words.");
    let list = "/paths/~1conversations/get/parameters";
    spec.pointer_mut(list)
        .unwrap()
        .as_array_mut()
        .unwrap()
        .push(adopted);
    let applied = patching::apply_patch(&mut spec, &path).unwrap();
    assert_eq!(applied.warnings.len(), 1, "{:?}", applied.warnings);
    assert!(applied.warnings[0].contains("0030-conversation-list-filters.json"));
    let names: Vec<&Value> = spec
        .pointer(list)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["name"])
        .collect();
    assert_eq!(
        names.iter().filter(|n| **n == "lastMessageBefore").count(),
        1,
        "applied twice: {names:?}"
    );
    assert!(names.contains(&&json!("lastMessageAfter")), "{names:?}");

    // All of it: the patch is skipped whole.
    let mut spec = bundled_spec();
    patching::apply_patch(&mut spec, &path).unwrap();
    let once = spec.clone();
    let applied = patching::apply_patch(&mut spec, &path).unwrap();
    assert!(spec == once, "a patch was applied twice");
    assert_eq!(applied.warnings.len(), 1, "{:?}", applied.warnings);
    assert!(applied.warnings[0].contains("patch 0030-conversation-list-filters.json skipped"));

    // Every bundled patch on a spec that already holds all of them.
    let mut spec = bundled_spec();
    apply_all(&mut spec).unwrap();
    let patched = spec.clone();
    for patch in patches() {
        let applied = patching::apply_patch(&mut spec, &patch)
            .unwrap_or_else(|e| panic!("{}: {e}", file_name(&patch)));
        assert!(
            !applied.warnings.is_empty(),
            "{}: no warning",
            file_name(&patch)
        );
    }
    assert!(spec == patched, "a bundled patch applied twice");
}

/// A dependent's own patches (`TALKJS_EXTRA_PATCHES`) come after the
/// bundled ones; `TALKJS_SKIP_PATCHES` leaves bundled ones out by name and
/// refuses a name that is not one.
#[test]
fn a_dependent_adds_its_own_patches_and_skips_bundled_ones() {
    let bundled = Path::new(MANIFEST_DIR).join("patches");
    let dir = scratch();
    fs::write(dir.join("0001-mine.json"), "[]").unwrap();
    fs::write(dir.join("notes.txt"), "").unwrap();
    let list = patching::patch_list(
        &bundled,
        Some(dir.clone().into()),
        Some("0020-limit-range.json, 0100-idempotency-window-unconfirmed.json".into()),
    )
    .unwrap();
    let names: Vec<String> = list.iter().map(|p| file_name(p)).collect();
    assert_eq!(names.len(), patches().len() - 2 + 1, "{names:?}");
    assert!(!names.contains(&"0020-limit-range.json".to_owned()));
    assert_eq!(names.last().unwrap(), "0001-mine.json", "{names:?}");

    let error = patching::patch_list(&bundled, None, Some("0020-limit.json".into())).unwrap_err();
    assert_one_paragraph(&error);
    assert!(
        error.contains("TALKJS_SKIP_PATCHES names `0020-limit.json`"),
        "{error}"
    );
    assert!(error.contains("0020-limit-range.json"), "{error}");

    let error = patching::patch_list(&bundled, Some("mine".into()), None).unwrap_err();
    assert!(
        error.contains("TALKJS_EXTRA_PATCHES=mine is a relative path"),
        "{error}"
    );
    fs::remove_dir_all(dir).unwrap();
}

/// The rules reach what a newer spec adds: a new operation gets every
/// error response, a new enum value in a response is a known value of a
/// string, a new input property reaches the response derived from it, and
/// a new clearable input field can be cleared.
#[test]
fn the_rules_cover_what_a_newer_spec_adds() {
    let mut spec = bundled_spec();
    spec["paths"]["/things/{thingId}"] = json!({
        "parameters": [{"name": "thingId", "in": "path", "required": true, "schema": {"type": "string"}}],
        "get": {"operationId": "getThing", "responses": {"200": {"description": "A thing.",
            "content": {"application/json": {"schema": {"type": "object", "properties": {
                "kind": {"type": "string", "enum": ["a", "b"]},
                "tags": {"type": "array", "items": {"type": "string"}}}}}}}}}
    });
    spec["components"]["schemas"]["UserInput"]["properties"]["nickname"] =
        json!({"type": "string", "nullable": true});
    spec["components"]["schemas"]["Message"]["properties"]["type"]["enum"]
        .as_array_mut()
        .unwrap()
        .push(json!("BotMessage"));
    apply_all(&mut spec).unwrap();
    rules::apply(&mut spec).unwrap();

    let op = &spec["paths"]["/things/{thingId}"]["get"];
    for status in ["400", "401", "404", "429", "5XX"] {
        assert!(op["responses"].get(status).is_some(), "no {status}: {op}");
    }
    assert_eq!(
        spec["paths"]["/things/{thingId}"]["parameters"][0]["schema"],
        json!({"$ref": "#/components/schemas/ResourceId"})
    );
    let thing = &op["responses"]["200"]["content"]["application/json"]["schema"]["properties"];
    assert!(thing["kind"].get("enum").is_none(), "{thing}");
    assert_eq!(thing["tags"]["nullable"], true);
    // Rule typed_fields: a message's type is the SDK's `MessageType`,
    // which keeps a value it does not know (such as "BotMessage") as
    // `Unknown`; its schema is a plain string, with no enum to refuse it.
    let message_type = &spec["components"]["schemas"]["Message"]["properties"]["type"];
    assert_eq!(
        message_type,
        &json!({"$ref": "#/components/schemas/MessageType"})
    );
    assert_eq!(
        spec["components"]["schemas"]["MessageType"],
        json!({"type": "string", "nullable": true})
    );
    let user = &spec["components"]["schemas"]["User"];
    assert_eq!(user["properties"]["nickname"]["type"], "string", "{user}");
    assert!(
        user.get("allOf").is_none() && user.get("required").is_none(),
        "{user}"
    );
    assert_eq!(
        spec["components"]["schemas"]["UserInput"]["properties"]["nickname"],
        json!({"$ref": "#/components/schemas/NullableString"})
    );
}

#[test]
fn malformed_yaml_names_the_spec_file() {
    let dir = scratch();
    let spec_path = dir.join("broken.yml");
    fs::write(
        &spec_path,
        "openapi: 3.0.1\npaths:\n  /users: [unclosed\n    get: {}\n",
    )
    .unwrap();
    let error = patching::read_spec(&spec_path, "").unwrap_err();
    assert_one_paragraph(&error);
    assert!(
        error.starts_with(&format!("{}: ", spec_path.display())),
        "{error}"
    );
    assert!(error.contains("not valid YAML"), "{error}");

    let missing = dir.join("missing.yml");
    let error = patching::read_spec(&missing, " (TALKJS_OPENAPI_SPEC points here)").unwrap_err();
    assert_one_paragraph(&error);
    assert!(error.contains(&missing.display().to_string()), "{error}");
    assert!(error.contains("TALKJS_OPENAPI_SPEC points here"), "{error}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn malformed_patches_name_the_patch() {
    let dir = scratch();
    let cases: &[(&str, &str, &str)] = &[
        (
            "9990-truncated.json",
            r#"[{"op": "test", "path": "/openapi", "#,
            "is not an RFC 6902 JSON Patch array",
        ),
        (
            "9991-unknown-op.json",
            r#"[{"op": "frobnicate", "path": "/openapi", "value": 1}]"#,
            "is not an RFC 6902 JSON Patch array",
        ),
        (
            "9992-not-an-array.json",
            r#"{"op": "test", "path": "/openapi", "value": "3.0.1"}"#,
            "is not an RFC 6902 JSON Patch array",
        ),
        (
            "9993-no-opening-test.json",
            r#"[{"op": "remove", "path": "/info"}]"#,
            "must open with a `test` operation",
        ),
        (
            "9994-no-why.json",
            r#"[{"op": "test", "path": "/openapi", "value": "3.0.1"}]"#,
            "must carry a `why` member",
        ),
        (
            "9996-unpinned-replace.json",
            r#"[{"op": "test", "path": "/openapi", "value": "3.0.1", "why": "x"},
                {"op": "replace", "path": "/info/title", "value": "TalkJS"}]"#,
            "operation #1 (replace) changes `/info/title` without an earlier `test`",
        ),
        (
            "9995-bad-path.json",
            r#"[{"op": "test", "path": "/openapi", "value": "3.0.1", "why": "x"},
                {"op": "replace", "path": "/openapi/version", "value": 3}]"#,
            "operation #1 (replace) failed at `/openapi/version`",
        ),
    ];
    for (name, text, reason) in cases {
        let path = dir.join(name);
        fs::write(&path, text).unwrap();
        let mut spec = bundled_spec();
        let before = spec.clone();
        let error = patching::apply_patch(&mut spec, &path).unwrap_err();
        assert_one_paragraph(&error);
        assert!(
            error.starts_with(&format!("patch {}: ", path.display())),
            "{error}"
        );
        assert!(error.contains(reason), "{name}: {error}");
        assert!(spec == before, "{name}: a failed patch changed the spec");
    }
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_spec_variable_must_be_an_absolute_path() {
    let manifest = Path::new(MANIFEST_DIR);
    let bundled = manifest.join("talkjs-openapi.yml");
    assert_eq!(patching::spec_path(manifest, None).unwrap(), bundled);
    assert_eq!(
        patching::spec_path(manifest, Some(OsString::new())).unwrap(),
        bundled
    );
    let absolute = std::env::temp_dir().join("newer.yml");
    assert_eq!(
        patching::spec_path(manifest, Some(absolute.clone().into())).unwrap(),
        absolute
    );
    for relative in ["newer.yml", "./specs/newer.yml", "../newer.yml"] {
        let error = patching::spec_path(manifest, Some(relative.into())).unwrap_err();
        assert_one_paragraph(&error);
        assert!(
            error.contains(&format!(
                "TALKJS_OPENAPI_SPEC={relative} is a relative path"
            )),
            "{error}"
        );
        assert!(error.contains("give an absolute path"), "{error}");
    }
}
