//! Response fields whose meaning the SDK knows, typed: a participant's
//! access and notification setting, a message's type, timestamps. Each
//! keeps a value it does not know (a newer TalkJS may add some) rather than
//! fail to decode the response. `build/rules.rs` (`typed_fields`) points
//! the generated response types at these.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A time as TalkJS sends it: Unix milliseconds. From an `i64` or a
/// `chrono::DateTime<Utc>`; [`UnixMillis::to_datetime`] goes back.
///
/// ```
/// use talkjs::types::UnixMillis;
/// let at = chrono::DateTime::from_timestamp_millis(1_700_000_000_000).unwrap();
/// assert_eq!(UnixMillis::from(at), UnixMillis::from(1_700_000_000_000));
/// assert_eq!(UnixMillis(1_700_000_000_000).to_datetime(), Some(at));
/// ```
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct UnixMillis(pub i64);

impl UnixMillis {
    /// The same instant as a `chrono` time; `None` out of chrono's range.
    pub fn to_datetime(self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::from_timestamp_millis(self.0)
    }
}

impl From<i64> for UnixMillis {
    fn from(ms: i64) -> Self {
        UnixMillis(ms)
    }
}

impl From<chrono::DateTime<chrono::Utc>> for UnixMillis {
    fn from(at: chrono::DateTime<chrono::Utc>) -> Self {
        UnixMillis(at.timestamp_millis())
    }
}

impl PartialEq<i64> for UnixMillis {
    fn eq(&self, other: &i64) -> bool {
        self.0 == *other
    }
}

/// Implements `Serialize`/`Deserialize` through a string, with
/// `Unknown(String)` for any other value.
macro_rules! string_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            /// The value as TalkJS sends it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Unknown(other) => other,
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Ok(match text.as_str() {
                    $($text => $name::$variant,)+
                    _ => $name::Unknown(text),
                })
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).into()
            }
            fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
                String::json_schema(generator)
            }
        }
    };
}

/// A participant's access right as TalkJS reports it
/// (<https://talkjs.com/docs/Reference/REST_API/Participation>).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ParticipantAccess {
    /// May read and write.
    ReadWrite,
    /// May only read.
    Read,
    /// Keeps the history, may not read it.
    None,
    /// A value this SDK does not know, as sent.
    Unknown(String),
}

string_enum!(ParticipantAccess {
    ReadWrite => "ReadWrite",
    Read => "Read",
    None => "None",
});

/// A message's type.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// Sent by a user.
    UserMessage,
    /// Sent by the system (no sender).
    SystemMessage,
    /// A value this SDK does not know, as sent.
    Unknown(String),
}

string_enum!(MessageType {
    UserMessage => "UserMessage",
    SystemMessage => "SystemMessage",
});

/// A participant's notification setting as TalkJS reports it: `true`,
/// `false` or `"MentionsOnly"`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum ParticipantNotify {
    /// Notified of every message (`true`).
    All,
    /// Never notified (`false`).
    Off,
    /// Notified only when mentioned (`"MentionsOnly"`).
    MentionsOnly,
    /// A value this SDK does not know, as sent.
    Unknown(serde_json::Value),
}

impl Serialize for ParticipantNotify {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ParticipantNotify::All => serializer.serialize_bool(true),
            ParticipantNotify::Off => serializer.serialize_bool(false),
            ParticipantNotify::MentionsOnly => serializer.serialize_str("MentionsOnly"),
            ParticipantNotify::Unknown(value) => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ParticipantNotify {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(match &value {
            serde_json::Value::Bool(true) => ParticipantNotify::All,
            serde_json::Value::Bool(false) => ParticipantNotify::Off,
            serde_json::Value::String(s) if s == "MentionsOnly" => ParticipantNotify::MentionsOnly,
            _ => ParticipantNotify::Unknown(value),
        })
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for ParticipantNotify {
    fn schema_name() -> String {
        "ParticipantNotify".into()
    }
    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        serde_json::Value::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_values_decode_typed_and_unknown_ones_are_kept() {
        let cases = [
            (json!("Read"), ParticipantAccess::Read),
            (json!("None"), ParticipantAccess::None),
            (json!("Owner"), ParticipantAccess::Unknown("Owner".into())),
        ];
        for (value, access) in cases {
            assert_eq!(
                serde_json::from_value::<ParticipantAccess>(value.clone()).unwrap(),
                access
            );
            assert_eq!(serde_json::to_value(&access).unwrap(), value);
        }
        for (value, notify) in [
            (json!(true), ParticipantNotify::All),
            (json!(false), ParticipantNotify::Off),
            (json!("MentionsOnly"), ParticipantNotify::MentionsOnly),
            (
                json!("Sometimes"),
                ParticipantNotify::Unknown(json!("Sometimes")),
            ),
        ] {
            assert_eq!(
                serde_json::from_value::<ParticipantNotify>(value.clone()).unwrap(),
                notify
            );
            assert_eq!(serde_json::to_value(&notify).unwrap(), value);
        }
        assert_eq!(
            serde_json::from_value::<MessageType>(json!("SomethingNew")).unwrap(),
            MessageType::Unknown("SomethingNew".into())
        );
        assert_eq!(serde_json::from_value::<UnixMillis>(json!(5)).unwrap(), 5);
    }
}
