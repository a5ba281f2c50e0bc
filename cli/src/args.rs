//! The command line: global flags and the operator commands. The `api`
//! subcommands are not here: they are made from the spec at run time
//! (`commands::api`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::failure::EXIT_CODES_HELP;

/// Operate a TalkJS app: every REST operation, exports, imports, user
/// sync, GDPR anonymisation, user tokens and webhook checks.
#[derive(Debug, Parser)]
#[command(name = "talkjs", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// Where and as whom to connect.
    #[command(flatten)]
    pub connection: Connection,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Credentials, API URL, pacing and output style; global, so they may
/// come before or after the subcommand.
#[derive(Debug, Args)]
pub struct Connection {
    /// The app id [default: $TALKJS_APP_ID].
    #[arg(long, global = true, value_name = "ID")]
    pub app_id: Option<String>,
    /// A file holding the app's secret key [default: the key in
    /// $TALKJS_SECRET_KEY]. No flag takes the key itself: it would land in
    /// shell history.
    #[arg(long, global = true, value_name = "PATH")]
    pub secret_key_file: Option<PathBuf>,
    /// The API's origin [default: $TALKJS_API_URL, else TalkJS's own,
    /// api.talkjs.com over https]. Plain http:// only to loopback.
    #[arg(long, global = true, value_name = "URL")]
    pub api_url: Option<String>,
    /// Requests a second at most [default: adaptive for export, import,
    /// users sync and anonymise (slows down on 429), unpaced for api].
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,
    /// Requests at once after a quiet spell, with --rate-limit [default:
    /// the rate].
    #[arg(long, global = true, value_name = "N", requires = "rate_limit", value_parser = clap::value_parser!(u32).range(1..))]
    pub burst: Option<u32>,
    /// Plain progress lines on stderr even on a terminal (they are plain
    /// whenever stderr is not one).
    #[arg(long, global = true)]
    pub plain: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Any operation of the TalkJS REST API, one subcommand each, made
    /// from the (patched) OpenAPI spec the SDK was built from.
    Api(ApiArgs),
    /// Write the app (or one conversation, or one user's conversations)
    /// as JSON lines.
    Export(ExportArgs),
    /// Import history from JSON lines, exactly once, resumable.
    Import(ImportArgs),
    /// Manage users.
    Users {
        /// What to do with users.
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Erase a user's personal data as TalkJS's GDPR script does (a dry
    /// run unless --yes).
    Anonymise(AnonymiseArgs),
    /// Sign tokens.
    Token {
        /// Which token.
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Webhook helpers.
    Webhook {
        /// What to do.
        #[command(subcommand)]
        command: WebhookCommand,
    },
}

/// `talkjs api`: its subcommands are added from the spec at run time.
#[derive(Debug, Args)]
pub struct ApiArgs {}

/// `talkjs export`.
#[derive(Debug, Args)]
#[command(after_help = "\
Each line is {\"kind\": \"user\" | \"conversation\" | \"message\", ...}: the users first,
then each conversation followed by its messages (newest first). `talkjs import`
reads this format too, so an export of one app imports into another.

With --out, a rerun of the same command continues: users and conversations
already complete in FILE are skipped, and the conversation the last run was
writing is written again. Without --out (stdout) an export cannot resume.")]
pub struct ExportArgs {
    /// Only this conversation (with its participants' users).
    #[arg(long, value_name = "ID", conflicts_with = "user")]
    pub conversation: Option<String>,
    /// Only this user and the conversations the user is in (with the
    /// other participants' users).
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,
    /// Write to FILE instead of stdout; a rerun continues it.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `talkjs import`.
#[derive(Debug, Args)]
#[command(after_help = "\
FILE holds one JSON object a line, in either format:
  {\"conversation\": \"order-42\", \"message\": {\"type\": \"UserMessage\", \"sender\": \"alice\",
   \"text\": \"hi\", \"timestamp\": 1600000000000, \"readBy\": []}}
or the lines of `talkjs export`: users are upserted, conversations created with
their participants (access and notify kept), then messages imported oldest first
with their timestamps, custom data and readBy (system messages, reactions and
replies' references are left out: TalkJS's import does not take them).

Every line is checked before anything is sent; a bad line is reported with its
number. Messages are imported exactly once: the checkpoint records what TalkJS
stored, and running the same command again (after Ctrl-C, a crash or a failure)
resumes where it stopped.")]
pub struct ImportArgs {
    /// The JSON lines to import.
    pub file: PathBuf,
    /// Where progress is recorded [default: FILE.checkpoint].
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// The job's name in each message's custom `talkjsImportKey`
    /// [default: the checkpoint's file name]; distinct imports into the
    /// same conversations need distinct names.
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,
}

/// `talkjs users ...`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create or update users from a CSV or JSONL file (100 per request).
    Sync(SyncArgs),
}

/// `talkjs users sync`.
#[derive(Debug, Args)]
#[command(after_help = "\
CSV (a .csv file, or --format csv): a header row naming the columns: id, then any fields of a
user as the API names them (name, email, phone, photoUrl, role, locale,
welcomeMessage, availabilityText) and custom.KEY for custom data; email and
phone take several values separated by ';'; an empty cell leaves the field out.
JSONL (any other file, or --format jsonl): {\"id\": \"alice\", \"name\": \"Alice\", ...} a line; the user
lines of `talkjs export` are taken too. Upserts are idempotent: running the
same command again after a failure or Ctrl-C is safe.")]
pub struct SyncArgs {
    /// The CSV or JSONL file (read twice: checked whole, then sent; so a
    /// file, not a pipe).
    pub file: PathBuf,
    /// The file's format [default: csv for a .csv file, else jsonl].
    #[arg(long, value_enum)]
    pub format: Option<UsersFormat>,
}

/// The formats `talkjs users sync` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UsersFormat {
    /// A header row, then a user a row.
    Csv,
    /// A JSON object a line.
    Jsonl,
}

/// `talkjs anonymise`.
#[derive(Debug, Args)]
#[command(after_help = "\
Without --yes nothing changes: the command lists what a run would change.
With --yes: the user's name becomes [DELETED] and every other personal field
null, then in each conversation the user is in, the user's messages (or every
message) are edited to [DELETED]. Every change is an idempotent PUT: after Ctrl-C
or a failure, run the same command again (with --resume FILE, the
conversations already finished are skipped).")]
pub struct AnonymiseArgs {
    /// The user's id.
    pub user: String,
    /// Apply the changes (otherwise a dry run).
    #[arg(long)]
    pub yes: bool,
    /// Edit every message of the user's conversations, not only the
    /// user's own.
    #[arg(long)]
    pub every_message: bool,
    /// Also erase the conversations' subject, photo, custom data and
    /// welcome messages.
    #[arg(long)]
    pub conversations: bool,
    /// A file of finished conversation ids: read to skip them, appended
    /// to as each finishes.
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
}

/// `talkjs token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a frontend user token (a JWT for TalkJS's `Session`).
    User(UserTokenArgs),
}

/// `talkjs token user`.
#[derive(Debug, Args)]
pub struct UserTokenArgs {
    /// The user's id.
    #[arg(value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub id: String,
    /// Seconds until the token expires [default: no expiry].
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub expires_in: Option<u64>,
}

/// `talkjs webhook ...`.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Check a saved webhook request's signature with the app's secret key.
    Verify(VerifyArgs),
}

/// `talkjs webhook verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The request body exactly as received ('-' for stdin).
    #[arg(long, value_name = "FILE")]
    pub body: PathBuf,
    /// The X-TalkJS-Signature header's value.
    #[arg(long, value_name = "HEX")]
    pub signature: String,
    /// The X-TalkJS-Timestamp header's value (Unix milliseconds).
    #[arg(long, value_name = "MS")]
    pub timestamp: String,
    /// Also refuse a timestamp more than SECONDS away from now [default:
    /// any age: a saved request is usually old].
    #[arg(long, value_name = "SECONDS")]
    pub max_age: Option<u64>,
}
