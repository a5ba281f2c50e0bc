//! Reading the OpenAPI spec and applying `patches/*.json` to it.
//!
//! Shared by `build.rs` (`#[path = "build/patching.rs"] mod patching;`) and
//! `tests/build_errors.rs`, so that the messages a changed upstream spec, a
//! malformed spec or a malformed patch produce are tested without a build.
//! Every error is one paragraph (no line breaks) naming the file and the
//! reason.

use std::{
    ffi::OsString,
    fs,
    path::{Path, PathBuf},
};

use serde_json::Value;

/// The environment variable naming another spec file.
pub const SPEC_ENV: &str = "TALKJS_OPENAPI_SPEC";

/// The spec to read: the value of [`SPEC_ENV`] if set and non-empty (it must
/// be absolute), else the bundled `talkjs-openapi.yml` in `manifest_dir`.
pub fn spec_path(manifest_dir: &Path, env_value: Option<OsString>) -> Result<PathBuf, String> {
    match env_value {
        Some(value) if !value.is_empty() => {
            let path = PathBuf::from(value);
            if path.is_relative() {
                return Err(format!(
                    "{SPEC_ENV}={} is a relative path; give an absolute path. A build script \
                     runs in the talkjs package's directory ({}), not in the directory cargo was \
                     started from, so a relative path would silently mean another file",
                    path.display(),
                    manifest_dir.display()
                ));
            }
            Ok(path)
        }
        _ => Ok(manifest_dir.join("talkjs-openapi.yml")),
    }
}

/// Reads and parses the spec. `hint` is appended to a read error (e.g. which
/// environment variable named the file).
pub fn read_spec(path: &Path, hint: &str) -> Result<Value, String> {
    let text = fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read the OpenAPI spec {}{hint}: {}",
            path.display(),
            one_line(&e)
        )
    })?;
    parse_spec(&text, path)
}

/// Parses the spec's YAML text; `path` only names it in errors.
pub fn parse_spec(text: &str, path: &Path) -> Result<Value, String> {
    yaml_serde::from_str(text).map_err(|e| {
        format!(
            "{}: the OpenAPI spec is not valid YAML: {}",
            path.display(),
            one_line(&e)
        )
    })
}

/// The `*.json` files in `dir`, in file-name order.
pub fn patch_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let list_error =
        |e: std::io::Error| format!("cannot list patches in {}: {}", dir.display(), one_line(&e));
    let mut paths = Vec::new();
    for entry in fs::read_dir(dir).map_err(list_error)? {
        let path = entry.map_err(list_error)?.path();
        if path.extension().is_some_and(|ext| ext == "json") {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// Reads the patch file at `path` and applies it to `spec`.
pub fn apply_patch(spec: &mut Value, path: &Path) -> Result<(), String> {
    let text = fs::read_to_string(path)
        .map_err(|e| format!("patch {}: cannot read it: {}", path.display(), one_line(&e)))?;
    apply_patch_text(spec, &text, path)
}

/// Applies the patch `text` to `spec`; `path` names the patch in errors.
///
/// Beyond RFC 6902: the first operation must be a `test` with a non-empty
/// `why` member; a `replace`, `remove` or `move` must follow a `test` of the
/// value it changes (or of one containing it); and an `add` must create an
/// object member, never overwrite one (RFC 6902's `add` silently replaces an existing member, and `test`
/// cannot assert absence): a patch that means to overwrite a value `test`s
/// it and `replace`s it. So an upstream spec that gains a member a patch
/// adds stops the build here.
pub fn apply_patch_text(spec: &mut Value, text: &str, path: &Path) -> Result<(), String> {
    let fail = |what: String| format!("patch {}: {what}", path.display());
    // Parsed once: the raw value is read for `why` below.
    let not_a_patch = |e: serde_json::Error| {
        fail(format!(
            "is not an RFC 6902 JSON Patch array: {}",
            one_line(&e)
        ))
    };
    let raw: Value = serde_json::from_str(text).map_err(not_a_patch)?;
    let patch: json_patch::Patch = serde_json::from_value(raw.clone()).map_err(not_a_patch)?;
    if !matches!(patch.0.first(), Some(json_patch::PatchOperation::Test(_))) {
        return Err(fail(
            "must open with a `test` operation on the value it assumes, so that a changed \
             upstream spec fails here and not in a confusing place later"
                .into(),
        ));
    }
    if raw
        .pointer("/0/why")
        .and_then(Value::as_str)
        .is_none_or(|why| why.trim().is_empty())
    {
        return Err(fail(
            "its first operation must carry a `why` member saying what the patch corrects and \
             where the truth comes from"
                .into(),
        ));
    }
    let mut pinned: Vec<&str> = Vec::new();
    for (index, op) in patch.0.iter().enumerate() {
        let overwritten = match op {
            json_patch::PatchOperation::Test(test) => {
                pinned.push(test.path.as_str());
                None
            }
            json_patch::PatchOperation::Replace(op) => Some(op.path.as_str()),
            json_patch::PatchOperation::Remove(op) => Some(op.path.as_str()),
            json_patch::PatchOperation::Move(op) => Some(op.from.as_str()),
            _ => None,
        };
        if let Some(target) = overwritten {
            let is_pinned = pinned.iter().any(|test| {
                target == *test
                    || target
                        .strip_prefix(test)
                        .is_some_and(|rest| rest.starts_with('/'))
            });
            if !is_pinned {
                return Err(fail(format!(
                    "operation #{index} ({}) changes `{target}` without an earlier `test` of \
                     that value (or of a value containing it): pin what the patch overwrites, \
                     so that a changed upstream spec fails here",
                    op_name(op)
                )));
            }
        }
        if let json_patch::PatchOperation::Add(add) = op {
            let target = add.path.as_str();
            let parent = target.rsplit_once('/').map_or("", |(parent, _)| parent);
            if let (Some(Value::Object(_)), Some(found)) =
                (spec.pointer(parent), spec.pointer(target))
            {
                return Err(fail(format!(
                    "operation #{index} adds `{target}`, which the spec already has (found {}); \
                     the upstream spec changed: review this patch (to overwrite a value on \
                     purpose, `test` it and `replace` it)",
                    excerpt(found)
                )));
            }
        }
        json_patch::patch(spec, std::slice::from_ref(op)).map_err(|e| {
            let detail = match op {
                json_patch::PatchOperation::Test(t) => format!(
                    "the spec no longer holds the value this patch assumes at `{}` (expected {}, \
                     found {}); the upstream spec changed: review this patch",
                    t.path,
                    excerpt(&t.value),
                    spec.pointer(t.path.as_str())
                        .map_or_else(|| "nothing".to_owned(), excerpt)
                ),
                op => format!(
                    "operation #{index} ({}) failed at `{}`",
                    op_name(op),
                    op.path()
                ),
            };
            fail(format!("{detail}: {}", one_line(&e.kind)))
        })?;
    }
    Ok(())
}

fn op_name(op: &json_patch::PatchOperation) -> &'static str {
    match op {
        json_patch::PatchOperation::Add(_) => "add",
        json_patch::PatchOperation::Remove(_) => "remove",
        json_patch::PatchOperation::Replace(_) => "replace",
        json_patch::PatchOperation::Move(_) => "move",
        json_patch::PatchOperation::Copy(_) => "copy",
        json_patch::PatchOperation::Test(_) => "test",
    }
}

/// A value as compact JSON, cut at 200 characters.
fn excerpt(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// An error message on one line, so the build's error stays one paragraph.
pub fn one_line(error: &dyn std::fmt::Display) -> String {
    error
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
