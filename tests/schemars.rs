//! With the `schemars` feature, the generated types derive
//! `schemars::JsonSchema`, so users can publish schemas of TalkJS objects.
//! Run: `cargo test --features schemars --test schemars`.
#![cfg(feature = "schemars")]

use serde_json::Value;
use talkjs::raw::types;

fn schema_of<T: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap()
}

fn property_names(schema: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no properties in {schema:#}"))
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    names
}

#[test]
fn user_schema_has_the_patched_response_shape() {
    let schema = schema_of::<types::User>();
    assert_eq!(schema["title"], "User");
    let names = property_names(&schema);
    for expected in ["id", "name", "createdAt", "email", "custom", "photoUrl"] {
        assert!(names.contains(&expected), "{expected} missing: {names:?}");
    }
    // Rule standalone_responses: a User response requires nothing (name may be absent or null).
    let required = schema["required"].as_array().map_or(0, Vec::len);
    assert_eq!(required, 0, "{schema:#}");
}

#[test]
fn input_schemas_carry_the_patches() {
    // 0041: attachmentToken and location on messages.
    let send = schema_of::<types::SendMessageInput>();
    let names = property_names(&send);
    for expected in ["text", "attachmentToken", "location", "type"] {
        assert!(names.contains(&expected), "{expected} missing: {names:?}");
    }
    // 0050: import takes `timestamp`, not `createdAt`.
    let import = schema_of::<types::ImportMessageInput>();
    let names = property_names(&import);
    assert!(names.contains(&"timestamp"), "{names:?}");
    assert!(!names.contains(&"createdAt"), "{names:?}");
    assert_eq!(
        import["properties"]["timestamp"]["type"], "integer",
        "{import:#}"
    );
    let required = import["required"].as_array().unwrap();
    assert!(required.contains(&"timestamp".into()), "{import:#}");
    // 0090: a clearable field accepts null (schemars 0.8 emits a type
    // array, e.g. `"type": ["string", "null"]`).
    let nullable = schema_of::<types::NullableString>();
    let kinds = nullable["type"]
        .as_array()
        .unwrap_or_else(|| panic!("no type array in {nullable:#}"));
    assert!(kinds.contains(&"string".into()), "{nullable:#}");
    assert!(kinds.contains(&"null".into()), "{nullable:#}");
}
