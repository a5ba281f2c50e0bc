//! The two changes build.rs makes to progenitor's output, both for
//! correctness, and the printing of that output into `OUT_DIR/raw.rs`.
//!
//! They work on proc-macro2 tokens rather than a syn syntax tree: parsing
//! and pretty-printing a whole file needs syn's `full` feature (and
//! prettyplease, which requires it), which progenitor itself does not use;
//! that was the largest part of the build script's cost in a dependent's
//! clean build (benches/build_weight.sh, BENCHMARKS.md). Each change looks
//! for one exact shape and the build fails, naming the change, if progenitor
//! no longer emits it, rather than silently keeping the unsafe code.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};

/// progenitor's `encode_path` percent-encodes a path parameter with a set
/// that covers `/` (progenitor PR #304, "slashes are not properly
/// %-encoded in path parameters") but leaves `.`, `..` and `\` as they are;
/// reqwest's URL parser then drops dot segments and turns `\` into `/`, so
/// an id could reach another resource. No upstream issue or setting covers
/// it, so `encode_path` is taken out of the generated
/// `use progenitor_client::{encode_path, ..};` and imported from
/// `crate::path::encode_display` instead, which encodes every byte outside
/// RFC 3986's unreserved set.
pub fn reroute_path_encoding(file: TokenStream) -> Result<TokenStream, String> {
    let mut rerouted = 0;
    let tokens: Vec<TokenTree> = file.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(tokens.len() + 12);
    let mut i = 0;
    while i < tokens.len() {
        let is_import = is_ident(&tokens[i], "use")
            && tokens
                .get(i + 1)
                .is_some_and(|t| is_ident(t, "progenitor_client"))
            && tokens.get(i + 2).is_some_and(|t| is_punct(t, ':'))
            && tokens.get(i + 3).is_some_and(|t| is_punct(t, ':'));
        if let (true, Some(TokenTree::Group(names))) = (is_import, tokens.get(i + 4))
            && names.delimiter() == Delimiter::Brace
        {
            let (kept, removed) = without_name(names.stream(), "encode_path");
            rerouted += usize::from(removed);
            out.extend(tokens[i..i + 4].iter().cloned());
            let mut group = Group::new(Delimiter::Brace, kept);
            group.set_span(names.span());
            out.push(TokenTree::Group(group));
            i += 5;
            continue;
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    if rerouted != 1 {
        return Err(generator_changed(
            format!(
                "expected exactly one `use progenitor_client::{{encode_path, ..}}` in \
                 progenitor's output, found {rerouted}"
            ),
            "reroute_path_encoding",
        ));
    }
    let mut file: TokenStream =
        tokens_of("#[allow(unused_imports)] use crate::path::encode_display as encode_path;")?;
    file.extend(out);
    Ok(file)
}

/// A builder setter for a path id reports a refused value as "conversion
/// to `crate :: path :: ResourceId` for user_id failed", dropping the
/// reason: since progenitor PR #676 ("don't assume a String error type for
/// conversions") the error type is generic and its text is not kept. The
/// message (`"...".to_string()` in the generated code) becomes
/// `format!("conversion to `ResourceId` for user_id failed: {}",
/// crate::path::ID_RULE)`, so that it says the rule an id must keep.
pub fn state_id_rule(file: TokenStream) -> Result<TokenStream, String> {
    let mut stated = 0;
    let file = state_id_rule_in(file, &mut stated)?;
    if stated == 0 {
        return Err(generator_changed(
            format!("no \"{ID_MESSAGE}..\" message in progenitor's output"),
            "state_id_rule",
        ));
    }
    Ok(file)
}

/// The message progenitor gives a refused path id, up to the field's name.
const ID_MESSAGE: &str = "conversion to `crate :: path :: ResourceId` for ";

fn state_id_rule_in(stream: TokenStream, stated: &mut usize) -> Result<TokenStream, String> {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        // `"conversion to .. for {field} failed" . to_string ( )`
        let field = match &tokens[i] {
            TokenTree::Literal(literal) => {
                id_message_field(&literal.to_string()).map(str::to_owned)
            }
            _ => None,
        };
        let to_string_call = tokens.get(i + 1).is_some_and(|t| is_punct(t, '.'))
            && tokens.get(i + 2).is_some_and(|t| is_ident(t, "to_string"))
            && matches!(tokens.get(i + 3),
                Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis && g.stream().is_empty());
        if let (Some(field), true) = (field, to_string_call) {
            out.extend(tokens_of(&format!(
                "format!(\"conversion to `ResourceId` for {field} failed: {{}}\", crate::path::ID_RULE)"
            ))?);
            *stated += 1;
            i += 4;
            continue;
        }
        match &tokens[i] {
            TokenTree::Group(group) => {
                let mut inner =
                    Group::new(group.delimiter(), state_id_rule_in(group.stream(), stated)?);
                inner.set_span(group.span());
                out.push(TokenTree::Group(inner));
            }
            other => out.push(other.clone()),
        }
        i += 1;
    }
    Ok(out.into_iter().collect())
}

/// The field of a refused-id message literal (`"conversion to .. for
/// user_id failed"`, quotes included), if it is one.
fn id_message_field(literal: &str) -> Option<&str> {
    literal
        .strip_prefix('"')?
        .strip_suffix('"')?
        .strip_prefix(ID_MESSAGE)?
        .strip_suffix(" failed")
        .filter(|field| field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// `names` (the inside of a `use a::{..}` group) without `name` and its
/// comma; whether it was there.
fn without_name(names: TokenStream, name: &str) -> (TokenStream, bool) {
    let mut tokens: Vec<TokenTree> = names.into_iter().collect();
    let Some(at) = tokens.iter().position(|t| is_ident(t, name)) else {
        return (tokens.into_iter().collect(), false);
    };
    // The name as a whole entry: not `a::name` nor `name as b`.
    let alone = (at == 0 || is_punct(&tokens[at - 1], ','))
        && tokens.get(at + 1).is_none_or(|t| is_punct(t, ','));
    if !alone {
        return (tokens.into_iter().collect(), false);
    }
    let end = if tokens.get(at + 1).is_some() {
        at + 2
    } else {
        at + 1
    };
    tokens.drain(at..end);
    (tokens.into_iter().collect(), true)
}

fn is_ident(token: &TokenTree, name: &str) -> bool {
    matches!(token, TokenTree::Ident(ident) if ident == name)
}

fn is_punct(token: &TokenTree, c: char) -> bool {
    matches!(token, TokenTree::Punct(punct) if punct.as_char() == c)
}

/// `code` as tokens (build.rs passes progenitor its inner type so too).
pub fn tokens_of(code: &str) -> Result<TokenStream, String> {
    code.parse()
        .map_err(|e: proc_macro2::LexError| format!("bad token stream {code:?}: {e}"))
}

/// The build error of a rewrite `pass` that found progenitor's output in
/// another shape than it was written for.
fn generator_changed(problem: impl std::fmt::Display, pass: &str) -> String {
    format!("{problem}; the generator changed: update {pass} in build/rewrites.rs")
}

/// `file` as source text with a line per item, statement and brace: enough
/// to read the generated code and the line numbers of an error in it (run
/// `rustfmt` on `OUT_DIR/raw.rs` for more). Hand-written because the crate
/// that pretty-prints, prettyplease, needs syn's `full` feature (see the
/// module's comment).
pub fn print(file: TokenStream) -> String {
    let mut text = String::new();
    print_into(file, 0, &mut text);
    text.push('\n');
    text
}

fn print_into(stream: TokenStream, depth: usize, text: &mut String) {
    // Tokens between two breaks are printed by proc-macro2 itself, which
    // knows where no space may go (`::`, `->`, `'a`).
    let mut run: Vec<TokenTree> = Vec::new();
    let mut tokens = stream.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => {
                flush(&mut run, text);
                text.push_str(if text.ends_with(['\n', ' ']) {
                    "{"
                } else {
                    " {"
                });
                if !group.stream().is_empty() {
                    newline(depth + 1, text);
                    print_into(group.stream(), depth + 1, text);
                    newline(depth, text);
                }
                text.push('}');
                // A block that ends an item or a statement ends the line;
                // one inside an expression (`{ .. }.method()`, `{ .. },`)
                // does not.
                let ends_line = tokens.peek().is_some_and(|next| {
                    !matches!(next, TokenTree::Punct(p) if matches!(p.as_char(), ';' | ',' | '.' | ')' | '?'))
                        && !matches!(next, TokenTree::Ident(i) if i == "else")
                });
                if ends_line {
                    newline(depth, text);
                }
            }
            // `;` ends a statement; `,` directly inside braces ends a
            // field, a variant or a match arm.
            TokenTree::Punct(punct)
                if punct.as_char() == ';' || (depth > 0 && punct.as_char() == ',') =>
            {
                flush(&mut run, text);
                text.push(punct.as_char());
                if tokens.peek().is_some() {
                    newline(depth, text);
                }
            }
            // An attribute (`#[..]`, `#![..]`) on a line of its own.
            TokenTree::Group(group)
                if group.delimiter() == Delimiter::Bracket
                    && run
                        .last()
                        .is_some_and(|t| is_punct(t, '#') || is_punct(t, '!')) =>
            {
                run.push(TokenTree::Group(group));
                flush(&mut run, text);
                newline(depth, text);
            }
            other => run.push(other),
        }
    }
    flush(&mut run, text);
}

/// Prints `run` (tokens without a break) and empties it.
fn flush(run: &mut Vec<TokenTree>, text: &mut String) {
    if run.is_empty() {
        return;
    }
    if !text.is_empty() && !text.ends_with(['\n', ' ', '{']) {
        text.push(' ');
    }
    text.push_str(&run.drain(..).collect::<TokenStream>().to_string());
}

fn newline(depth: usize, text: &mut String) {
    text.push('\n');
    for _ in 0..depth {
        text.push_str("    ");
    }
}
