//! Triggering a conversation's email and SMS notifications now
//! (<https://talkjs.com/docs/Reference/REST_API/Notifications/>).

use reqwest::Method;

use crate::{
    Conversations, Error,
    conversations::conversation,
    http::request::Request,
    raw::types::{NotificationChannel, NotificationsInput},
};

impl NotificationsInput {
    /// Notifications on these channels, to everyone with unanswered
    /// messages (set [`NotificationsInput::recipients`] to choose), with
    /// the settings of the dashboard.
    ///
    /// ```
    /// use talkjs::types::{EmailNotificationSettings, NotificationChannel, NotificationsInput};
    /// let reminder = NotificationsInput::via([NotificationChannel::Email])
    ///     .recipients(["bob"])
    ///     .email_settings(EmailNotificationSettings::default().subject("Alice is waiting for your answer"));
    /// assert_eq!(reminder.recipients, ["bob"]);
    /// ```
    pub fn via(channels: impl IntoIterator<Item = NotificationChannel>) -> Self {
        NotificationsInput::builder()
            .channels(channels.into_iter().collect::<Vec<_>>())
            .try_into()
            // Cannot fail: `channels`, the only required field, is set with
            // its own type.
            .expect("notifications with their channels build")
    }
}

impl Conversations<'_> {
    /// Sends `notifications` for the conversation's unanswered messages
    /// now. In a one-on-one conversation without recipients, TalkJS notifies
    /// whoever did not write the latest message, once per call.
    ///
    /// Every call notifies again, so it is sent once: an ambiguous failure
    /// (a lost answer, a gateway's 5xx) is [`Error::OutcomeUnknown`], not
    /// retried. No channel is refused before sending
    /// ([`Error::Validation`] on `channels`); an unknown conversation is
    /// [`Error::NotFound`].
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use talkjs::types::{NotificationChannel, NotificationsInput};
    /// let nudge = NotificationsInput::via([NotificationChannel::Email, NotificationChannel::Sms]);
    /// client.conversations().trigger_notifications("order-42", &nudge).await?;
    /// # Ok(()) }
    /// ```
    pub async fn trigger_notifications(
        &self,
        conversation_id: &str,
        notifications: &NotificationsInput,
    ) -> Result<(), Error> {
        let request = trigger_notifications(conversation_id, notifications)?;
        self.client().perform(request).await
    }
}

/// `POST /conversations/{conversationId}/notifications` (at least one
/// channel).
pub(crate) fn trigger_notifications(
    conversation_id: &str,
    notifications: &NotificationsInput,
) -> Result<Request, Error> {
    let request = conversation(Method::POST, "trigger_notifications", conversation_id)?;
    if notifications.channels.is_empty() {
        return Err(Error::validation(
            "channels",
            "must name at least one channel (email, sms): TalkJS requires one",
        ));
    }
    request.at("notifications").json(notifications)
}
