//! Generates `talkjs::raw` from the bundled OpenAPI spec.
//!
//! Steps: read `talkjs-openapi.yml` (or the file named by `TALKJS_OPENAPI_SPEC`),
//! apply every `patches/*.json` (RFC 6902) in file-name order (less those
//! named by `TALKJS_SKIP_PATCHES`, then those in `TALKJS_EXTRA_PATCHES`),
//! apply the rules of `build/rules.rs`, deserialize into
//! `openapiv3::OpenAPI`, run progenitor with the builder interface, route path
//! encoding through the SDK's own encoder, and pretty-print into `OUT_DIR`.
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
use syn::visit_mut::VisitMut;

// Reading the spec and applying the patches; tests/sdk/build_errors.rs includes
// the same file to test the error messages.
#[path = "build/patching.rs"]
mod patching;
// The corrections that hold for every operation or schema of a kind.
#[path = "build/rules.rs"]
mod rules;

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
        .with_inner_type(syn_tokens("crate::http::transport::Transport")?)
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
    let mut file: syn::File = syn::parse2(tokens)
        .map_err(|e| format!("progenitor produced code that does not parse: {e}"))?;
    reroute_path_encoding(&mut file)?;
    state_id_rule(&mut file)?;
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

/// progenitor's `encode_path` percent-encodes a path parameter with a set
/// that covers `/` (progenitor PR #304, "slashes are not properly
/// %-encoded in path parameters") but leaves `.`, `..` and `\` as they are;
/// reqwest's URL parser then drops dot segments and turns `\` into `/`, so
/// an id could reach another resource. No upstream issue or setting covers
/// it, so the generated `use progenitor_client::{encode_path, ..}` is
/// pointed at `crate::path::encode_display`, which encodes every byte
/// outside RFC 3986's unreserved set. The build fails if progenitor's output
/// no longer has that shape, rather than silently keeping the unsafe
/// encoder.
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
        return Err(generator_changed(
            format!(
                "expected exactly one `use progenitor_client::{{encode_path, ..}}` in \
                 progenitor's output, found {}",
                visitor.rerouted
            ),
            "reroute_path_encoding",
        ));
    }
    file.items.insert(
        0,
        syn::parse_quote! {
            #[allow(unused_imports)]
            use crate::path::encode_display as encode_path;
        },
    );
    Ok(())
}

/// A builder setter for a path id reports a refused value as "conversion
/// to `crate :: path :: ResourceId` for user_id failed", dropping the
/// reason: since progenitor PR #676 ("don't assume a String error type for
/// conversions") the error type is generic and its text is not kept. The message gets the rule an id must
/// keep (`crate::path::ID_RULE`), in the same shape, which the typed layer
/// parses into a field and a rule. The build fails if there is no such
/// message: the generator changed.
fn state_id_rule(file: &mut syn::File) -> Result<(), String> {
    const PREFIX: &str = "conversion to `crate :: path :: ResourceId` for ";
    struct State(usize);
    impl VisitMut for State {
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            syn::visit_mut::visit_expr_mut(self, expr);
            let Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            })) = to_string_receiver(expr)
            else {
                return;
            };
            let value = text.value();
            let Some(field) = value
                .strip_prefix(PREFIX)
                .and_then(|rest| rest.strip_suffix(" failed"))
            else {
                return;
            };
            let template = syn::LitStr::new(
                &format!("conversion to `ResourceId` for {field} failed: {{}}"),
                text.span(),
            );
            *expr = syn::parse_quote! { format!(#template, crate::path::ID_RULE) };
            self.0 += 1;
        }
    }
    let mut state = State(0);
    state.visit_file_mut(file);
    rewrote_some(state.0, &format!("\"{PREFIX}..\" message"), "state_id_rule")
}

/// The build error of a rewrite `pass` that found progenitor's output in
/// another shape than it was written for.
fn generator_changed(problem: impl std::fmt::Display, pass: &str) -> String {
    format!("{problem}; the generator changed: update {pass} in build.rs")
}

/// `Ok` if a rewrite `pass` changed something (`count` places); if it
/// found none of `what`, the generator changed.
fn rewrote_some(count: usize, what: &str, pass: &str) -> Result<(), String> {
    if count == 0 {
        return Err(generator_changed(
            format!("no {what} in progenitor's output"),
            pass,
        ));
    }
    Ok(())
}

/// The receiver of `receiver.to_string()`.
fn to_string_receiver(expr: &syn::Expr) -> Option<&syn::Expr> {
    match expr {
        syn::Expr::MethodCall(call) if call.method == "to_string" && call.args.is_empty() => {
            Some(&call.receiver)
        }
        _ => None,
    }
}
