//! The subcommands, one file each, and the dispatch between them.

mod anonymise;
pub mod api;
mod export;
mod export_resume;
mod import;
mod import_export;
mod import_passes;
mod spec;
mod token;
mod users;
mod webhook;

use clap::ArgMatches;

use crate::{
    args::{Cli, Command, TokenCommand, UsersCommand, WebhookCommand},
    credentials::Pacing,
    failure::Failure,
    interrupt::Interrupt,
};

/// Runs the command `cli` names; `matches` for the `api` subcommands,
/// which the derive does not know.
pub async fn run(cli: Cli, matches: &ArgMatches) -> Result<(), Failure> {
    let connection = &cli.connection;
    let plain = connection.plain;
    match &cli.command {
        Command::Api(_) => {
            let Some(("api", api)) = matches.subcommand() else {
                unreachable!("clap matched the api subcommand");
            };
            let Some((name, operation)) = api.subcommand() else {
                unreachable!("the api subcommand requires an operation");
            };
            let client = connection.client(Pacing::Single)?;
            api::run(&client, name, operation).await
        }
        Command::Export(args) => {
            let client = connection.client(Pacing::Bulk)?;
            export::run(&client, args, plain, &Interrupt::install()).await
        }
        Command::Import(args) => {
            let client = connection.client(Pacing::Bulk)?;
            import::run(&client, args, plain, &Interrupt::install()).await
        }
        Command::Users {
            command: UsersCommand::Sync(args),
        } => {
            let client = connection.client(Pacing::Bulk)?;
            users::sync(&client, args, plain, &Interrupt::install()).await
        }
        Command::Anonymise(args) => {
            let client = connection.client(Pacing::Bulk)?;
            anonymise::run(&client, args, plain, &Interrupt::install()).await
        }
        Command::Token {
            command: TokenCommand::User(args),
        } => token::user(connection, args),
        Command::Webhook {
            command: WebhookCommand::Verify(args),
        } => webhook::verify(connection, args),
    }
}
