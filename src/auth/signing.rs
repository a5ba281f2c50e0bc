//! What the client's secret key signs besides its own requests: frontend
//! user tokens and webhook verification. On the client, so that a program
//! keeps the key in one place (its [`crate::ClientConfig`]).

use crate::{Client, ConfigError, tokens::UserToken, webhooks::WebhookVerifier};

impl Client {
    /// Signs `token` (a frontend user token) for this client's app, with
    /// its secret key: [`UserToken::sign`] without a second copy of either.
    ///
    /// ```no_run
    /// # fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use std::time::Duration;
    /// use talkjs::tokens::UserToken;
    /// let day = Duration::from_secs(24 * 3600);
    /// let jwt = client.sign_user_token(&UserToken::new("alice").expires_in(day))?;
    /// # let _ = jwt;
    /// # Ok(()) }
    /// ```
    pub fn sign_user_token(&self, token: &UserToken) -> Result<String, ConfigError> {
        token.sign(&self.config.app_id, &self.config.secret_key)
    }

    /// A verifier of webhook requests signed with this client's secret key
    /// ([`WebhookVerifier::new`]: timestamps more than 5 minutes away are
    /// refused as replays).
    ///
    /// ```no_run
    /// # fn demo(client: &talkjs::Client, headers: &http::HeaderMap, body: &[u8]) -> Result<(), talkjs::Error> {
    /// let verifier = client.webhook_verifier();
    /// let event = verifier.verify(headers, body)?;
    /// # let _ = event;
    /// # Ok(()) }
    /// ```
    pub fn webhook_verifier(&self) -> WebhookVerifier {
        WebhookVerifier::new(self.config.secret_key.clone())
    }
}
