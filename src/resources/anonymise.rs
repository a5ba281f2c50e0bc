//! Erasing a user's personal data the way TalkJS's own GDPR script does
//! (`rest-api/anonymizing-user/anonymiseUser.ts` in
//! <https://github.com/talkjs/talkjs-examples>): the user's name becomes
//! `[DELETED]` and every other personal field `null`; in every conversation
//! the user is in, the user's messages (or every message) are edited to
//! `[DELETED]` with `custom` cleared; optionally the conversations' own
//! subject, photo, custom data and welcome messages go too.

use std::collections::HashSet;

use futures::TryStreamExt;

use crate::{
    Client, Error, Users,
    chunked::partial,
    conversations::put_conversation,
    messages::edit_message,
    raw::types::{
        ConversationInput, Custom, EditMessageBody, NullableCustom, NullableString,
        NullableStringList, UserInput,
    },
    users::put_user,
};

/// What replaces erased text, as in TalkJS's script.
pub(crate) const DELETED: &str = "[DELETED]";

/// An anonymisation job, from [`Users::anonymise`]; [`Anonymise::send`]
/// runs it.
///
/// It first replaces the user's profile, then lists the user's
/// conversations once (their ids only), then goes through them one by
/// one, streaming each one's messages a page at a time: no page is loaded
/// twice and nothing recurses, whatever the history's size. Every change is
/// an idempotent `PUT`, so a run that stopped can be run again; a run that
/// fails in a conversation ends with [`Error::Partial`], whose `applied_ids`
/// are the conversations finished before it: pass them to
/// [`Anonymise::skip_conversations`] to resume without redoing them.
///
/// Only the conversations the user is still in are reached (the user's own
/// list); TalkJS's script does the same. Push tokens are left as they are.
///
/// ```no_run
/// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
/// // What would change, without changing anything.
/// let plan = client.users().anonymise("alice").conversations_too().dry_run().send().await?;
/// println!("{} messages in {} conversations", plan.messages_edited, plan.conversations.len());
///
/// // Then for real, resuming after a failure.
/// let job = || client.users().anonymise("alice").conversations_too();
/// let report = match job().send().await {
///     Err(talkjs::Error::Partial { applied_ids, .. }) => {
///         job().skip_conversations(applied_ids).send().await?
///     }
///     other => other?,
/// };
/// # Ok(()) }
/// ```
#[must_use = "an anonymisation changes nothing until `.send()`"]
pub struct Anonymise<'a> {
    client: &'a Client,
    user_id: String,
    every_message: bool,
    conversations_too: bool,
    dry_run: bool,
    skip: HashSet<String>,
    progress: Option<OnProgress<'a>>,
}

/// The caller's progress callback.
type OnProgress<'a> = Box<dyn FnMut(&AnonymiseProgress) + Send + 'a>;

impl std::fmt::Debug for Anonymise<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Anonymise")
            .field("user_id", &self.user_id)
            .field("every_message", &self.every_message)
            .field("conversations_too", &self.conversations_too)
            .field("dry_run", &self.dry_run)
            .field("skip", &self.skip.len())
            .finish_non_exhaustive()
    }
}

/// Where a running anonymisation is, after each conversation.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct AnonymiseProgress {
    /// The conversation just finished.
    pub conversation_id: String,
    /// Conversations finished so far in this run (skipped ones excluded).
    pub done: usize,
    /// Conversations this run goes through (skipped ones excluded).
    pub total: usize,
    /// Messages edited (or, in a dry run, to edit) so far.
    pub messages_edited: usize,
}

/// What an anonymisation changed, or in a dry run would change.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnonymiseReport {
    /// Nothing was changed: the counts say what a run would change.
    pub dry_run: bool,
    /// The conversations gone through, in order (skipped ones excluded).
    pub conversations: Vec<String>,
    /// Conversations skipped as already finished.
    pub skipped: usize,
    /// Conversations whose own data was erased (with
    /// [`Anonymise::conversations_too`]).
    pub conversations_erased: usize,
    /// Messages edited to `[DELETED]`.
    pub messages_edited: usize,
}

impl<'a> Users<'a> {
    /// Anonymises `user_id` as TalkJS's GDPR script does; see [`Anonymise`].
    pub fn anonymise(&self, user_id: impl Into<String>) -> Anonymise<'a> {
        Anonymise {
            client: self.client(),
            user_id: user_id.into(),
            every_message: false,
            conversations_too: false,
            dry_run: false,
            skip: HashSet::new(),
            progress: None,
        }
    }
}

impl<'a> Anonymise<'a> {
    /// Edits every message of the user's conversations, not only the
    /// user's own (the script's `cleanupOnlyUsersMessages = false`).
    pub fn every_message(mut self) -> Self {
        self.every_message = true;
        self
    }

    /// Also erases the conversations' own data: `subject` becomes
    /// `[DELETED]`; `photoUrl`, `custom` and `welcomeMessages` become `null`
    /// (the script's `cleanupConverstions`).
    pub fn conversations_too(mut self) -> Self {
        self.conversations_too = true;
        self
    }

    /// Changes nothing: reads what a run would read and reports what it
    /// would change.
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }

    /// Leaves these conversations out: those a failed run finished (its
    /// [`Error::Partial`]'s `applied_ids`).
    pub fn skip_conversations<I>(mut self, ids: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.skip.extend(ids.into_iter().map(Into::into));
        self
    }

    /// Calls `report` after each conversation.
    pub fn on_progress(mut self, report: impl FnMut(&AnonymiseProgress) + Send + 'a) -> Self {
        self.progress = Some(Box::new(report));
        self
    }

    /// Runs the job. An unknown user is [`Error::NotFound`]; a failure in a
    /// conversation after others were finished is [`Error::Partial`] with
    /// the finished ones in `applied_ids`.
    pub async fn send(mut self) -> Result<AnonymiseReport, Error> {
        let client = self.client;
        let mut report = AnonymiseReport {
            dry_run: self.dry_run,
            ..Default::default()
        };
        // An unknown user is refused: the upsert would create one.
        let profile = put_user(&self.user_id, &erased_user())?;
        client.users().get(&self.user_id).await?;
        // The profile first: after it, the name is gone whatever follows.
        if !self.dry_run {
            client.perform(profile).await?;
        }

        // The ids once, before anything changes the list's order.
        let ids: Vec<String> = client
            .users()
            .conversations(&self.user_id)
            .stream()
            .map_ok(|conversation| conversation.id.unwrap_or_default())
            .try_collect()
            .await?;
        let (skipped, todo): (Vec<String>, Vec<String>) = ids
            .into_iter()
            .filter(|id| !id.is_empty())
            .partition(|id| self.skip.contains(id));
        report.skipped = skipped.len();
        let total = todo.len();
        for (index, conversation_id) in todo.into_iter().enumerate() {
            if let Err(source) = self.conversation(&conversation_id, &mut report).await {
                let done = report.conversations.clone();
                return Err(partial(index, done.len(), done, source));
            }
            report.conversations.push(conversation_id.clone());
            if let Some(progress) = &mut self.progress {
                progress(&AnonymiseProgress {
                    conversation_id,
                    done: index + 1,
                    total,
                    messages_edited: report.messages_edited,
                });
            }
        }
        Ok(report)
    }

    /// Erases one conversation: its own data if asked, then its messages.
    async fn conversation(&self, id: &str, report: &mut AnonymiseReport) -> Result<(), Error> {
        let client = self.client;
        if self.conversations_too {
            let request = put_conversation(id, &erased_conversation())?;
            if !self.dry_run {
                client.perform(request).await?;
            }
            report.conversations_erased += 1;
        }
        let edit = erased_message();
        let mut messages = std::pin::pin!(client.messages(id).list().stream());
        while let Some(message) = messages.try_next().await? {
            let theirs = message.sender_id.as_deref() == Some(self.user_id.as_str());
            if !(theirs || self.every_message) {
                continue;
            }
            let Some(message_id) = message.id.as_deref() else {
                continue;
            };
            if !self.dry_run {
                client.perform(edit_message(id, message_id, &edit)?).await?;
            }
            report.messages_edited += 1;
        }
        Ok(())
    }
}

/// The profile TalkJS's script sends: the name `[DELETED]`, every other
/// personal field `null`.
fn erased_user() -> UserInput {
    UserInput::named(DELETED)
        .email(NullableStringList::NULL)
        .phone(NullableStringList::NULL)
        .custom(NullableCustom::NULL)
        .welcome_message(NullableString::NULL)
        .photo_url(NullableString::NULL)
        .role(NullableString::NULL)
        .availability_text(NullableString::NULL)
        .locale(NullableString::NULL)
}

/// A conversation's own data, erased.
fn erased_conversation() -> ConversationInput {
    ConversationInput::default()
        .subject(DELETED)
        .photo_url(NullableString::NULL)
        .custom(NullableCustom::NULL)
        .welcome_messages(NullableStringList::NULL)
}

/// A message's text `[DELETED]` and its custom data `null`.
fn erased_message() -> EditMessageBody {
    EditMessageBody::default()
        .text(DELETED)
        .custom(Custom(None))
}
