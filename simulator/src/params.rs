//! Reading a Bot API request's parameters (JSON body, form, multipart, query string) and checking
//! them against the method's declared fields.

use std::collections::{HashMap, HashSet};

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use bytes::Bytes;
use serde_json::{Map, Value};

use crate::spec::{MethodSpec, SPEC, Ty};

/// A parameter as it arrived, before its declared type is known.
pub(crate) enum Raw {
    Json(Value),
    Text(String),
    File(Upload),
}

/// An uploaded multipart file part.
#[derive(Clone, Debug)]
pub(crate) struct Upload {
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

/// What a request failed the spec with.
#[derive(Debug)]
pub(crate) struct Problem {
    pub parameter: Option<String>,
    pub reason: String,
}

/// Checked parameters: values converted to their declared kinds, uploads by parameter name.
#[derive(Default)]
pub(crate) struct Args {
    pub values: Map<String, Value>,
    pub files: HashMap<String, Upload>,
}

impl Args {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name).filter(|v| !v.is_null())
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    pub fn i64(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(Value::as_i64)
    }

    pub fn bool(&self, name: &str) -> bool {
        self.get(name).and_then(Value::as_bool).unwrap_or(false)
    }
}

/// Reads every parameter of the request: query string first, then the body (which wins on a clash).
pub(crate) async fn read(req: Request) -> Result<Vec<(String, Raw)>, String> {
    let mut params: Vec<(String, Raw)> = req
        .uri()
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), Raw::Text(v.into_owned())))
                .collect()
        })
        .unwrap_or_default();
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|s| {
            s.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if content_type == "multipart/form-data" {
        let mut multipart = Multipart::from_request(req, &())
            .await
            .map_err(|e| format!("bad multipart body: {e}"))?;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| format!("bad multipart body: {e}"))?
        {
            let Some(name) = field.name().map(str::to_owned) else {
                continue;
            };
            let file_name = field.file_name().map(str::to_owned);
            let part_type = field.content_type().map(str::to_owned);
            let bytes = field
                .bytes()
                .await
                .map_err(|e| format!("bad multipart body: {e}"))?;
            if file_name.is_some() {
                params.push((
                    name,
                    Raw::File(Upload {
                        file_name,
                        content_type: part_type,
                        bytes,
                    }),
                ));
            } else {
                let text = String::from_utf8(bytes.to_vec())
                    .map_err(|_| format!("parameter {name} is not UTF-8"))?;
                params.push((name, Raw::Text(text)));
            }
        }
        return Ok(params);
    }
    let body = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .map_err(|e| format!("cannot read body: {e}"))?;
    if body.is_empty() {
        return Ok(params);
    }
    match content_type.as_str() {
        "application/json" => {
            let map: Map<String, Value> = serde_json::from_slice(&body)
                .map_err(|e| format!("the body is not a JSON object: {e}"))?;
            params.extend(map.into_iter().map(|(k, v)| (k, Raw::Json(v))));
        }
        "application/x-www-form-urlencoded" | "" => {
            params.extend(
                form_urlencoded::parse(&body)
                    .map(|(k, v)| (k.into_owned(), Raw::Text(v.into_owned()))),
            );
        }
        other => return Err(format!("unsupported Content-Type {other}")),
    }
    Ok(params)
}

/// Checks the parameters against the method; every problem found is returned (the request fails if
/// there is any).
pub(crate) fn check(method: &MethodSpec, params: Vec<(String, Raw)>) -> (Args, Vec<Problem>) {
    let mut args = Args::default();
    let mut problems = Vec::new();
    // Parts referenced as `attach://name` are the file of the parameter naming them, not parameters.
    let attached: HashSet<String> = params
        .iter()
        .filter_map(|(_, raw)| match raw {
            Raw::Text(s) => s.strip_prefix("attach://").map(str::to_owned),
            Raw::Json(Value::String(s)) => s.strip_prefix("attach://").map(str::to_owned),
            _ => None,
        })
        .collect();
    let mut parts: HashMap<String, Upload> = HashMap::new();
    let mut pending_attach = Vec::new();
    let mut given: HashSet<String> = HashSet::new();
    for (name, raw) in params {
        if attached.contains(&name) {
            if let Raw::File(upload) = raw {
                parts.insert(name, upload);
            }
            continue;
        }
        if !matches!(raw, Raw::Json(Value::Null)) {
            given.insert(name.clone());
        }
        let Some(field) = method.field(&name) else {
            problems.push(Problem {
                reason: format!("unknown parameter {name}"),
                parameter: Some(name),
            });
            continue;
        };
        let problem = |reason: String| Problem {
            parameter: Some(field.name.clone()),
            reason,
        };
        match raw {
            Raw::File(upload) if field.allows_file() => {
                args.files.insert(name, upload);
            }
            Raw::File(_) => problems.push(problem(format!(
                "{name}: a file was uploaded, but the parameter is {}",
                field.describe_types()
            ))),
            Raw::Text(s) if field.allows_file() && s.starts_with("attach://") => {
                pending_attach.push((name, s))
            }
            Raw::Text(s) => match coerce_text(&s, &field.types) {
                Ok(value) => match SPEC.check_value(&value, &field.types, &name) {
                    Ok(()) => {
                        args.values.insert(name, value);
                    }
                    Err(reason) => problems.push(problem(reason)),
                },
                Err(reason) => problems.push(problem(format!("{name}: {reason}"))),
            },
            Raw::Json(Value::String(s)) if field.allows_file() && s.starts_with("attach://") => {
                pending_attach.push((name, s))
            }
            Raw::Json(Value::Null) => {}
            Raw::Json(value) => match SPEC.check_value(&value, &field.types, &name) {
                Ok(()) => {
                    args.values.insert(name, value);
                }
                Err(reason) => problems.push(problem(reason)),
            },
        }
    }
    for (name, reference) in pending_attach {
        let part = reference.trim_start_matches("attach://");
        match parts.remove(part) {
            Some(upload) => {
                args.files.insert(name, upload);
            }
            None => problems.push(Problem {
                reason: format!("{name}: {reference} names no uploaded part"),
                parameter: Some(name),
            }),
        }
    }
    for field in method.fields.iter().filter(|f| f.required) {
        if !given.contains(&field.name) {
            problems.push(Problem {
                parameter: Some(field.name.clone()),
                reason: format!("missing required parameter {}", field.name),
            });
        }
    }
    (args, problems)
}

/// Form and multipart values arrive as text: take the first declared type the text can be.
fn coerce_text(s: &str, types: &[Ty]) -> Result<Value, String> {
    for ty in types {
        match ty {
            Ty::Integer => {
                if let Ok(n) = s.trim().parse::<i64>() {
                    return Ok(Value::from(n));
                }
            }
            Ty::Float => {
                if let Ok(x) = s.trim().parse::<f64>() {
                    return Ok(Value::from(x));
                }
            }
            Ty::Boolean => {
                if s.eq_ignore_ascii_case("true") {
                    return Ok(Value::Bool(true));
                }
                if s.eq_ignore_ascii_case("false") {
                    return Ok(Value::Bool(false));
                }
            }
            Ty::String => return Ok(Value::String(s.to_owned())),
            Ty::Array(_) | Ty::Object(_) => {
                if let Ok(v @ (Value::Array(_) | Value::Object(_))) =
                    serde_json::from_str::<Value>(s)
                {
                    return Ok(v);
                }
            }
            Ty::InputFile => {}
        }
    }
    let expected: Vec<String> = types.iter().map(Ty::describe).collect();
    Err(format!("{s:?} is not a valid {}", expected.join(" or ")))
}
