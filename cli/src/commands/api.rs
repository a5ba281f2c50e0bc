//! `talkjs api <operation>`: every operation of the patched spec as a
//! subcommand, made at run time from `talkjs::raw::PATCHED_SPEC`
//! ([`super::spec`]), sent through the SDK's transport.
//!
//! Why not progenitor's clap generator (`Generator::cli`): its output needs
//! `schemars::JsonSchema` on every response type (the SDK's `schemars`
//! feature) and `anyhow`, takes a body only from `--json-body FILE`,
//! leaves `todo!()` for non-JSON responses, and would have to repeat the
//! SDK's generator settings (replaced types, hooks) exactly to compile
//! against `talkjs::raw`, breaking when they change. Reading the same
//! patched spec at run time gives every operation, an added one included,
//! with no coupling to the generated code; what it gives up is checking a
//! body's shape before sending (TalkJS checks it and answers 400).
//!
//! Requests go through the raw client's `exec` hook, so they carry a fresh
//! app token and get the SDK's retries (a POST never repeated after an
//! ambiguous failure), timeouts and response size cap.

use std::{io::Read, path::Path};

use clap::{Arg, ArgAction, ArgMatches, Command};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use serde_json::Value;

use super::spec::{self, Operation, Scalar};
use crate::failure::{Failure, code};

/// The header the SDK adds to a 5xx it did not retry for fear of applying
/// a request twice (`talkjs::raw`'s module docs).
const OUTCOME_UNKNOWN_HEADER: &str = "x-talkjs-sdk-outcome";

/// One subcommand per operation.
pub fn subcommands() -> Vec<Command> {
    spec::operations().iter().map(subcommand).collect()
}

fn subcommand(op: &'static Operation) -> Command {
    let about = op
        .summary
        .clone()
        .unwrap_or_else(|| format!("{} {}", op.method, op.path));
    let mut long = format!(
        "{about}\n\n{} {} (operationId {})",
        op.method, op.path, op.id
    );
    if let Some(description) = op.description.as_deref().filter(|d| **d != about) {
        long = format!("{long}\n\n{description}");
    }
    let mut command = Command::new(op.command.as_str())
        .about(about)
        .long_about(long);
    for param in &op.params {
        let place = if param.in_path { "path" } else { "query" };
        let help = match &param.description {
            Some(d) => format!("{d} ({place} parameter {})", param.name),
            None => format!("The {place} parameter {}", param.name),
        };
        let mut arg = Arg::new(param.name.as_str())
            .long(param.flag.as_str())
            .value_name("VALUE")
            .required(param.required)
            .help(help);
        if param.repeated {
            arg = arg.action(ArgAction::Append);
        }
        command = command.arg(arg.value_parser(values_of(param.kind)));
    }
    if let Some(body) = &op.body {
        command = command.arg(
            Arg::new("--body")
                .long("body")
                .value_name("JSON|@FILE|-")
                .required(body.required)
                .help(format!(
                    "The request body ({}): the JSON itself, @FILE to read it from a file, or - \
                     for stdin{}",
                    body.content_type,
                    body.shape
                        .as_deref()
                        .map(|shape| {
                            let key = if shape.contains('*') {
                                " (* required)"
                            } else {
                                ""
                            };
                            format!("; {shape}{key}")
                        })
                        .unwrap_or_default()
                )),
        );
    }
    command
}

/// A parser that refuses, as a usage error, a value the parameter's type
/// cannot take (`--limit ten`), and keeps the value's text as given.
fn values_of(kind: Scalar) -> clap::builder::ValueParser {
    fn keep<T: std::str::FromStr>(what: &'static str) -> clap::builder::ValueParser {
        clap::builder::ValueParser::new(move |value: &str| {
            value
                .parse::<T>()
                .map(|_| value.to_owned())
                .map_err(|_| format!("not {what}"))
        })
    }
    match kind {
        Scalar::Integer => keep::<i64>("an integer"),
        Scalar::Number => keep::<f64>("a number"),
        Scalar::Boolean => keep::<bool>("true or false"),
        Scalar::Text => clap::builder::ValueParser::string(),
    }
}

/// Runs the operation `name` with `matches`; the answer's JSON goes to
/// stdout.
pub async fn run(client: &talkjs::Client, name: &str, matches: &ArgMatches) -> Result<(), Failure> {
    let op = spec::operations()
        .iter()
        .find(|op| op.command == name)
        .ok_or_else(|| Failure::input(format!("no operation {name}: see talkjs api --help")))?;
    let raw = client.raw();
    let request = build(raw, op, matches)?;
    // `OperationInfo` wants a `&'static str`; one operation runs per
    // process, so leaking its id once costs a few bytes.
    let operation_id: &'static str = Box::leak(op.id.clone().into_boxed_str());
    let info = OperationInfo { operation_id };
    let response =
        <talkjs::raw::Client as ClientHooks<talkjs::Transport>>::exec(raw, request, &info)
            .await
            .map_err(|e| {
                Failure::new(
                    code::API,
                    format!(
                        "{}: could not reach TalkJS: {e}; check the network and the API URL \
                         (--api-url or TALKJS_API_URL)",
                        op.id
                    ),
                )
            })?;
    let status = response.status();
    let unknown = response.headers().contains_key(OUTCOME_UNKNOWN_HEADER);
    let bytes = response.bytes().await.map_err(|e| {
        Failure::new(
            code::API,
            format!("{}: cannot read TalkJS's {status} answer: {e}", op.id),
        )
    })?;
    if !status.is_success() {
        return Err(answer_failure(op, status.as_u16(), &bytes, unknown));
    }
    print_answer(&bytes)
}

/// The request for `op` from the flags.
fn build(
    raw: &talkjs::raw::Client,
    op: &Operation,
    matches: &ArgMatches,
) -> Result<reqwest::Request, Failure> {
    let mut path = op.path.clone();
    let mut query = Vec::new();
    for param in &op.params {
        let values: Vec<&String> = matches
            .get_many::<String>(&param.name)
            .map(Iterator::collect)
            .unwrap_or_default();
        if param.in_path {
            let Some(value) = values.first() else {
                continue;
            };
            // The SDK's rules: an id no URL can carry is refused, every
            // other one encoded to reach exactly that resource.
            talkjs::path::check_segment(&param.flag, value)
                .map_err(|e| Failure::input(format!("--{}: {e}", param.flag)))?;
            path = path.replace(
                &format!("{{{}}}", param.name),
                &talkjs::path::encode_path(value),
            );
        } else {
            query.extend(values.into_iter().map(|v| (param.name.clone(), v.clone())));
        }
    }
    let mut url = reqwest::Url::parse(&format!("{}{path}", raw.baseurl()))
        .map_err(|e| Failure::input(format!("cannot make a URL of {path}: {e}")))?;
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    let method = reqwest::Method::from_bytes(op.method.as_bytes())
        .map_err(|e| Failure::input(format!("{}: {e}", op.id)))?;
    let mut request = raw.client().request(method, url);
    let given = op
        .body
        .as_ref()
        .and_then(|body| Some((body, matches.get_one::<String>("--body")?)));
    if let Some((body, given)) = given {
        let bytes = read_body(given)?;
        if body.content_type.contains("json") {
            // Checked here: a typo is better reported with its position
            // than as TalkJS's 400.
            serde_json::from_slice::<Value>(&bytes)
                .map_err(|e| Failure::input(format!("--body is not JSON: {e}")))?;
        }
        request = request
            .header(reqwest::header::CONTENT_TYPE, body.content_type.as_str())
            .body(bytes);
    }
    request
        .header(reqwest::header::ACCEPT, "application/json")
        .build()
        .map_err(|e| Failure::input(format!("{}: cannot build the request: {e}", op.id)))
}

/// `--body`: JSON, `@FILE` or `-` (stdin).
pub fn read_body(given: &str) -> Result<Vec<u8>, Failure> {
    if given == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::input(format!("cannot read the body from stdin: {e}")))?;
        Ok(bytes)
    } else if let Some(file) = given.strip_prefix('@') {
        std::fs::read(Path::new(file))
            .map_err(|e| Failure::input(format!("cannot read the body file {file}: {e}")))
    } else {
        Ok(given.as_bytes().to_vec())
    }
}

/// Prints an answer's body: pretty JSON, or its text when it is not JSON.
fn print_answer(bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write;
    if bytes.is_empty() {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    let written = match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => serde_json::to_writer_pretty(&mut out, &value)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n")),
        Err(_) => out.write_all(bytes),
    };
    crate::output::stdout_written("the answer", written)
}

/// The failure of a non-success answer, with what to do.
fn answer_failure(op: &Operation, status: u16, bytes: &[u8], unknown: bool) -> Failure {
    let body = String::from_utf8_lossy(bytes);
    let hint = match status {
        401 | 403 => {
            "; check the app id and the secret key (TALKJS_APP_ID, TALKJS_SECRET_KEY or \
             --secret-key-file)"
        }
        404 => "; check the ids (and the app id: another app has other data)",
        429 => "; rate limited after the retries: wait, or pass --rate-limit",
        400 | 422 => "; TalkJS refused the input: fix the flags or the --body",
        _ if unknown => {
            "; the request may or may not have been applied (it is not retried for fear of \
             applying it twice): check before sending it again"
        }
        _ => "",
    };
    Failure::new(
        code::API,
        format!("{} answered {status}: {}{hint}", op.id, body.trim()),
    )
}
