//! `talkjs export`: the app, one conversation, or one user's
//! conversations, as the JSON lines of `talkjs::bulk::Exported` (users,
//! then each conversation followed by its messages), to stdout or a file
//! that a rerun continues ([`super::export_resume`]).

use futures::TryStreamExt;
use talkjs::{
    Client, ClientStats,
    bulk::Exported,
    raw::types::{Conversation, User},
};

use super::export_resume::{self, Written};
use crate::{
    args::ExportArgs,
    failure::{Failure, code},
    interrupt::Interrupt,
    output::JsonLines,
    progress::{Counts, Progress},
};

/// Whether the export ran to its end.
enum Flow {
    Done,
    Stopped,
}

/// One export's state.
struct Job<'a> {
    client: &'a Client,
    out: JsonLines,
    written: Written,
    progress: Progress,
    interrupt: &'a Interrupt,
    start: ClientStats,
    lines: u64,
    skipped: u64,
}

/// Runs the export.
pub async fn run(
    client: &Client,
    args: &ExportArgs,
    plain: bool,
    interrupt: &Interrupt,
) -> Result<(), Failure> {
    let (out, written) = match &args.out {
        Some(path) => {
            let written = export_resume::scan(path)?;
            (JsonLines::file(path, written.keep)?, written)
        }
        None => (JsonLines::stdout(), Written::default()),
    };
    let mut job = Job {
        client,
        out,
        written,
        progress: Progress::new("export", "lines", None, plain),
        interrupt,
        start: client.stats(),
        lines: 0,
        skipped: 0,
    };
    let flow = match (&args.conversation, &args.user) {
        (Some(id), _) => job.one_conversation(id).await,
        (None, Some(id)) => job.one_user(id).await,
        (None, None) => job.everything().await,
    };
    let flushed = job.out.flush();
    job.show();
    job.progress.finish();
    let resume = match &job.out.path {
        Some(path) => format!(
            "run the same command again to continue {} where it stopped",
            path.display()
        ),
        None => "the output is incomplete; export with --out FILE to be able to resume".into(),
    };
    match flow {
        Ok(Flow::Done) => {
            flushed?;
            crate::output::note(format_args!(
                "export: {} lines written ({} users and conversations already in the file)",
                job.lines, job.skipped
            ));
            Ok(())
        }
        Ok(Flow::Stopped) => {
            flushed?;
            Err(Failure::new(
                code::INTERRUPTED,
                format!("interrupted after {} lines: {resume}", job.lines),
            ))
        }
        Err(mut failure) => {
            failure.message = format!("{}; {resume}", failure.message);
            Err(failure)
        }
    }
}

impl Job<'_> {
    /// Every user, then every conversation with its messages.
    async fn everything(&mut self) -> Result<Flow, Failure> {
        let client = self.client;
        let mut users = std::pin::pin!(client.users().list().stream());
        while let Some(user) = users
            .try_next()
            .await
            .map_err(|e| Failure::api("listing users", e))?
        {
            if self.interrupt.requested() {
                return Ok(Flow::Stopped);
            }
            self.user(user)?;
        }
        let mut conversations = std::pin::pin!(client.conversations().list().stream());
        while let Some(conversation) = conversations
            .try_next()
            .await
            .map_err(|e| Failure::api("listing conversations", e))?
        {
            if let Flow::Stopped = self.conversation(conversation, false).await? {
                return Ok(Flow::Stopped);
            }
        }
        Ok(Flow::Done)
    }

    /// One conversation, after its participants' users.
    async fn one_conversation(&mut self, id: &str) -> Result<Flow, Failure> {
        let conversation = self
            .client
            .conversations()
            .get(id)
            .await
            .map_err(|e| Failure::api(&format!("reading conversation {id:?}"), e))?;
        self.conversation(conversation, true).await
    }

    /// One user, then each of the user's conversations after its other
    /// participants' users.
    async fn one_user(&mut self, id: &str) -> Result<Flow, Failure> {
        self.user_by_id(id).await?;
        let client = self.client;
        let mut conversations = std::pin::pin!(client.users().conversations(id).stream());
        while let Some(conversation) = conversations
            .try_next()
            .await
            .map_err(|e| Failure::api(&format!("listing the conversations of {id:?}"), e))?
        {
            if let Flow::Stopped = self.conversation(conversation, true).await? {
                return Ok(Flow::Stopped);
            }
        }
        Ok(Flow::Done)
    }

    fn user(&mut self, user: User) -> Result<(), Failure> {
        let id = user.id.clone().unwrap_or_default();
        if self.written.users.contains(&id) {
            self.skipped += 1;
            return Ok(());
        }
        self.line(&Exported::User(Box::new(user)))?;
        self.written.users.insert(id);
        Ok(())
    }

    async fn user_by_id(&mut self, id: &str) -> Result<(), Failure> {
        if self.written.users.contains(id) {
            return Ok(());
        }
        let user = self
            .client
            .users()
            .get(id)
            .await
            .map_err(|e| Failure::api(&format!("reading user {id:?}"), e))?;
        self.user(user)
    }

    /// The conversation's line and its messages' (newest first, as TalkJS
    /// lists them), unless the file already holds them; with
    /// `participants`, its participants' users first.
    async fn conversation(
        &mut self,
        conversation: Conversation,
        participants: bool,
    ) -> Result<Flow, Failure> {
        if self.interrupt.requested() {
            return Ok(Flow::Stopped);
        }
        let id = conversation.id.clone().unwrap_or_default();
        if self.written.conversations.contains(&id) {
            self.skipped += 1;
            return Ok(Flow::Done);
        }
        if participants {
            let mut ids: Vec<String> = conversation
                .participants
                .iter()
                .flat_map(|p| p.keys().cloned())
                .collect();
            // Sorted: the same data always exports to the same file.
            ids.sort();
            for user in ids {
                self.user_by_id(&user).await?;
            }
        }
        self.line(&Exported::Conversation(Box::new(conversation)))?;
        let client = self.client;
        let mut messages = std::pin::pin!(client.messages(id.as_str()).list().stream());
        while let Some(message) = messages
            .try_next()
            .await
            .map_err(|e| Failure::api(&format!("listing the messages of {id:?}"), e))?
        {
            if self.interrupt.requested() {
                // Cut short: a rerun writes this conversation again.
                return Ok(Flow::Stopped);
            }
            self.line(&Exported::Message {
                conversation_id: id.clone(),
                message: Box::new(message),
            })?;
        }
        self.out.flush()?;
        self.written.conversations.insert(id);
        Ok(Flow::Done)
    }

    fn line(&mut self, item: &Exported) -> Result<(), Failure> {
        self.out.write(item)?;
        self.lines += 1;
        self.show();
        Ok(())
    }

    fn show(&self) {
        let stats = self.client.stats().since(&self.start);
        self.progress.show(Counts {
            position: self.lines,
            skipped: self.skipped,
            retried: stats.retries,
            throttled: stats.throttled,
            ..Counts::default()
        });
    }
}
