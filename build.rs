//! Generates `talkjs::raw` from the bundled OpenAPI spec.
//!
//! Steps: read `talkjs-openapi.yml` (or the file named by `TALKJS_OPENAPI_SPEC`),
//! apply every `patches/*.json` (RFC 6902) in file-name order (less those
//! named by `TALKJS_SKIP_PATCHES`, then those in `TALKJS_EXTRA_PATCHES`),
//! apply the rules of `build/rules.rs`, deserialize into
//! `openapiv3::OpenAPI`, run progenitor with the builder interface, route path
//! encoding through the SDK's own encoder, and write the result into
//! `OUT_DIR` (build/rewrites.rs).
//!
//! Every failure ends the build with one paragraph naming the file and the
//! reason, never a panic dump: a changed upstream spec must say which patch's
//! assumption broke, and what a dependent can do about it.

use std::{
    fs,
    path::{Path, PathBuf},
    process::ExitCode,
};

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};

// Reading the spec and applying the patches; tests/sdk/build_errors.rs includes
// the same file to test the error messages.
#[path = "build/patching.rs"]
mod patching;
// The corrections that hold for every operation or schema of a kind.
#[path = "build/rules.rs"]
mod rules;
// The two changes to progenitor's output, and its printing.
#[path = "build/rewrites.rs"]
mod rewrites;

use patching::{EXTRA_ENV, SKIP_ENV, SPEC_ENV};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: talkjs build script: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env("OUT_DIR")?);

    println!("cargo:rerun-if-env-changed={SPEC_ENV}");
    println!("cargo:rerun-if-env-changed={EXTRA_ENV}");
    println!("cargo:rerun-if-env-changed={SKIP_ENV}");
    println!("cargo:rerun-if-changed=build/rules.rs");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/patching.rs");
    println!("cargo:rerun-if-changed=build/rewrites.rs");
    let spec_env = std::env::var_os(SPEC_ENV);
    let hint = if spec_env.is_some() {
        format!(" ({SPEC_ENV} points here)")
    } else {
        String::new()
    };
    let spec_path = patching::spec_path(&manifest_dir, spec_env)?;
    println!("cargo:rerun-if-changed={}", spec_path.display());
    let patch_dir = manifest_dir.join("patches");
    // Watching the directory catches added and removed patch files.
    println!("cargo:rerun-if-changed={}", patch_dir.display());

    let extra_dir = std::env::var_os(EXTRA_ENV);
    if let Some(dir) = extra_dir.as_ref().filter(|d| !d.is_empty()) {
        println!("cargo:rerun-if-changed={}", PathBuf::from(dir).display());
    }
    let patches = patching::patch_list(&patch_dir, extra_dir, std::env::var_os(SKIP_ENV))?;

    let mut spec = patching::read_spec(&spec_path, &hint)?;
    for patch_path in patches {
        println!("cargo:rerun-if-changed={}", patch_path.display());
        for warning in patching::apply_patch(&mut spec, &patch_path)?.warnings {
            println!("cargo:warning=talkjs: {warning}");
        }
    }
    rules::apply(&mut spec)?;

    let patched = serde_json::to_string_pretty(&spec)
        .map_err(|e| format!("cannot serialize the patched spec: {e}"))?;
    write(&out_dir.join("talkjs-openapi.patched.json"), &patched)?;

    let api: openapiv3::OpenAPI = serde_json::from_value(spec).map_err(|e| {
        format!(
            "{}: after patching, the spec is not a valid OpenAPI 3.0 document: {}",
            spec_path.display(),
            patching::one_line(&e)
        )
    })?;

    let mut settings = GenerationSettings::default();
    settings
        // Builders: an optional parameter added to the spec later is one more
        // setter, never a changed function signature.
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // The SDK's transport (auth, retries, tracing) is the client's inner
        // value; `Expected` makes forgetting its hooks a compile error.
        .with_inner_type(rewrites::tokens_of("crate::http::transport::Transport")?)
        .with_hooks(HooksMode::Expected)
        // Path ids: a hand-written check of the same rule as the spec's
        // pattern (src/path.rs), instead of a regex run per id per call.
        .with_replacement(
            "ResourceId",
            "crate::path::ResourceId",
            [TypeImpl::FromStr, TypeImpl::Display].into_iter(),
        );
    // Response fields the SDK types itself (rules::typed_fields).
    for typed in rules::TYPED_FIELDS {
        settings.with_replacement(typed, format!("crate::types::{typed}"), std::iter::empty());
    }
    if std::env::var_os("CARGO_FEATURE_SCHEMARS").is_some() {
        settings.with_derive("schemars::JsonSchema");
    }
    let tokens = Generator::new(&settings)
        .generate_tokens(&api)
        .map_err(|e| {
            format!(
                "{}: progenitor cannot generate a client: {}",
                spec_path.display(),
                patching::one_line(&e)
            )
        })?;
    let file = rewrites::state_id_rule(rewrites::reroute_path_encoding(tokens)?)?;
    write(&out_dir.join("raw.rs"), &rewrites::print(file))
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("cargo did not set {name}"))
}

fn write(path: &Path, contents: &str) -> Result<(), String> {
    fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
