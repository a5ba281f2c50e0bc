//! The secret key and minted tokens never appear in Debug or Display output
//! or errors. The test that drives every failure kind with tracing on and
//! searches the log lines too is `no_failure_prints_the_secret_or_a_token`
//! in `tests/logs.rs` (a process of its own, for its log capture).

use talkjs::ClientConfig;

const SECRET: &str = "sk_test_S3cr3tK3yThatMustNeverLeak";

#[test]
fn tokens_and_minters_do_not_debug_print_the_key() {
    let secret = secrecy::SecretString::from(SECRET.to_string());
    let minter = talkjs::tokens::AppTokenMinter::new("app", &secret).unwrap();
    let printed = format!("{minter:?} {:?}", minter.mint().unwrap());
    assert!(
        !printed.contains(SECRET) && !printed.contains("eyJ"),
        "{printed}"
    );
}

#[test]
fn an_empty_webhook_key_refuses_every_request() {
    let verifier =
        talkjs::webhooks::WebhookVerifier::new(secrecy::SecretString::from(String::new()));
    let body = br#"{"type":"message.sent","data":{}}"#;
    let forged = verifier.sign("1700000000000", body);
    let error = verifier
        .verify_signature("1700000000000", &forged, body)
        .unwrap_err();
    assert!(
        matches!(error, talkjs::WebhookError::EmptySecret),
        "{error:?}"
    );
}

#[test]
fn configuration_errors_redact_userinfo_and_query_values_parsable_or_not() {
    for (url, secret) in [
        // Does not parse (a space in the host).
        ("https://user:PASSWORD@exa mple.com", "PASSWORD"),
        ("https://user:PASSWORD@exa mple.com/?token=T0KEN", "T0KEN"),
        // Parses, refused for its query.
        ("https://api.talkjs.com/?token=T0KEN", "T0KEN"),
        ("https://api.talkjs.com/#access_token=T0KEN", "T0KEN"),
        // Parses, refused for its credentials.
        ("https://user:PASSWORD@api.talkjs.com", "PASSWORD"),
        // Parses, refused for plain http or its scheme.
        ("http://user:PASSWORD@example.com/?token=T0KEN", "PASSWORD"),
        ("ftp://example.com/?token=T0KEN", "T0KEN"),
    ] {
        let config = ClientConfig::new("app", SECRET).base_url(url);
        for result in [
            config.clone().build().map(|_| ()),
            config.api_url().map(|_| ()),
        ] {
            let error = result.expect_err(url);
            assert!(
                matches!(
                    error,
                    talkjs::ConfigError::Invalid(_) | talkjs::ConfigError::InsecureUrl(_)
                ),
                "{error:?}"
            );
            let (display, debug) = (error.to_string(), format!("{error:?}"));
            for shown in [&display, &debug, &format!("{config:?}")] {
                assert!(!shown.contains(secret), "{url}: {shown}");
                assert!(
                    !shown.contains("T0KEN") && !shown.contains("PASSWORD"),
                    "{shown}"
                );
            }
            assert!(display.contains("[redacted]"), "{display}");
        }
    }
}
