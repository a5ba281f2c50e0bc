//! The app's own metadata, at the app's URL
//! (<https://talkjs.com/docs/Reference/REST_API/App/>).

use reqwest::Method;

use crate::{
    Client, Error,
    http::request::Request,
    raw::types::{App, AppInput},
};

/// The app's metadata (`custom`, `defaultLocale`); from [`Client::app`].
#[derive(Debug, Clone, Copy)]
pub struct AppMetadata<'a> {
    client: &'a Client,
}

impl Client {
    /// The app's metadata.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use talkjs::types::AppInput;
    /// client.app().update(&AppInput::default().default_locale("nl-NL")).await?;
    /// let app = client.app().get().await?;
    /// assert_eq!(app.default_locale.as_deref(), Some("nl-NL"));
    /// # Ok(()) }
    /// ```
    pub fn app(&self) -> AppMetadata<'_> {
        AppMetadata { client: self }
    }
}

impl AppMetadata<'_> {
    /// `{id, custom, defaultLocale}`.
    pub async fn get(&self) -> Result<App, Error> {
        self.client.fetch(get_app()).await
    }

    /// Updates the fields set in `input`; the others keep their value. An
    /// `id` other than this client's app id is refused before sending
    /// ([`Error::Validation`] on `id`): TalkJS takes only the app's own.
    pub async fn update(&self, input: &AppInput) -> Result<(), Error> {
        if let Some(id) = input.id.as_deref().filter(|id| *id != self.client.app_id()) {
            return Err(Error::validation(
                "id",
                format!("{id:?} is not this client's app id: an app's metadata keeps its own id"),
            ));
        }
        self.client.perform(update_app(input)?).await
    }
}

// At the app's root, `/v1/{appId}`, with no trailing slash (the generated
// client's `get_app` adds one: its path is `/` below the server URL).

/// `GET /v1/{appId}`.
pub(crate) fn get_app() -> Request {
    Request::new(Method::GET, "get_app")
}

/// `PUT /v1/{appId}`.
pub(crate) fn update_app(input: &AppInput) -> Result<Request, Error> {
    Request::new(Method::PUT, "update_app").json(input)
}
