//! Users: validation of `PUT /users/{id}` bodies, PATCH-like merging and the
//! response shape of the spec's `User` schema.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::validate::{self, Patch};

/// A stored user.
#[derive(Debug, Clone, Default)]
pub struct User {
    /// User id.
    pub id: String,
    /// Display name: required on creation; `null` clears it afterwards
    /// (TalkJS's GDPR flow PUTs nulls), and the user is then shown with
    /// `"name": null`, like every other cleared field.
    pub name: Option<String>,
    /// Email addresses.
    pub email: Option<Vec<String>>,
    /// Phone numbers.
    pub phone: Option<Vec<String>>,
    /// Photo URL.
    pub photo_url: Option<String>,
    /// Role name.
    pub role: Option<String>,
    /// Welcome message.
    pub welcome_message: Option<String>,
    /// Availability text.
    pub availability_text: Option<String>,
    /// Locale.
    pub locale: Option<String>,
    /// Custom string map.
    pub custom: BTreeMap<String, String>,
    /// Push tokens, e.g. `"fcm:TOKEN": true`.
    pub push_tokens: BTreeMap<String, Value>,
    /// Creation time (Unix ms).
    pub created_at: i64,
}

/// A validated user body, ready to apply.
#[derive(Debug, Clone)]
pub struct UserPatch {
    name: Patch<String>,
    email: Patch<Vec<String>>,
    phone: Patch<Vec<String>>,
    photo_url: Patch<String>,
    role: Patch<String>,
    welcome_message: Patch<String>,
    availability_text: Patch<String>,
    locale: Patch<String>,
    custom: Patch<BTreeMap<String, Option<String>>>,
    push_tokens: Patch<BTreeMap<String, Option<Value>>>,
}

impl UserPatch {
    /// Checks a body. `exists` tells whether the user is already stored:
    /// a new user needs a `name` (a string); `name: null` clears the name
    /// of an existing user.
    pub fn parse(body: &Value, exists: bool) -> Result<Self, String> {
        let map = validate::object(body, "user")?;
        let name = validate::string(map, "name")?;
        if !exists && !matches!(name, Patch::Set(_)) {
            return Err(
                "name is required to create a user (null only clears an existing user's name)"
                    .into(),
            );
        }
        Ok(UserPatch {
            name,
            email: validate::strings(map, "email")?,
            phone: validate::strings(map, "phone")?,
            photo_url: validate::string(map, "photoUrl")?,
            role: validate::string(map, "role")?,
            welcome_message: validate::string(map, "welcomeMessage")?,
            availability_text: validate::string(map, "availabilityText")?,
            locale: validate::string(map, "locale")?,
            custom: validate::custom(map, "custom")?,
            push_tokens: push_tokens(map)?,
        })
    }

    /// Merges this patch into `user`.
    pub fn apply(self, user: &mut User) {
        validate::apply(&mut user.name, self.name);
        validate::apply(&mut user.email, self.email);
        validate::apply(&mut user.phone, self.phone);
        validate::apply(&mut user.photo_url, self.photo_url);
        validate::apply(&mut user.role, self.role);
        validate::apply(&mut user.welcome_message, self.welcome_message);
        validate::apply(&mut user.availability_text, self.availability_text);
        validate::apply(&mut user.locale, self.locale);
        validate::apply_custom(&mut user.custom, self.custom);
        match self.push_tokens {
            Patch::Absent => {}
            Patch::Clear => user.push_tokens.clear(),
            Patch::Set(tokens) => {
                for (k, v) in tokens {
                    match v {
                        Some(v) => {
                            user.push_tokens.insert(k, v);
                        }
                        None => {
                            user.push_tokens.remove(&k);
                        }
                    }
                }
            }
        }
    }
}

/// `pushTokens`: an object whose values are `true` (register) or `null`
/// (unregister).
fn push_tokens(map: &Map<String, Value>) -> Result<Patch<BTreeMap<String, Option<Value>>>, String> {
    match map.get("pushTokens") {
        None => Ok(Patch::Absent),
        Some(Value::Null) => Ok(Patch::Clear),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| match v {
                Value::Null => Ok((k.clone(), None)),
                Value::Bool(true) => Ok((k.clone(), Some(Value::Bool(true)))),
                _ => Err(format!("pushTokens.{k} must be true or null")),
            })
            .collect::<Result<_, _>>()
            .map(Patch::Set),
        Some(_) => Err("pushTokens must be an object or null".into()),
    }
}

impl User {
    /// The user as the API shows it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "photoUrl": self.photo_url,
            "role": self.role,
            "welcomeMessage": self.welcome_message,
            "availabilityText": self.availability_text,
            "locale": self.locale,
            "custom": validate::custom_json(&self.custom),
            "pushTokens": if self.push_tokens.is_empty() { Value::Null } else {
                Value::Object(self.push_tokens.clone().into_iter().collect())
            },
            "createdAt": self.created_at,
        })
    }
}

/// A user's presence.
#[derive(Debug, Clone)]
pub struct Presence {
    /// Whether the user has TalkJS visible.
    pub visible: bool,
    /// `online` or `offline`.
    pub availability: String,
    /// Last change (Unix ms).
    pub last_changed: i64,
}

impl Presence {
    /// The presence as the API shows it.
    pub fn to_json(&self) -> Value {
        json!({ "visible": self.visible, "availability": self.availability, "lastChanged": self.last_changed })
    }
}
