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

// Reading the spec and applying the patches; tests/build_errors.rs includes
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
    state_id_rule(&mut file)?;
    drop_api_version_header(&mut file)?;
    merge_identical_arms(&mut file);
    defer_missing_parameter_messages(&mut file)?;
    reroute_decoding(&mut file)?;
    reroute_json_bodies(&mut file)?;
    reshape_sends(&mut file)?;
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
/// `crate::path::encode_display` instead. The build fails if progenitor's
/// output no longer has that shape, rather than silently keeping the unsafe
/// encoder.
///
/// The generated calls read `encode_path(&id.to_string())`; they become
/// `encode_path(&id)`, since `encode_display` takes any `Display` value and
/// writes its encoding straight into the URL: two allocations fewer per id
/// per call (BENCHMARKS.md). A call of another shape still compiles, as
/// `&String` and `&str` are `Display` too.
fn reroute_path_encoding(file: &mut syn::File) -> Result<(), String> {
    struct Reroute {
        rerouted: usize,
    }
    impl VisitMut for Reroute {
        /// The calls sit inside `format!(..)`, whose arguments syn keeps as
        /// tokens: parse them, rewrite them, print them back.
        fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
            if !mac.path.is_ident("format") {
                return;
            }
            let parser = syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
            if let Ok(mut args) = mac.parse_body_with(parser) {
                args.iter_mut().for_each(|arg| self.visit_expr_mut(arg));
                mac.tokens = quote::ToTokens::to_token_stream(&args);
            }
        }
        fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
            syn::visit_mut::visit_expr_call_mut(self, call);
            let Some(syn::Expr::Reference(arg)) = sole_argument(call, "encode_path") else {
                return;
            };
            if let Some(id) = to_string_receiver(&arg.expr).cloned() {
                *arg.expr = id;
            }
        }
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
/// reason (its error type is generic). The message gets the rule an id must
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

/// The one argument of `name(arg)`, a call of the plain function `name`.
fn sole_argument<'a>(call: &'a mut syn::ExprCall, name: &str) -> Option<&'a mut syn::Expr> {
    let syn::Expr::Path(func) = call.func.as_ref() else {
        return None;
    };
    if !func.path.is_ident(name) || call.args.len() != 1 {
        return None;
    }
    call.args.first_mut()
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

/// progenitor sends the spec's `info.version` as an `api-version` header on
/// every request, which TalkJS does not read (its own is
/// `TalkJS-REST-Version`, set by the transport). Each operation builds a
/// `HeaderMap::with_capacity(n)`, appends `api-version` to it and merges it
/// into the request; removing the append and counting one header fewer
/// spares two allocations and a header-map merge per call (BENCHMARKS.md).
/// The build fails if an append is found without its `with_capacity` in the
/// same block, rather than leave a map sized for a header it never holds.
fn drop_api_version_header(file: &mut syn::File) -> Result<(), String> {
    struct DropApiVersion {
        error: Option<String>,
    }
    fn is_api_version_append(stmt: &syn::Stmt) -> bool {
        let syn::Stmt::Expr(syn::Expr::MethodCall(call), _) = stmt else {
            return false;
        };
        // `.append(HeaderName::from_static("api-version"), ..)`
        let Some(syn::Expr::Call(name)) = call.args.first() else {
            return false;
        };
        let syn::Expr::Path(func) = name.func.as_ref() else {
            return false;
        };
        call.method == "append"
            && func
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "from_static")
            && matches!(
                name.args.first(),
                Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. })) if s.value() == "api-version"
            )
    }
    /// `let mut header_map = ...HeaderMap::with_capacity(<n>usize);`
    fn capacity_literal(stmt: &mut syn::Stmt) -> Option<&mut syn::LitInt> {
        let syn::Stmt::Local(local) = stmt else {
            return None;
        };
        let syn::Expr::Call(call) = local.init.as_mut()?.expr.as_mut() else {
            return None;
        };
        let syn::Expr::Path(func) = call.func.as_ref() else {
            return None;
        };
        let last = func.path.segments.last()?;
        if last.ident != "with_capacity" || call.args.len() != 1 {
            return None;
        }
        match call.args.first_mut()? {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(n),
                ..
            }) => Some(n),
            _ => None,
        }
    }
    impl VisitMut for DropApiVersion {
        fn visit_block_mut(&mut self, block: &mut syn::Block) {
            syn::visit_mut::visit_block_mut(self, block);
            let before = block.stmts.len();
            block.stmts.retain(|stmt| !is_api_version_append(stmt));
            let removed = before - block.stmts.len();
            if removed == 0 {
                return;
            }
            let sized = block
                .stmts
                .iter_mut()
                .position(|stmt| capacity_literal(stmt).is_some());
            let left = sized.and_then(|at| {
                let lit = capacity_literal(&mut block.stmts[at])?;
                let n = lit.base10_parse::<usize>().ok()?.checked_sub(removed)?;
                *lit = syn::LitInt::new(&format!("{n}usize"), lit.span());
                Some((at, n))
            });
            match left {
                // No header left to add: drop the map and its merge.
                Some((at, 0)) => {
                    block.stmts.remove(at);
                    let mut merge = UnwrapHeaders { unwrapped: 0 };
                    block.stmts.iter_mut().for_each(|s| merge.visit_stmt_mut(s));
                    if merge.unwrapped != 1 {
                        self.error.get_or_insert_with(|| {
                            format!(
                                "{} `.headers(header_map)` calls where one was expected",
                                merge.unwrapped
                            )
                        });
                    }
                }
                Some(_) => {}
                None => {
                    self.error.get_or_insert_with(|| {
                        "an `api-version` header append without a `HeaderMap::with_capacity(n)` \
                         sized for it in the same block"
                            .into()
                    });
                }
            }
        }
    }
    /// Replaces `<request builder>.headers(header_map)` with the builder.
    struct UnwrapHeaders {
        unwrapped: usize,
    }
    impl VisitMut for UnwrapHeaders {
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            syn::visit_mut::visit_expr_mut(self, expr);
            if let syn::Expr::MethodCall(call) = expr
                && call.method == "headers"
                && call.args.len() == 1
                && matches!(call.args.first(), Some(syn::Expr::Path(p)) if p.path.is_ident("header_map"))
            {
                *expr = (*call.receiver).clone();
                self.unwrapped += 1;
            }
        }
    }
    // Finding no `api-version` header at all is fine: there is nothing to
    // drop (unlike the path encoder, whose absence would be unsafe).
    let mut visitor = DropApiVersion { error: None };
    visitor.visit_file_mut(file);
    match visitor.error {
        Some(error) => Err(generator_changed(error, "drop_api_version_header")),
        None => Ok(()),
    }
}

/// progenitor writes one `match` arm per documented status, and the error
/// statuses all have the same body (decode the error, return it): five
/// copies of the same decoding, each its own state of the operation's future
/// and its own inlined code. Adjacent arms with identical bodies whose
/// patterns are only literals and ranges become one arm (`400u16 | 401u16 |
/// .. => body`), which matches exactly the same values in the same order,
/// with a fraction of the code that every call's future carries
/// (BENCHMARKS.md).
fn merge_identical_arms(file: &mut syn::File) {
    /// A pattern of literals and ranges only (the status codes): it binds
    /// nothing, so it can join any other such pattern.
    fn constant(pat: &syn::Pat) -> bool {
        match pat {
            syn::Pat::Lit(_) | syn::Pat::Range(_) => true,
            syn::Pat::Or(or) => or.cases.iter().all(constant),
            _ => false,
        }
    }
    struct Merge;
    impl VisitMut for Merge {
        fn visit_expr_match_mut(&mut self, m: &mut syn::ExprMatch) {
            syn::visit_mut::visit_expr_match_mut(self, m);
            let body = |arm: &syn::Arm| quote::ToTokens::to_token_stream(&arm.body).to_string();
            let mut merged: Vec<syn::Arm> = Vec::with_capacity(m.arms.len());
            for arm in std::mem::take(&mut m.arms) {
                if let Some(last) = merged.last_mut()
                    && constant(&last.pat)
                    && constant(&arm.pat)
                    && last.attrs.is_empty()
                    && arm.attrs.is_empty()
                    && body(last) == body(&arm)
                {
                    let mut cases = syn::punctuated::Punctuated::<syn::Pat, syn::Token![|]>::new();
                    for pat in [last.pat.clone(), arm.pat] {
                        match pat {
                            syn::Pat::Or(or) => cases.extend(or.cases),
                            pat => cases.push(pat),
                        }
                    }
                    last.pat = syn::Pat::Or(syn::PatOr {
                        attrs: Vec::new(),
                        leading_vert: None,
                        cases,
                    });
                    continue;
                }
                merged.push(arm);
            }
            m.arms = merged;
        }
    }
    Merge.visit_file_mut(file);
}

/// progenitor's builders start every required parameter as
/// `Err("x was not initialized".to_string())`: one allocation (and its
/// free) per required parameter per call, for a message only a raw call
/// that forgets a setter ever sees (BENCHMARKS.md). The marker becomes an
/// empty `String` (no allocation), and `send` puts the same message in its
/// place if the value was never set. Every other error a builder field can
/// hold is a non-empty conversion message, so empty means "never set".
///
/// Per builder: the markers in the `impl` and the `let x = x
/// ..map_err(Error::InvalidRequest)?;` of `send` must name the same
/// parameters, or the build fails rather than lose a message.
fn defer_missing_parameter_messages(file: &mut syn::File) -> Result<(), String> {
    const SUFFIX: &str = " was not initialized";

    /// `Err("x was not initialized".to_string())` becomes `Err(String::new())`.
    struct Markers(Vec<String>);
    impl VisitMut for Markers {
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            syn::visit_mut::visit_expr_mut(self, expr);
            let syn::Expr::Call(call) = expr else { return };
            let Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            })) = sole_argument(call, "Err").and_then(|arg| to_string_receiver(arg))
            else {
                return;
            };
            let Some(name) = text.value().strip_suffix(SUFFIX).map(str::to_owned) else {
                return;
            };
            *expr = syn::parse_quote! { Err(String::new()) };
            self.0.push(name);
        }
    }

    /// In `let x = x.map_err(Error::InvalidRequest)?;` (with any calls in
    /// between), the empty marker becomes the message again.
    struct Restore<'a> {
        names: &'a [String],
        restored: Vec<String>,
    }
    impl VisitMut for Restore<'_> {
        fn visit_local_mut(&mut self, local: &mut syn::Local) {
            syn::visit_mut::visit_local_mut(self, local);
            let syn::Pat::Ident(binding) = &local.pat else {
                return;
            };
            let name = binding.ident.to_string();
            if !self.names.contains(&name) {
                return;
            }
            let Some(init) = &mut local.init else { return };
            let syn::Expr::Try(tried) = init.expr.as_mut() else {
                return;
            };
            let syn::Expr::MethodCall(map_err) = tried.expr.as_mut() else {
                return;
            };
            let invalid_request: syn::Expr = syn::parse_quote! { Error::InvalidRequest };
            if map_err.method != "map_err"
                || map_err.args.len() != 1
                || map_err.args.first() != Some(&invalid_request)
            {
                return;
            }
            let message = format!("{name}{SUFFIX}");
            map_err.args = syn::parse_quote! {
                |e: String| Error::InvalidRequest(if e.is_empty() { #message.to_string() } else { e })
            };
            self.restored.push(name);
        }
    }

    struct Builders(Result<(), String>);
    impl VisitMut for Builders {
        fn visit_item_impl_mut(&mut self, item: &mut syn::ItemImpl) {
            let mut markers = Markers(Vec::new());
            markers.visit_item_impl_mut(item);
            if markers.0.is_empty() {
                return;
            }
            let mut restore = Restore {
                names: &markers.0,
                restored: Vec::new(),
            };
            restore.visit_item_impl_mut(item);
            let (mut marked, mut restored) = (markers.0.clone(), restore.restored);
            marked.sort();
            restored.sort();
            if marked != restored && self.0.is_ok() {
                let ty = quote::ToTokens::to_token_stream(&item.self_ty).to_string();
                self.0 = Err(generator_changed(
                    format!(
                        "builder {ty}: parameters marked \"not initialized\" {marked:?}, but \
                         `send` reports {restored:?} through `map_err(Error::InvalidRequest)`"
                    ),
                    "defer_missing_parameter_messages",
                ));
            }
        }
    }
    let mut builders = Builders(Ok(()));
    builders.visit_file_mut(file);
    builders.0
}

/// Generated operations decode with `ResponseValue::from_response`, whose
/// future (944 bytes: it clones the headers and awaits reqwest's `bytes()`)
/// sits inside every operation's future and is copied whenever that moves.
/// The calls are pointed at `crate::decode::from_response`, which gives the
/// same result with a future a third of the size (BENCHMARKS.md). The build
/// fails if there is no call to reroute: the generator changed.
fn reroute_decoding(file: &mut syn::File) -> Result<(), String> {
    struct Reroute(usize);
    impl VisitMut for Reroute {
        fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
            syn::visit_mut::visit_expr_call_mut(self, call);
            let from_response: syn::Path = syn::parse_quote! { ResponseValue::from_response };
            if matches!(call.func.as_ref(), syn::Expr::Path(p) if p.qself.is_none() && p.path == from_response)
            {
                *call.func = syn::parse_quote! { crate::decode::from_response };
                self.0 += 1;
            }
        }
    }
    let mut reroute = Reroute(0);
    reroute.visit_file_mut(file);
    rewrote_some(
        reroute.0,
        "`ResponseValue::from_response(..)` call",
        "reroute_decoding",
    )
}

/// Generated operations serialise their bodies with reqwest's
/// `RequestBuilder::json`, whose buffer starts at 128 bytes and doubles:
/// four reallocations for a send of ten messages. The calls are pointed at
/// `crate::json_body::attach`, which sizes the buffer from the last body
/// and otherwise does the same (src/json_body.rs) as long as the request
/// has no `Content-Type` yet (`json` keeps one, `attach` adds another). The
/// build fails if there is no call to reroute, or if a rerouted request
/// sets a `Content-Type` first: the generator changed.
fn reroute_json_bodies(file: &mut syn::File) -> Result<(), String> {
    struct Reroute {
        calls: usize,
        content_type_set: bool,
    }
    impl VisitMut for Reroute {
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            syn::visit_mut::visit_expr_mut(self, expr);
            let syn::Expr::MethodCall(call) = expr else {
                return;
            };
            if call.method != "json" || call.turbofish.is_some() || call.args.len() != 1 {
                return;
            }
            let (receiver, value) = (&call.receiver, &call.args[0]);
            let before = quote::ToTokens::to_token_stream(receiver).to_string();
            self.content_type_set |= before.contains("CONTENT_TYPE")
                || before.to_ascii_lowercase().contains("content-type");
            *expr = syn::parse_quote! { crate::json_body::attach(#receiver, #value) };
            self.calls += 1;
        }
    }
    let mut reroute = Reroute {
        calls: 0,
        content_type_set: false,
    };
    reroute.visit_file_mut(file);
    const PASS: &str = "reroute_json_bodies";
    if reroute.content_type_set {
        return Err(generator_changed(
            "a generated request sets a Content-Type before its `.json(..)` body",
            PASS,
        ));
    }
    rewrote_some(reroute.calls, "`.json(..)` request body", PASS)
}

/// Two changes to the body of every generated `send`, made in one pass
/// because the second looks for statements the first has already removed:
///
/// 1. It awaits `client.pre(..)` and `client.post(..)`, progenitor's
///    per-request hooks, which the SDK leaves as the no-ops they are by
///    default (its work is in `exec`, src/transport.rs). Awaiting them
///    keeps the request and the raw result alive across two more
///    suspension points. The two statements are removed.
/// 2. The request, its builder's values and the raw result are locals of
///    the whole function, and rustc keeps a local's storage in the future
///    until its scope ends once it has been borrowed, even after it was
///    moved (rust-lang/rust#62958): 400 bytes carried through the
///    decoding, and copied with the future. Everything up to `let response
///    = result?;` becomes a block that yields `response`, so that those
///    locals end there. The same statements run in the same order.
///
/// Together: the generated `get user` future went from 1,576 to 480 bytes
/// (BENCHMARKS.md). The build fails if a `send` lacks either shape, or if
/// there is no `send` at all: the generator changed.
fn reshape_sends(file: &mut syn::File) -> Result<(), String> {
    struct Reshape {
        sends: usize,
        error: Option<String>,
    }
    impl Reshape {
        fn reshape(f: &mut syn::ImplItemFn) -> Result<(), String> {
            let hooks: [syn::Stmt; 2] = [
                syn::parse_quote! { client.pre(&mut request, &info).await?; },
                syn::parse_quote! { client.post(&result, &info).await?; },
            ];
            let before = f.block.stmts.len();
            f.block.stmts.retain(|s| !hooks.contains(s));
            let removed = before - f.block.stmts.len();
            if removed != 2 {
                return Err(format!(
                    "awaits {removed} of `client.pre(..)` and `client.post(..)` instead of both"
                ));
            }
            let response_stmt: syn::Stmt = syn::parse_quote! { let response = result?; };
            let Some(at) = f.block.stmts.iter().position(|s| *s == response_stmt) else {
                return Err("has no `let response = result?;`".into());
            };
            let rest = f.block.stmts.split_off(at + 1);
            let mut before = std::mem::take(&mut f.block.stmts);
            before.pop(); // `let response = result?;` itself
            f.block.stmts = vec![syn::parse_quote! {
                let response = {
                    #(#before)*
                    result?
                };
            }];
            f.block.stmts.extend(rest);
            Ok(())
        }
    }
    impl VisitMut for Reshape {
        fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
            syn::visit_mut::visit_impl_item_fn_mut(self, f);
            if f.sig.ident != "send" || f.sig.asyncness.is_none() {
                return;
            }
            match Reshape::reshape(f) {
                Ok(()) => self.sends += 1,
                Err(e) => {
                    self.error.get_or_insert(format!("a generated `send` {e}"));
                }
            }
        }
    }
    let mut reshape = Reshape {
        sends: 0,
        error: None,
    };
    reshape.visit_file_mut(file);
    match reshape.error {
        Some(error) => Err(generator_changed(error, "reshape_sends")),
        None => rewrote_some(reshape.sends, "generated `send`", "reshape_sends"),
    }
}
