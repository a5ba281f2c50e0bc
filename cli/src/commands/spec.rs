//! The operations of the patched spec the SDK was built from
//! (`talkjs::raw::PATCHED_SPEC`: the bundled spec, or `TALKJS_OPENAPI_SPEC`,
//! after `patches/` and the build rules), read at run time: an operation a
//! newer spec adds becomes a subcommand with no change here.

use std::sync::OnceLock;

use serde_json::Value;

/// One operation of the spec.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Its `operationId`.
    pub id: String,
    /// The subcommand's name: the id in kebab case (`getUser` → `get-user`).
    pub command: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path template, relative to the app's API URL (`/users/{userId}`).
    pub path: String,
    /// One line of help.
    pub summary: Option<String>,
    /// The long help.
    pub description: Option<String>,
    /// Path and query parameters, path ones first.
    pub params: Vec<Param>,
    /// The request body, if the operation takes one.
    pub body: Option<Body>,
}

/// A path or query parameter.
#[derive(Debug, Clone)]
pub struct Param {
    /// Its name in the spec (`userId`).
    pub name: String,
    /// Its flag (`user-id`).
    pub flag: String,
    /// In the path (else the query).
    pub in_path: bool,
    /// Must be given.
    pub required: bool,
    /// An array: the flag may be repeated.
    pub repeated: bool,
    /// What each value must be.
    pub kind: Scalar,
    /// Its description.
    pub description: Option<String>,
}

/// What a parameter's values must be, from its schema's `type` (its
/// items' for an array): checked before anything is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    /// `integer`.
    Integer,
    /// `number`.
    Number,
    /// `boolean`.
    Boolean,
    /// Anything else: taken as given.
    Text,
}

/// A request body.
#[derive(Debug, Clone)]
pub struct Body {
    /// Must be given.
    pub required: bool,
    /// Its media type (`application/json` when the spec offers it).
    pub content_type: String,
    /// What the body is, from its schema, for `--help`: `an object with
    /// name, email, ...` or `an array of objects with ...`; `None` when the
    /// schema says nothing of use.
    pub shape: Option<String>,
}

/// Every operation, in the spec's order; parsed once.
pub fn operations() -> &'static [Operation] {
    static OPERATIONS: OnceLock<Vec<Operation>> = OnceLock::new();
    OPERATIONS.get_or_init(|| {
        // The SDK's build made this JSON itself: it always parses.
        let spec: Value = serde_json::from_str(talkjs::raw::PATCHED_SPEC).unwrap_or_default();
        parse(&spec)
    })
}

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

/// The operations of `spec`.
pub fn parse(spec: &Value) -> Vec<Operation> {
    let mut operations = Vec::new();
    let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
        return operations;
    };
    for (path, item) in paths {
        let item = resolve(spec, item);
        let shared = item.get("parameters");
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let mut params = Vec::new();
            // Operation-level parameters override path-level ones of the
            // same name (OpenAPI 3.0, "Path Item Object").
            for list in [op.get("parameters"), shared].into_iter().flatten() {
                for param in list.as_array().into_iter().flatten() {
                    if let Some(param) = param_of(spec, param)
                        && !params.iter().any(|p: &Param| p.name == param.name)
                    {
                        params.push(param);
                    }
                }
            }
            params.sort_by_key(|p| !p.in_path);
            operations.push(Operation {
                id: id.to_owned(),
                command: kebab(id),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(op, "summary"),
                description: text(op, "description"),
                params,
                body: op.get("requestBody").map(|b| body_of(spec, b)),
            });
        }
    }
    operations
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Follows a local `$ref` (`#/components/...`); anything else as it is.
fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    let mut value = value;
    // Bounded: a cycle of references must not hang the CLI.
    for _ in 0..16 {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) if reference.starts_with('#') => match spec.pointer(&reference[1..]) {
                Some(target) => value = target,
                None => break,
            },
            _ => break,
        }
    }
    value
}

/// A schema's `type`.
fn type_of(schema: Option<&Value>) -> Option<&str> {
    schema.and_then(|s| s.get("type")).and_then(Value::as_str)
}

fn param_of(spec: &Value, param: &Value) -> Option<Param> {
    let param = resolve(spec, param);
    let name = param.get("name")?.as_str()?.to_owned();
    let location = param.get("in")?.as_str()?;
    // Headers and cookies are the SDK's business (auth, versions).
    if location != "path" && location != "query" {
        return None;
    }
    let in_path = location == "path";
    let schema = param.get("schema").map(|s| resolve(spec, s));
    let repeated = type_of(schema) == Some("array");
    let values = if repeated {
        schema
            .and_then(|s| s.get("items"))
            .map(|items| resolve(spec, items))
    } else {
        schema
    };
    let kind = match type_of(values) {
        Some("integer") => Scalar::Integer,
        Some("number") => Scalar::Number,
        Some("boolean") => Scalar::Boolean,
        _ => Scalar::Text,
    };
    Some(Param {
        flag: kebab(&name),
        in_path,
        required: in_path || param.get("required").and_then(Value::as_bool) == Some(true),
        repeated,
        kind,
        description: text(param, "description"),
        name,
    })
}

fn body_of(spec: &Value, body: &Value) -> Body {
    let body = resolve(spec, body);
    let content = body.get("content").and_then(Value::as_object);
    let content_type = content
        .and_then(|c| {
            c.keys()
                .find(|k| k.contains("json"))
                .or_else(|| c.keys().next())
        })
        .cloned()
        .unwrap_or_else(|| "application/json".to_owned());
    let schema = content
        .and_then(|c| c.get(&content_type))
        .and_then(|media| media.get("schema"))
        .map(|schema| resolve(spec, schema));
    Body {
        required: body.get("required").and_then(Value::as_bool) == Some(true),
        content_type,
        shape: schema.and_then(|schema| shape_of(spec, schema)),
    }
}

/// A body schema's shape in words: its fields (the required ones marked
/// with `*`), for an object or an array of objects.
fn shape_of(spec: &Value, schema: &Value) -> Option<String> {
    if type_of(Some(schema)) == Some("array") {
        let items = resolve(spec, schema.get("items")?);
        let fields = fields_of(items)?;
        let max = schema
            .get("maxItems")
            .and_then(Value::as_u64)
            .map(|n| format!(" (at most {n})"))
            .unwrap_or_default();
        return Some(format!("an array{max} of objects with {fields}"));
    }
    Some(format!("an object with {}", fields_of(schema)?))
}

/// `name, email*, ...`: an object schema's properties, `*` on the required.
fn fields_of(schema: &Value) -> Option<String> {
    let properties = schema.get("properties")?.as_object()?;
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let fields: Vec<String> = properties
        .keys()
        .map(|key| {
            let mark = if required.contains(&key.as_str()) {
                "*"
            } else {
                ""
            };
            format!("{key}{mark}")
        })
        .collect();
    (!fields.is_empty()).then(|| fields.join(", "))
}

/// `getUserConversations` → `get-user-conversations`; `snake_case` and
/// `kebab-case` ids keep their words.
pub fn kebab(id: &str) -> String {
    let mut out = String::with_capacity(id.len() + 4);
    let mut previous_lower = false;
    for c in id.chars() {
        if c == '_' || c == '-' || c == ' ' {
            if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
            previous_lower = false;
        } else if c.is_uppercase() {
            if previous_lower {
                out.push('-');
            }
            out.extend(c.to_lowercase());
            previous_lower = false;
        } else {
            out.push(c);
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case_of_operation_ids() {
        assert_eq!(kebab("getUser"), "get-user");
        assert_eq!(
            kebab("listConversationMessages"),
            "list-conversation-messages"
        );
        assert_eq!(kebab("get_user"), "get-user");
        assert_eq!(kebab("putV2Thing"), "put-v2-thing");
    }

    #[test]
    fn every_operation_of_the_patched_spec_is_read() {
        let operations = operations();
        assert!(operations.len() >= 20, "{}", operations.len());
        let get_user = operations.iter().find(|o| o.id == "getUser").unwrap();
        assert_eq!(
            (get_user.method.as_str(), get_user.path.as_str()),
            ("GET", "/users/{userId}")
        );
        assert!(
            get_user
                .params
                .iter()
                .any(|p| p.name == "userId" && p.in_path && p.required)
        );
        let upsert = operations
            .iter()
            .find(|o| o.id == "createOrUpdateUser")
            .unwrap();
        assert!(
            upsert
                .body
                .as_ref()
                .is_some_and(|b| b.content_type.contains("json"))
        );
    }

    #[test]
    fn an_operation_a_newer_spec_adds_appears() {
        let spec = serde_json::json!({
            "components": {"parameters": {"Id": {"name": "widgetId", "in": "path", "required": true}}},
            "paths": {"/widgets/{widgetId}": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "post": {"operationId": "frobWidget", "summary": "Frob",
                         "parameters": [{"name": "tags", "in": "query", "schema": {"type": "array"}}],
                         "requestBody": {"required": true, "content": {"application/json": {}}}}
            }}
        });
        let ops = parse(&spec);
        assert_eq!(ops.len(), 1);
        let op = &ops[0];
        assert_eq!(
            (op.command.as_str(), op.method.as_str()),
            ("frob-widget", "POST")
        );
        assert_eq!(op.params[0].flag, "widget-id");
        assert!(op.params[1].repeated && !op.params[1].required);
        assert!(op.body.as_ref().unwrap().required);
    }
}
