//! Response fields whose meaning the SDK knows, typed: a participant's
//! access and notification setting, a message's type, timestamps. Each
//! keeps a value it does not know (a newer TalkJS may add some) rather than
//! fail to decode the response. `build/rules.rs` (`typed_fields`) points
//! the generated response types at these.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A time as TalkJS sends it: Unix milliseconds. From an `i64` or a
/// [`SystemTime`]; [`UnixMillis::to_system_time`] goes back. With the
/// `chrono` feature, also from and to a `chrono::DateTime<Utc>`.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use talkjs::types::UnixMillis;
/// let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_000);
/// assert_eq!(UnixMillis::from(at), UnixMillis::from(1_700_000_000_000));
/// assert_eq!(UnixMillis(1_700_000_000_000).to_system_time(), Some(at));
/// let week_ago = UnixMillis::from(SystemTime::now() - Duration::from_secs(7 * 86_400));
/// # let _ = week_ago;
/// ```
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct UnixMillis(pub i64);

impl UnixMillis {
    /// The same instant as a [`SystemTime`]; `None` out of its range.
    pub fn to_system_time(self) -> Option<SystemTime> {
        let since_epoch = Duration::from_millis(self.0.unsigned_abs());
        if self.0 >= 0 {
            UNIX_EPOCH.checked_add(since_epoch)
        } else {
            UNIX_EPOCH.checked_sub(since_epoch)
        }
    }

    /// The same instant as a `chrono` time; `None` out of chrono's range.
    ///
    /// ```
    /// use talkjs::types::UnixMillis;
    /// let at = chrono::DateTime::from_timestamp_millis(1_700_000_000_000).unwrap();
    /// assert_eq!(UnixMillis::from(at), UnixMillis::from(1_700_000_000_000));
    /// assert_eq!(UnixMillis(1_700_000_000_000).to_datetime(), Some(at));
    /// ```
    #[cfg(feature = "chrono")]
    pub fn to_datetime(self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::from_timestamp_millis(self.0)
    }
}

impl From<i64> for UnixMillis {
    fn from(ms: i64) -> Self {
        UnixMillis(ms)
    }
}

/// Whole milliseconds, rounded towards the past; saturating at `i64`'s
/// range (hundreds of millions of years away).
impl From<SystemTime> for UnixMillis {
    fn from(at: SystemTime) -> Self {
        // A `Duration`'s milliseconds fit an i128 with room to spare.
        let millis = |d: Duration| i128::try_from(d.as_millis()).unwrap_or(i128::MAX);
        let ms = match at.duration_since(UNIX_EPOCH) {
            Ok(after) => millis(after),
            Err(before) => {
                let before = before.duration();
                // -1.5 ms is -2 ms: towards the past, as after the epoch.
                -millis(before) - i128::from(before.subsec_nanos() % 1_000_000 != 0)
            }
        };
        UnixMillis(i64::try_from(ms).unwrap_or(if ms < 0 { i64::MIN } else { i64::MAX }))
    }
}

#[cfg(feature = "chrono")]
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
    use proptest::prelude::*;
    use serde_json::json;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

        /// Every millisecond within ±10,000 years goes to a `SystemTime`
        /// and back unchanged, and a time between two milliseconds maps
        /// to the earlier one, before the epoch as after it.
        #[test]
        fn unix_millis_and_system_time_round_trip(ms in -315_569_520_000_000i64..315_569_520_000_000, sub in 0u32..1_000_000) {
            let at = UnixMillis(ms).to_system_time().unwrap();
            prop_assert_eq!(UnixMillis::from(at), UnixMillis(ms));
            let between = at + Duration::from_nanos(sub.into());
            prop_assert_eq!(UnixMillis::from(between), UnixMillis(ms));
        }
    }

    #[test]
    fn system_times_at_the_edges() {
        assert_eq!(UnixMillis::from(UNIX_EPOCH), UnixMillis(0));
        assert_eq!(
            UnixMillis::from(UNIX_EPOCH - Duration::from_micros(1)),
            UnixMillis(-1)
        );
        assert_eq!(
            UnixMillis(-1).to_system_time(),
            Some(UNIX_EPOCH - Duration::from_millis(1))
        );
        // i64's extremes are beyond what some platforms' clocks hold:
        // `None` or the instant itself, never a panic.
        for ms in [i64::MIN, i64::MAX] {
            if let Some(at) = UnixMillis(ms).to_system_time() {
                assert_eq!(UnixMillis::from(at), UnixMillis(ms));
            }
        }
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn chrono_times_convert_both_ways() {
        let at = chrono::DateTime::from_timestamp_millis(-1_234_567).unwrap();
        assert_eq!(UnixMillis::from(at), UnixMillis(-1_234_567));
        assert_eq!(UnixMillis(-1_234_567).to_datetime(), Some(at));
    }

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
