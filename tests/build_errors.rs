//! What the build script says when the spec or a patch is not what it
//! expects. `build.rs` reads the spec and applies the patches through
//! `build/patching.rs`; this test includes the same file, so the messages
//! are tested without running a build. Each must be one paragraph naming
//! the file (the patch, or the spec) and, for a changed spec, the path.

#[path = "../build/patching.rs"]
mod patching;

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
        .try_for_each(|patch| patching::apply_patch(spec, patch))
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
fn the_bundled_spec_and_patches_give_the_shipped_patched_spec() {
    let mut spec = bundled_spec();
    apply_all(&mut spec).expect("every patch applies to the bundled spec");
    let shipped: Value = serde_json::from_str(talkjs::raw::PATCHED_SPEC).unwrap();
    assert!(
        spec == shipped,
        "build/patching.rs is not what build.rs applied"
    );
}

#[test]
fn patch_files_are_the_json_files_in_name_order() {
    let names: Vec<String> = patches().iter().map(|p| file_name(p)).collect();
    assert!(names.len() >= 11, "{names:?}");
    assert!(names.iter().all(|n| n.ends_with(".json")), "{names:?}");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

/// Every `test` operation of every patch: the value it pins, changed in the
/// spec the patch sees, stops that patch with its file name and the path.
#[test]
fn every_pinned_value_changed_upstream_names_the_patch_and_the_path() {
    let mut spec = bundled_spec();
    let mut checked = 0;
    for patch in patches() {
        let ops: Vec<Value> = serde_json::from_str(&fs::read_to_string(&patch).unwrap()).unwrap();
        for op in ops.iter().filter(|op| op["op"] == "test") {
            let path = op["path"].as_str().unwrap();
            let mut changed = spec.clone();
            *changed
                .pointer_mut(path)
                .unwrap_or_else(|| panic!("{}: {path} not in the spec", file_name(&patch))) =
                json!("changed upstream");
            let error = patching::apply_patch(&mut changed, &patch)
                .expect_err("a changed pinned value must fail the patch");
            assert_one_paragraph(&error);
            assert!(error.contains(&file_name(&patch)), "{error}");
            assert!(error.contains(&format!("`{path}`")), "{error}");
            assert!(error.contains("upstream spec changed"), "{error}");
            assert!(error.contains("\"changed upstream\""), "{error}");
            checked += 1;
        }
        patching::apply_patch(&mut spec, &patch).unwrap();
    }
    assert!(checked >= 90, "only {checked} pinned values");
}

/// The same from the YAML text: an operation renamed upstream.
#[test]
fn a_changed_spec_file_fails_at_the_first_patch_that_assumed_otherwise() {
    let original = fs::read_to_string(Path::new(MANIFEST_DIR).join("talkjs-openapi.yml")).unwrap();
    let changed = original.replacen("operationId: getUser\n", "operationId: fetchUser\n", 1);
    assert_ne!(
        original, changed,
        "the spec no longer has `operationId: getUser`"
    );
    let dir = scratch();
    let spec_path = dir.join("newer.yml");
    fs::write(&spec_path, changed).unwrap();

    let mut spec = patching::read_spec(&spec_path, "").unwrap();
    assert_patch_error(
        &mut spec,
        "0070-error-responses-everywhere.json",
        &[
            "`/paths/~1users~1{userId}/get/operationId`",
            "expected \"getUser\", found \"fetchUser\"",
        ],
    );
    fs::remove_dir_all(dir).unwrap();
}

/// RFC 6902 `add` would silently overwrite a member the spec gained; the
/// build refuses instead.
#[test]
fn a_member_the_spec_gained_upstream_is_not_overwritten() {
    let mut spec = bundled_spec();
    spec["components"]["schemas"]["ResourceId"] = json!({"type": "string"});
    assert_patch_error(
        &mut spec,
        "0010-path-ids-refuse-dot-segments.json",
        &["adds `/components/schemas/ResourceId`, which the spec already has"],
    );

    let mut spec = bundled_spec();
    spec["components"]["schemas"]["Custom"]["nullable"] = json!(false);
    assert_patch_error(
        &mut spec,
        "0080-tolerant-responses.json",
        &["`/components/schemas/Custom/nullable`"],
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
