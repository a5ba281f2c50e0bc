//! App metadata as TalkJS's [App](https://talkjs.com/docs/Reference/REST_API/App/)
//! page documents it: `{id, custom?, defaultLocale?}`, where `id` is the
//! app id and cannot be changed.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::validate::{self, Patch};

/// The app's changeable metadata (its id is the configured app id).
#[derive(Debug, Clone, Default)]
pub struct AppMeta {
    /// Global custom fields ("`{{ app.custom.fieldName }}`" in themes).
    pub custom: BTreeMap<String, String>,
    /// An IETF language tag; unset until a `PUT` sets it.
    pub default_locale: Option<String>,
}

/// A validated `PUT /v1/{appId}` body.
#[derive(Debug, Clone)]
pub struct AppPatch {
    custom: Patch<BTreeMap<String, Option<String>>>,
    default_locale: Patch<String>,
}

impl AppPatch {
    /// Checks a body for the app `app_id`: every field is optional, and an
    /// `id`, if given, "must correspond to the appId found in the URL".
    pub fn parse(body: &Value, app_id: &str) -> Result<Self, String> {
        let map = validate::object(body, "app")?;
        match map.get("id") {
            None => {}
            Some(Value::String(id)) if id == app_id => {}
            Some(other) => {
                return Err(format!(
                    "id cannot be changed: it must be {app_id:?}, got {other}"
                ));
            }
        }
        Ok(AppPatch {
            custom: validate::custom(map, "custom")?,
            default_locale: validate::string(map, "defaultLocale")?,
        })
    }

    /// Merges the patch: omitted fields are kept; `custom` merges key by
    /// key like a user's (TalkJS does not say; the emulator's choice).
    pub fn apply(self, app: &mut AppMeta) {
        validate::apply_custom(&mut app.custom, self.custom);
        validate::apply(&mut app.default_locale, self.default_locale);
    }
}

impl AppMeta {
    /// The metadata as `GET /v1/{appId}` shows it; `defaultLocale` only
    /// once set (TalkJS's type marks it optional).
    pub fn to_json(&self, app_id: &str) -> Value {
        let mut v = json!({ "id": app_id, "custom": validate::custom_json(&self.custom) });
        if let Some(locale) = &self.default_locale {
            v["defaultLocale"] = json!(locale);
        }
        v
    }
}
