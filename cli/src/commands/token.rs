//! `talkjs token user ID`: a frontend user token, signed with the app's
//! secret key (`talkjs::tokens::UserToken`); nothing is sent to TalkJS.

use std::time::Duration;

use talkjs::tokens::UserToken;

use crate::{
    args::{Connection, UserTokenArgs},
    failure::Failure,
};

/// Prints the token on stdout: it is meant for the user's browser.
pub fn user(connection: &Connection, args: &UserTokenArgs) -> Result<(), Failure> {
    let mut token = UserToken::new(args.id.as_str());
    if let Some(seconds) = args.expires_in {
        token = token.expires_in(Duration::from_secs(seconds));
    }
    let jwt = token.sign(&connection.app_id()?, &connection.secret_key()?)?;
    crate::output::print_line("the token", jwt)
}
