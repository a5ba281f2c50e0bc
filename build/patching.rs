//! Reading the OpenAPI spec and applying `patches/*.json` to it.
//!
//! Shared by `build.rs` (`#[path = "build/patching.rs"] mod patching;`) and
//! `tests/sdk/build_errors.rs`, so that the messages a changed upstream spec, a
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

/// The environment variable naming a directory of the dependent's own
/// patches, applied after the bundled ones.
pub const EXTRA_ENV: &str = "TALKJS_EXTRA_PATCHES";

/// The environment variable listing bundled patches not to apply, by file
/// name, separated by commas.
pub const SKIP_ENV: &str = "TALKJS_SKIP_PATCHES";

/// The patches to apply, in order: the `*.json` files of `bundled` in name
/// order less those `skip` names (comma-separated file names, each of which
/// must exist), then those of the directory `extra` names (absolute).
pub fn patch_list(
    bundled: &Path,
    extra: Option<OsString>,
    skip: Option<OsString>,
) -> Result<Vec<PathBuf>, String> {
    let mut paths = patch_files(bundled)?;
    let skip = skip
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    for name in skip.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let before = paths.len();
        paths.retain(|p| p.file_name().is_none_or(|f| f != name));
        if paths.len() == before {
            let known: Vec<String> = patch_files(bundled)?
                .iter()
                .filter_map(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
                .collect();
            return Err(format!(
                "{SKIP_ENV} names `{name}`, which is not a bundled patch; the bundled patches \
                 are: {}",
                known.join(", ")
            ));
        }
    }
    if let Some(dir) = extra.filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        if dir.is_relative() {
            return Err(format!(
                "{EXTRA_ENV}={} is a relative path; give an absolute path (a build script runs \
                 in the talkjs package's directory, not where cargo was started)",
                dir.display()
            ));
        }
        paths.extend(patch_files(&dir)?);
    }
    Ok(paths)
}

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

/// What applying one patch did, beyond changing the spec: the warnings a
/// build prints (`cargo:warning`), e.g. that the spec already held what an
/// operation adds.
#[derive(Debug, Default)]
pub struct Applied {
    /// One line per warning, naming the patch.
    pub warnings: Vec<String>,
}

/// Reads the patch file at `path` and applies it to `spec`.
pub fn apply_patch(spec: &mut Value, path: &Path) -> Result<Applied, String> {
    let text = fs::read_to_string(path)
        .map_err(|e| format!("patch {}: cannot read it: {}", path.display(), one_line(&e)))?;
    apply_patch_text(spec, &text, path)
}

/// Members that only document: a newer spec may add or change them anywhere
/// without that being a change a patch must know of.
pub const DOC_KEYS: [&str; 6] = [
    "description",
    "summary",
    "title",
    "example",
    "examples",
    "externalDocs",
];

/// Applies the patch `text` to `spec`; `path` names the patch in errors.
///
/// Beyond RFC 6902:
/// - the first operation must be a `test` with a non-empty `why` member;
/// - a `replace`, `remove` or `move` must follow a `test` of the value it
///   changes, of one containing it, or of one inside it;
/// - a `test` checks that the spec still holds *at least* the pinned value
///   ([`covers`]): documentation members are ignored, objects may have more
///   members and enums more values, so a newer spec's additions never stop
///   the build; only a pinned value that changed does;
/// - an `add` of a documentation member always applies;
/// - an `add` of anything else the spec already has is skipped with a
///   warning when the spec's value covers the patch's (upstream adopted the
///   correction: an array element counts as present when one with the same
///   `name` and `in`, or covering it, is there), and is an error when it
///   differs (upstream contradicts the patch);
/// - a patch whose every change the spec already holds is skipped whole,
///   with a warning, before any of its `test`s runs.
pub fn apply_patch_text(spec: &mut Value, text: &str, path: &Path) -> Result<Applied, String> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
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
            let within = |outer: &str, inner: &str| {
                inner == outer
                    || inner
                        .strip_prefix(outer)
                        .is_some_and(|rest| rest.starts_with('/'))
            };
            if !pinned
                .iter()
                .any(|test| within(test, target) || within(target, test))
            {
                return Err(fail(format!(
                    "operation #{index} ({}) changes `{target}` without an earlier `test` of \
                     that value (or of a value containing it, or inside it): pin what the patch \
                     overwrites, so that a changed upstream spec fails here",
                    op_name(op)
                )));
            }
        }
    }

    let mut applied = Applied::default();
    let changes: Vec<&json_patch::PatchOperation> = patch
        .0
        .iter()
        .filter(|op| !matches!(op, json_patch::PatchOperation::Test(_)))
        .collect();
    if !changes.is_empty() && changes.iter().all(|op| already_holds(spec, op)) {
        applied.warnings.push(format!(
            "patch {name} skipped: the spec already holds everything it changes (upstream \
             adopted this correction); the patch can be removed"
        ));
        return Ok(applied);
    }

    for (index, op) in patch.0.iter().enumerate() {
        match op {
            json_patch::PatchOperation::Test(test) => {
                let found = spec.pointer(test.path.as_str());
                if !found
                    .is_some_and(|found| covers(found, &test.value, member(test.path.as_str())))
                {
                    return Err(fail(contradiction(
                        &name,
                        test.path.as_str(),
                        &format!(
                            "the patch assumes {} there, and the spec has {}",
                            excerpt(&test.value),
                            found.map_or_else(|| "nothing".to_owned(), excerpt)
                        ),
                    )));
                }
                continue;
            }
            json_patch::PatchOperation::Add(add) => {
                let target = add.path.as_str();
                let (parent, last) = target.rsplit_once('/').unwrap_or(("", target));
                let is_doc = DOC_KEYS.contains(&last);
                match spec.pointer(parent) {
                    Some(Value::Object(members)) if !is_doc => {
                        if let Some(found) = members.get(&unescape(last)) {
                            if covers(found, &add.value, Some(last)) {
                                applied.warnings.push(format!(
                                    "patch {name}: `{target}` skipped, the spec already has it \
                                     (upstream adopted this part of the correction)"
                                ));
                                continue;
                            }
                            return Err(fail(contradiction(
                                &name,
                                target,
                                &format!(
                                    "operation #{index} adds {}, and the spec already has {} \
                                     there",
                                    excerpt(&add.value),
                                    excerpt(found)
                                ),
                            )));
                        }
                    }
                    Some(Value::Array(items))
                        if items.iter().any(|i| same_element(i, &add.value)) =>
                    {
                        applied.warnings.push(format!(
                            "patch {name}: an element of `{parent}` skipped, the spec already \
                             has it (upstream adopted this part of the correction)"
                        ));
                        continue;
                    }
                    // A documentation member is ours to correct: RFC
                    // 6902's `add` sets it, whether or not the spec has one.
                    _ => {}
                }
            }
            _ => {}
        }
        json_patch::patch(spec, std::slice::from_ref(op)).map_err(|e| {
            fail(format!(
                "operation #{index} ({}) failed at `{}`: {}",
                op_name(op),
                op.path(),
                one_line(&e.kind)
            ))
        })?;
    }
    Ok(applied)
}

/// The paragraph for a spec that contradicts patch `name` at `path`.
fn contradiction(name: &str, path: &str, detail: &str) -> String {
    format!(
        "the spec contradicts what this patch corrects at `{path}`: {detail}. The upstream spec \
         changed there: review the patch against it. To build anyway, skip the patch with \
         {SKIP_ENV}={name}, and if the correction is still needed, put your own version of it \
         in the directory named by {EXTRA_ENV}"
    )
}

/// Whether `spec` already holds what `op` would write.
fn already_holds(spec: &Value, op: &json_patch::PatchOperation) -> bool {
    use json_patch::PatchOperation as Op;
    match op {
        Op::Add(add) => {
            let target = add.path.as_str();
            let (parent, _) = target.rsplit_once('/').unwrap_or(("", target));
            match (spec.pointer(parent), spec.pointer(target)) {
                (Some(Value::Array(items)), _) => items.iter().any(|i| same_element(i, &add.value)),
                (_, Some(found)) => covers(found, &add.value, member(target)),
                _ => false,
            }
        }
        Op::Replace(replace) => spec
            .pointer(replace.path.as_str())
            .is_some_and(|found| covers(found, &replace.value, member(replace.path.as_str()))),
        Op::Remove(remove) => spec.pointer(remove.path.as_str()).is_none(),
        // A copy that later operations adjust: its target being there is
        // all that can be told.
        Op::Copy(copy) => spec.pointer(copy.path.as_str()).is_some(),
        Op::Move(op) => {
            spec.pointer(op.from.as_str()).is_none() && spec.pointer(op.path.as_str()).is_some()
        }
        Op::Test(_) => true,
    }
}

/// Whether `found` holds at least `expected`: every member of an expected
/// object (documentation members aside) with a value it covers, every value
/// of an expected `enum`, the items of any other array one by one, and
/// equal scalars. `key` is the member name `found` sits under.
pub fn covers(found: &Value, expected: &Value, key: Option<&str>) -> bool {
    match (found, expected) {
        (Value::Object(found), Value::Object(expected)) => expected.iter().all(|(k, v)| {
            DOC_KEYS.contains(&k.as_str()) || found.get(k).is_some_and(|f| covers(f, v, Some(k)))
        }),
        (Value::Array(found), Value::Array(expected)) if key == Some("enum") => {
            expected.iter().all(|v| found.contains(v))
        }
        (Value::Array(found), Value::Array(expected)) => {
            found.len() == expected.len()
                && found.iter().zip(expected).all(|(f, v)| covers(f, v, None))
        }
        (found, expected) => found == expected,
    }
}

/// Whether array element `found` is the element `added`: a parameter (or
/// any object) with the same `name` and `in`, or one covering it.
fn same_element(found: &Value, added: &Value) -> bool {
    let id = |v: &Value| (v.get("name").cloned(), v.get("in").cloned());
    match id(added) {
        (Some(name), place) => id(found) == (Some(name), place),
        _ => covers(found, added, None),
    }
}

/// The member name a JSON pointer ends in (`enum` for `/a/enum`), for
/// [`covers`].
fn member(pointer: &str) -> Option<&str> {
    pointer.rsplit_once('/').map(|(_, last)| last)
}

/// A JSON pointer segment, unescaped (RFC 6901).
fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
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
