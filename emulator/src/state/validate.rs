//! Small checks for JSON inputs. A field can be absent (leave unchanged),
//! `null` (clear it) or a value: TalkJS's PUT works like PATCH.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// A field of a PATCH-like body.
#[derive(Debug, Clone, PartialEq)]
pub enum Patch<T> {
    /// Not sent: leave the stored value alone.
    Absent,
    /// Sent as `null`: clear the stored value.
    Clear,
    /// Sent with a value.
    Set(T),
}

/// The body as a JSON object, or an error naming `what`.
pub fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{what} must be a JSON object"))
}

/// A string-or-null field.
pub fn string(map: &Map<String, Value>, key: &str) -> Result<Patch<String>, String> {
    match map.get(key) {
        None => Ok(Patch::Absent),
        Some(Value::Null) => Ok(Patch::Clear),
        Some(Value::String(s)) => Ok(Patch::Set(s.clone())),
        Some(_) => Err(format!("{key} must be a string or null")),
    }
}

/// An array-of-strings-or-null field.
pub fn strings(map: &Map<String, Value>, key: &str) -> Result<Patch<Vec<String>>, String> {
    match map.get(key) {
        None => Ok(Patch::Absent),
        Some(Value::Null) => Ok(Patch::Clear),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{key} must contain only strings"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Patch::Set),
        Some(_) => Err(format!("{key} must be an array of strings or null")),
    }
}

/// A `custom` map: string values, `null` values remove a key, `null` for
/// the whole map clears it.
pub fn custom(
    map: &Map<String, Value>,
    key: &str,
) -> Result<Patch<BTreeMap<String, Option<String>>>, String> {
    match map.get(key) {
        None => Ok(Patch::Absent),
        Some(Value::Null) => Ok(Patch::Clear),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), Some(s.clone()))),
                Value::Null => Ok((k.clone(), None)),
                _ => Err(format!("{key}.{k} must be a string or null")),
            })
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map(Patch::Set),
        Some(_) => Err(format!("{key} must be an object of strings or null")),
    }
}

/// Merges a `custom` patch key by key into `target`.
pub fn apply_custom(
    target: &mut BTreeMap<String, String>,
    patch: Patch<BTreeMap<String, Option<String>>>,
) {
    match patch {
        Patch::Absent => {}
        Patch::Clear => target.clear(),
        Patch::Set(entries) => {
            for (k, v) in entries {
                match v {
                    Some(v) => {
                        target.insert(k, v);
                    }
                    None => {
                        target.remove(&k);
                    }
                }
            }
        }
    }
}

/// Applies a plain patch to an optional field.
pub fn apply<T>(target: &mut Option<T>, patch: Patch<T>) {
    match patch {
        Patch::Absent => {}
        Patch::Clear => *target = None,
        Patch::Set(v) => *target = Some(v),
    }
}

/// `custom` as a JSON object.
pub fn custom_json(custom: &BTreeMap<String, String>) -> Value {
    Value::Object(
        custom
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}
