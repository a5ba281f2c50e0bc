//! Generates `talkjs::raw` from the bundled OpenAPI spec.
//!
//! Steps: read `talkjs-openapi.yml` (or the file named by `TALKJS_OPENAPI_SPEC`),
//! apply every `patches/*.json` (RFC 6902) in file-name order, deserialize into
//! `openapiv3::OpenAPI`, run progenitor with the builder interface, route path
//! encoding through the SDK's own encoder, and pretty-print into `OUT_DIR`.
//!
//! Every failure ends the build with one paragraph naming the file and the
//! reason, never a panic dump: a changed upstream spec must say which patch's
//! assumption broke.

use std::{
    fs,
    path::{Path, PathBuf},
    process::ExitCode,
};

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use syn::visit_mut::VisitMut;

// Reading the spec and applying the patches; tests/build_errors.rs includes
// the same file to test the error messages.
#[path = "build/patching.rs"]
mod patching;

use patching::SPEC_ENV;

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
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/patching.rs");
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

    let mut spec = patching::read_spec(&spec_path, &hint)?;
    for patch_path in patching::patch_files(&patch_dir)? {
        println!("cargo:rerun-if-changed={}", patch_path.display());
        patching::apply_patch(&mut spec, &patch_path)?;
    }

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
        .with_inner_type(syn_tokens("crate::transport::Transport")?)
        .with_hooks(HooksMode::Expected)
        // Path ids: a hand-written check of the same rule as the spec's
        // pattern (src/path.rs), instead of a regex run per id per call.
        .with_replacement(
            "ResourceId",
            "crate::path::ResourceId",
            [TypeImpl::FromStr, TypeImpl::Display].into_iter(),
        );
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
    let mut file: syn::File = syn::parse2(tokens)
        .map_err(|e| format!("progenitor produced code that does not parse: {e}"))?;
    reroute_path_encoding(&mut file)?;
    write(&out_dir.join("raw.rs"), &prettyplease::unparse(&file))
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("cargo did not set {name}"))
}

fn write(path: &Path, contents: &str) -> Result<(), String> {
    fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn syn_tokens(path: &str) -> Result<proc_macro2::TokenStream, String> {
    path.parse()
        .map_err(|e: proc_macro2::LexError| format!("bad token stream {path:?}: {e}"))
}

/// progenitor's `encode_path` leaves `.`, `..` and `\` unencoded; reqwest's URL
/// parser then drops dot segments and turns `\` into `/`, so an id could reach
/// another resource. There is no generator setting for the encoder, so the
/// generated `use progenitor_client::{encode_path, ..}` is pointed at
/// `crate::path::encode_path` instead. The build fails if progenitor's output
/// no longer has that shape, rather than silently keeping the unsafe encoder.
fn reroute_path_encoding(file: &mut syn::File) -> Result<(), String> {
    struct Reroute {
        rerouted: usize,
    }
    impl VisitMut for Reroute {
        fn visit_item_use_mut(&mut self, item: &mut syn::ItemUse) {
            let syn::UseTree::Path(root) = &mut item.tree else {
                return;
            };
            if root.ident != "progenitor_client" {
                return;
            }
            let syn::UseTree::Group(group) = root.tree.as_mut() else {
                return;
            };
            let before = group.items.len();
            group.items = std::mem::take(&mut group.items)
                .into_iter()
                .filter(|tree| !matches!(tree, syn::UseTree::Name(n) if n.ident == "encode_path"))
                .collect();
            if group.items.len() != before {
                self.rerouted += 1;
            }
        }
    }
    let mut visitor = Reroute { rerouted: 0 };
    visitor.visit_file_mut(file);
    if visitor.rerouted != 1 {
        return Err(format!(
            "expected exactly one `use progenitor_client::{{encode_path, ..}}` in progenitor's \
             output, found {}; the generator changed: update reroute_path_encoding in build.rs",
            visitor.rerouted
        ));
    }
    file.items.insert(
        0,
        syn::parse_quote! {
            #[allow(unused_imports)]
            use crate::path::encode_path;
        },
    );
    Ok(())
}
