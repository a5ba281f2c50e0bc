//! Corrections that hold for every operation or every schema of a kind, and
//! so are applied by rule rather than written out per value in `patches/`:
//! an operation or a schema that a newer spec adds gets them too.
//!
//! Shared by `build.rs` and `tests/sdk/build_errors.rs` (`#[path]`). Each rule
//! is one function over the spec as JSON; [`apply`] runs them in order,
//! after every patch. A rule adds what is missing and never fails on a spec
//! that already has what it would add.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

/// Runs every rule, in the order they depend on each other.
pub fn apply(spec: &mut Value) -> Result<(), String> {
    untitled_schemas(spec);
    path_ids(spec);
    error_responses(spec);
    standalone_responses(spec);
    nullable_inputs(spec)?;
    tolerant_responses(spec);
    typed_fields(spec);
    Ok(())
}

/// The HTTP methods an OpenAPI path item may hold.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// `#/components/schemas/{name}`.
fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The items of the array member `key` of `value`; none if it has no such
/// array.
fn array<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The component schema named by a `$ref`, if it names one.
fn ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// `components/{kind}`, created if missing.
fn components<'a>(spec: &'a mut Value, kind: &str) -> &'a mut Map<String, Value> {
    let root = spec
        .as_object_mut()
        .expect("an OpenAPI document is an object");
    let components = root
        .entry("components")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("`components` is an object");
    components
        .entry(kind)
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("components are objects")
}

/// Every operation object of the spec.
fn operations(spec: &mut Value) -> impl Iterator<Item = &mut Map<String, Value>> {
    spec.get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| {
            item.iter_mut()
                .filter(|(method, _)| METHODS.contains(&method.as_str()))
                .filter_map(|(_, op)| op.as_object_mut())
        })
}

/// Untitled schemas: typify names a generated type after its schema's
/// `title`, so a title that a newer spec adds or changes would rename types
/// that callers use (`SendMessageInputType`, `EditMessageBody`, ...) and
/// break their build. Names come from the schemas' places instead: every
/// `title` member holding a string is removed, but the document's own
/// (`info.title`).
fn untitled_schemas(spec: &mut Value) {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if map.get("title").is_some_and(Value::is_string) {
                    map.remove("title");
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    if let Some(root) = spec.as_object_mut() {
        for (key, value) in root.iter_mut() {
            if key != "info" {
                strip(value);
            }
        }
    }
}

/// Path ids: every `in: path` string parameter, wherever it is declared,
/// takes the `ResourceId` schema, a non-empty string that is not `.` or
/// `..`. No URL can carry those as a path segment (an HTTP client or proxy
/// removes dot segments), so such an id would reach another resource
/// (RFC 3986 section 5.2.4); the SDK's `crate::path::ResourceId` stands in
/// for the schema and refuses them before sending.
fn path_ids(spec: &mut Value) {
    components(spec, "schemas")
        .entry("ResourceId")
        .or_insert_with(|| {
            json!({
                "type": "string",
                "minLength": 1,
                "pattern": "^(?!\\.{1,2}$)[\\s\\S]+$",
                "description": "A TalkJS id used as a URL path segment: any non-empty string \
                    except \".\" and \"..\", which no URL can carry as a segment. Every other \
                    character is percent-encoded on the way."
            })
        });
    let to_id = |param: &mut Value| {
        let is_path = param.get("in").and_then(Value::as_str) == Some("path");
        let Some(schema) = param.get_mut("schema").filter(|_| is_path) else {
            return;
        };
        let plain_string = schema.get("type").and_then(Value::as_str) == Some("string")
            && ["enum", "format", "pattern"]
                .iter()
                .all(|key| schema.get(key).is_none());
        if plain_string {
            *schema = schema_ref("ResourceId");
        }
    };
    components(spec, "parameters").values_mut().for_each(to_id);
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for (key, value) in item.iter_mut() {
            let params = if key == "parameters" {
                value.as_array_mut()
            } else if METHODS.contains(&key.as_str()) {
                value.get_mut("parameters").and_then(Value::as_array_mut)
            } else {
                None
            };
            params.into_iter().flatten().for_each(to_id);
        }
    }
}

/// Error responses: TalkJS answers 400 for bad arguments, 401 for a bad
/// `Authorization`, 404 for an unknown resource, 429 when rate limited and,
/// rarely, 5xx (<https://talkjs.com/docs/Reference/REST_API/Getting_Started/Introduction/>),
/// on every operation; the spec lists only some per operation, and the
/// others would arrive untyped. Every operation gets all five. The
/// `{error, message}` body is unconfirmed and a proxy may answer plain
/// text, so `Error` becomes that object (`ErrorBody`, whatever the spec
/// says it holds) or the raw text; the client turns a non-JSON error body
/// into a JSON string before decoding, so the status is never lost.
fn error_responses(spec: &mut Value) {
    let schemas = components(spec, "schemas");
    let is_wrapped = schemas.get("Error").and_then(|e| e.get("oneOf")).is_some();
    if !is_wrapped {
        let mut body = schemas.remove("Error").unwrap_or_else(|| {
            json!({
                "type": "object",
                "properties": {"error": {"type": "string"}, "message": {"type": "string"}}
            })
        });
        body["description"] =
            "The JSON error body (shape unconfirmed: every field is optional).".into();
        schemas.insert("ErrorBody".into(), body);
        schemas.insert(
            "Error".into(),
            json!({
                "description": "An error response body: the JSON object when the server sent \
                    JSON, else its raw text.",
                "oneOf": [schema_ref("ErrorBody"), {"type": "string"}]
            }),
        );
    }
    let responses = components(spec, "responses");
    let error_response = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": schema_ref("Error")}}
        })
    };
    const STATUSES: [(&str, &str, &str); 5] = [
        ("400", "BadRequest", "The arguments were not correct."),
        (
            "401",
            "Unauthorized",
            "Missing or invalid authentication token.",
        ),
        ("404", "NotFound", "The requested resource does not exist."),
        (
            "429",
            "RateLimited",
            "Too many requests; the rate limit was exceeded.",
        ),
        (
            "5XX",
            "ServerError",
            "Something went wrong at TalkJS; safe to retry.",
        ),
    ];
    for (_, name, description) in STATUSES {
        responses
            .entry(name)
            .or_insert_with(|| error_response(description));
    }
    if let Some(limited) = responses
        .get_mut("RateLimited")
        .and_then(Value::as_object_mut)
    {
        limited.entry("headers").or_insert_with(|| {
            json!({"Retry-After": {
                "description": "Seconds or an HTTP date after which to retry (whether TalkJS \
                    sends it is unconfirmed).",
                "schema": {"type": "string"}
            }})
        });
    }
    for op in operations(spec) {
        let Some(responses) = op
            .entry("responses")
            .or_insert_with(|| json!({}))
            .as_object_mut()
        else {
            continue;
        };
        for (status, name, _) in STATUSES {
            responses
                .entry(status)
                .or_insert_with(|| json!({"$ref": format!("#/components/responses/{name}")}));
        }
    }
}

/// Which component schemas requests and responses reach, through `$ref`s,
/// transitively.
struct Reach {
    requests: BTreeSet<String>,
    responses: BTreeSet<String>,
}

impl Reach {
    fn of(spec: &Value) -> Reach {
        let mut request_roots = Vec::new();
        let mut response_roots = Vec::new();
        let lookup = |value: &Value, kind: &str| -> Option<Value> {
            let name = value
                .get("$ref")?
                .as_str()?
                .strip_prefix(&format!("#/components/{kind}/"))?
                .to_owned();
            spec.pointer(&format!("/components/{kind}/{name}")).cloned()
        };
        let resolve = |value: &Value, kind: &str| lookup(value, kind).unwrap_or(value.clone());
        for item in spec
            .get("paths")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|paths| paths.values())
        {
            for param in array(item, "parameters") {
                request_roots.push(resolve(param, "parameters"));
            }
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                for param in array(op, "parameters") {
                    request_roots.push(resolve(param, "parameters"));
                }
                if let Some(body) = op.get("requestBody") {
                    request_roots.push(resolve(body, "requestBodies"));
                }
                for response in op
                    .get("responses")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flat_map(|r| r.values())
                {
                    response_roots.push(resolve(response, "responses"));
                }
            }
        }
        Reach {
            requests: closure(spec, &request_roots),
            responses: closure(spec, &response_roots),
        }
    }

    fn response_only(&self, name: &str) -> bool {
        self.responses.contains(name) && !self.requests.contains(name)
    }
}

/// The component schemas `roots` reach through `$ref`s.
fn closure(spec: &Value, roots: &[Value]) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = roots.iter().flat_map(refs_in).collect();
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone())
            && let Some(schema) = spec.pointer(&format!("/components/schemas/{name}"))
        {
            todo.extend(refs_in(schema));
        }
    }
    seen
}

/// The component schemas named by `$ref`s anywhere inside `value`.
fn refs_in(value: &Value) -> Vec<String> {
    let mut names = Vec::new();
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                if let Some(name) = ref_name(value) {
                    names.push(name.to_owned());
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    names
}

/// Standalone responses: a response schema that the spec derives from an
/// input schema (`User` is `allOf` `UserInput` plus `id` and `createdAt`)
/// becomes one object with every property of its parts, so that a property
/// the input gains reaches the response too, and requires nothing: what an
/// input must carry, a response need not (a user created without a name,
/// or anonymised with `name: null` as TalkJS's GDPR script does,
/// <https://github.com/talkjs/talkjs-examples/tree/master/rest-api/anonymizing-user>,
/// must still decode).
fn standalone_responses(spec: &mut Value) {
    let reach = Reach::of(spec);
    let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return;
    };
    let mut flattened = BTreeMap::new();
    for (name, schema) in schemas {
        if !reach.response_only(name) || schema.get("allOf").is_none() {
            continue;
        }
        if let Some(properties) = merged_properties(schemas, schema, 0) {
            let mut standalone = json!({"type": "object", "properties": properties});
            if let Some(description) = schema.get("description") {
                standalone["description"] = description.clone();
            }
            flattened.insert(name.clone(), standalone);
        }
    }
    let schemas = components(spec, "schemas");
    for (name, schema) in flattened {
        schemas.insert(name, schema);
    }
}

/// The properties of an object schema, of every part of an `allOf`, and of
/// the component schemas they name; `None` if a part is anything else (then
/// the schema is left as the spec wrote it).
fn merged_properties(schemas: &Map<String, Value>, schema: &Value, depth: usize) -> Option<Value> {
    if depth > 16 {
        return None; // a `$ref` cycle
    }
    if let Some(name) = ref_name(schema) {
        return merged_properties(schemas, schemas.get(name)?, depth + 1);
    }
    let mut merged = Map::new();
    if let Some(parts) = schema.get("allOf") {
        for part in parts.as_array()? {
            merged.extend(
                merged_properties(schemas, part, depth + 1)?
                    .as_object()?
                    .clone(),
            );
        }
    }
    if let Some(own) = schema.get("properties") {
        merged.extend(own.as_object()?.clone());
    } else if schema.get("allOf").is_none() {
        return None;
    }
    Some(Value::Object(merged))
}

/// Nullable inputs: a `PUT` on a user or a conversation changes only the
/// fields sent, and `null` clears one
/// (<https://talkjs.com/docs/Reference/REST_API/Users>), which an
/// `Option<String>` cannot say. So in every component schema a `PUT` takes
/// as its body (directly, or as the values of a map), an optional property
/// that the spec marks `nullable` becomes a `NullableString` or
/// `NullableStringList` (absent, `null`, or a value), and a property of a
/// map schema such as `Custom` its `Nullable*` twin. Other shapes stay as
/// they are.
fn nullable_inputs(spec: &mut Value) -> Result<(), String> {
    let mut bodies = BTreeSet::new();
    for op_item in spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.values())
    {
        let Some(schema) = op_item.pointer("/put/requestBody/content/application~1json/schema")
        else {
            continue;
        };
        let named = ref_name(schema)
            .or_else(|| schema.get("additionalProperties").and_then(ref_name))
            .or_else(|| schema.get("items").and_then(ref_name));
        bodies.extend(named.map(str::to_owned));
    }
    let schemas = components(spec, "schemas");
    let mut twins: BTreeMap<String, Value> = BTreeMap::new();
    twins.insert(
        "NullableString".into(),
        json!({"type": "string", "nullable": true, "description": "A string, or null to clear the field."}),
    );
    twins.insert(
        "NullableStringList".into(),
        json!({"type": "array", "items": {"type": "string"}, "nullable": true,
               "description": "A list of strings, or null to clear the field."}),
    );
    let mut used = BTreeSet::new();
    for body in &bodies {
        let mut changes = Vec::new();
        let Some(schema) = schemas.get(body) else {
            continue;
        };
        let required: BTreeSet<&str> = array(schema, "required")
            .filter_map(Value::as_str)
            .collect();
        for (property, value) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if required.contains(property.as_str()) {
                continue;
            }
            let twin = if let Some(target) = ref_name(value) {
                let is_map = schemas.get(target).is_some_and(|s| {
                    s.get("additionalProperties").is_some() && s.get("properties").is_none()
                });
                if !is_map {
                    continue;
                }
                let twin = format!("Nullable{target}");
                if !twins.contains_key(&twin) {
                    let mut copy = schemas[target].clone();
                    copy["nullable"] = true.into();
                    let said = copy
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("A map");
                    copy["description"] =
                        format!("{}, or null to clear it.", said.trim_end_matches('.')).into();
                    twins.insert(twin.clone(), copy);
                }
                twin
            } else if value.get("nullable") == Some(&Value::Bool(true)) {
                // By shape, not by equality: documentation may sit anywhere.
                let plain_string = |v: &Value| {
                    v.get("type").and_then(Value::as_str) == Some("string")
                        && ["enum", "format"].iter().all(|key| v.get(key).is_none())
                };
                let string_list = value.get("type").and_then(Value::as_str) == Some("array")
                    && value.get("items").is_some_and(plain_string);
                let plain_string = plain_string(value);
                if plain_string {
                    "NullableString".to_owned()
                } else if string_list {
                    "NullableStringList".to_owned()
                } else {
                    continue;
                }
            } else {
                continue;
            };
            changes.push((property.clone(), twin));
        }
        for (property, twin) in changes {
            schemas[body]["properties"][&property] = schema_ref(&twin);
            used.insert(twin);
        }
    }
    for name in used {
        let twin = twins.remove(&name).expect("every used twin was made");
        match schemas.get(&name) {
            None => {
                schemas.insert(name, twin);
            }
            Some(found) if *found == twin => {}
            Some(found) => {
                return Err(format!(
                    "the spec defines a schema `{name}` ({found}), which the nullable-inputs \
                     rule (build/rules.rs) needs for its own {twin}; rename one of them"
                ));
            }
        }
    }
    Ok(())
}

/// Tolerant responses: a response must never fail to decode because
/// TalkJS grew a new enum value or sent `null` for an empty list or map
/// (the spec was derived by a third party, and TalkJS adds values over
/// time). In schemas only responses reach (and inline response schemas):
/// an enum becomes a string whose known values are documented, a `oneOf`
/// or `anyOf` holding an enum becomes any JSON value, and every optional
/// property may be `null`. A map schema any response reaches may be `null`.
fn tolerant_responses(spec: &mut Value) {
    let reach = Reach::of(spec);
    if let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            if reach.response_only(name) {
                tolerate(schema);
            }
            let is_map = schema.get("additionalProperties").is_some()
                && schema.get("properties").is_none()
                && schema.get("type").and_then(Value::as_str) == Some("object");
            if reach.responses.contains(name) && is_map {
                schema["nullable"] = true.into();
            }
        }
    }
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for (method, op) in item.iter_mut() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            for content in responses
                .values_mut()
                .filter_map(|r| r.get_mut("content"))
                .filter_map(Value::as_object_mut)
            {
                for media in content.values_mut() {
                    if let Some(schema) = media.get_mut("schema") {
                        tolerate(schema);
                    }
                }
            }
        }
    }
}

/// [`tolerant_responses`] for one schema and the schemas written inside it
/// (not those it names by `$ref`).
fn tolerate(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    if let Some(values) = map.remove("enum") {
        let known: Vec<String> = values
            .as_array()
            .into_iter()
            .flatten()
            .map(Value::to_string)
            .collect();
        let said = map.get("description").and_then(Value::as_str).unwrap_or("");
        let sep = if said.is_empty() { "" } else { " " };
        let description = format!("{said}{sep}Known values: {}.", known.join(", "));
        map.insert("description".into(), description.into());
        map.entry("type").or_insert_with(|| "string".into());
        return;
    }
    for choice in ["oneOf", "anyOf"] {
        let Some(branches) = map.get(choice).and_then(Value::as_array) else {
            continue;
        };
        let has_enum = branches.iter().any(|b| b.get("enum").is_some());
        if !has_enum {
            continue;
        }
        let described: Vec<String> = branches
            .iter()
            .map(
                |b| match (b.get("enum").and_then(Value::as_array), b.get("type")) {
                    (Some(values), _) => values
                        .iter()
                        .map(Value::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    (None, Some(Value::String(t))) => format!("a {t}"),
                    _ => "a value".into(),
                },
            )
            .collect();
        map.remove(choice);
        let said = map.get("description").and_then(Value::as_str).unwrap_or("");
        let sep = if said.is_empty() { "" } else { " " };
        let description = format!(
            "{said}{sep}Any of: {} (more may be added).",
            described.join("; ")
        );
        map.insert("description".into(), description.into());
        return;
    }
    if let Some(properties) = map.get_mut("properties").and_then(Value::as_object_mut) {
        for property in properties.values_mut() {
            tolerate(property);
        }
    }
    let required: BTreeSet<String> = map
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    if let Some(properties) = map.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, property) in properties.iter_mut() {
            if !required.contains(name)
                && let Some(property) = property.as_object_mut()
            {
                property.insert("nullable".into(), true.into());
            }
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(inner) = map.get_mut(key) {
            tolerate(inner);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = map.get_mut(key).and_then(Value::as_array_mut) {
            parts.iter_mut().for_each(tolerate);
        }
    }
}

/// The schemas `typed_fields` adds, each replaced in the generated code by
/// the SDK's own type of the same name (`src/types/fields.rs`, listed in
/// build.rs).
pub const TYPED_FIELDS: [&str; 4] = [
    "ParticipantAccess",
    "ParticipantNotify",
    "MessageType",
    "UnixMillis",
];

/// Response fields whose meaning the SDK knows get its types: a
/// participant's `access` and `notify`, a message's `type`, and every
/// int64 timestamp (`…At`, `readUntil`, `everyoneReadUntil`) of a schema
/// only responses use. Each of those types decodes values it does not know
/// (`Unknown`), as `tolerant_responses` made the plain strings do. A field a
/// newer spec lacks is skipped; one it adds by these names gets the type.
fn typed_fields(spec: &mut Value) {
    let reach = Reach::of(spec);
    let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        if !reach.response_only(name) {
            continue;
        }
        let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for (field, property) in properties.iter_mut() {
            let typed = match (name.as_str(), field.as_str()) {
                ("Participant", "access") => "ParticipantAccess",
                ("Participant", "notify") => "ParticipantNotify",
                ("Message", "type") => "MessageType",
                (_, field)
                    if (field.ends_with("At")
                        || field.ends_with("ReadUntil")
                        || field == "readUntil")
                        && property.get("type").and_then(Value::as_str) == Some("integer") =>
                {
                    "UnixMillis"
                }
                _ => continue,
            };
            *property = schema_ref(typed);
        }
    }
    // Nullable, as the fields were: TalkJS sends `null` for an unset one
    // (`editedAt` of a message never edited). The generated field is an
    // `Option` of the SDK's type either way; this keeps the patched spec
    // (`raw::PATCHED_SPEC`) true to the wire for other tools.
    for typed in TYPED_FIELDS {
        let schema = match typed {
            "UnixMillis" => json!({"type": "integer", "format": "int64", "nullable": true}),
            "ParticipantNotify" => json!({"nullable": true}),
            _ => json!({"type": "string", "nullable": true}),
        };
        schemas.entry(typed.to_string()).or_insert(schema);
    }
}
