//! The Bot API description (`spec/botapi.json`, compacted from the published api.json) and the checks
//! every request goes through: known method, no unknown parameter, every required one present, every
//! value of a kind its declared types allow — nested objects (reply markups, command scopes) included.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::{Map, Value};

static SPEC_JSON: &str = include_str!("../spec/botapi.json");

/// Parsed once; immutable data compiled into the binary.
pub(crate) static SPEC: LazyLock<Spec> = LazyLock::new(|| Spec::parse(SPEC_JSON));

/// A declared type of a field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ty {
    Integer,
    Float,
    String,
    Boolean,
    InputFile,
    Array(Box<Ty>),
    Object(String),
}

impl Ty {
    fn parse(s: &str) -> Self {
        if let Some(inner) = s.strip_prefix("Array of ") {
            return Self::Array(Box::new(Self::parse(inner)));
        }
        match s {
            "Integer" | "Int" => Self::Integer,
            "Float" | "Float number" => Self::Float,
            "String" => Self::String,
            "Boolean" | "True" | "False" => Self::Boolean,
            "InputFile" => Self::InputFile,
            other => Self::Object(other.to_owned()),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Integer => "Integer".into(),
            Self::Float => "Float".into(),
            Self::String => "String".into(),
            Self::Boolean => "Boolean".into(),
            Self::InputFile => "InputFile".into(),
            Self::Array(inner) => format!("Array of {}", inner.describe()),
            Self::Object(name) => name.clone(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Field {
    pub name: String,
    pub types: Vec<Ty>,
    pub required: bool,
    /// The fixed value of a discriminator (`type`, `status`, `source`) of a subtype.
    pub constant: Option<String>,
}

impl Field {
    pub fn allows_file(&self) -> bool {
        self.types.contains(&Ty::InputFile)
    }

    pub fn describe_types(&self) -> String {
        self.types
            .iter()
            .map(Ty::describe)
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

#[derive(Debug)]
pub(crate) struct MethodSpec {
    /// As the spec spells it (`sendMessage`).
    pub name: String,
    pub fields: Vec<Field>,
    index: HashMap<String, usize>,
}

impl MethodSpec {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.index.get(name).map(|&i| &self.fields[i])
    }
}

#[derive(Debug)]
pub(crate) struct TypeSpec {
    pub fields: Vec<Field>,
    pub subtypes: Vec<String>,
    index: HashMap<String, usize>,
}

pub(crate) struct Spec {
    pub version: String,
    /// Keyed by the lower-cased name: teloxide sends `SendMessage`, the spec says `sendMessage`.
    methods: HashMap<String, MethodSpec>,
    types: HashMap<String, TypeSpec>,
}

#[derive(Deserialize)]
struct RawSpec {
    version: String,
    methods: HashMap<String, RawFields>,
    types: HashMap<String, RawFields>,
}

#[derive(Deserialize)]
struct RawFields {
    #[serde(default)]
    fields: Vec<RawField>,
    #[serde(default)]
    subtypes: Vec<String>,
}

#[derive(Deserialize)]
struct RawField {
    name: String,
    types: Vec<String>,
    required: bool,
    #[serde(default, rename = "const")]
    constant: Option<String>,
}

fn fields(raw: Vec<RawField>) -> (Vec<Field>, HashMap<String, usize>) {
    let fields: Vec<Field> = raw
        .into_iter()
        .map(|f| Field {
            types: f.types.iter().map(|t| Ty::parse(t)).collect(),
            name: f.name,
            required: f.required,
            constant: f.constant,
        })
        .collect();
    let index = fields
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.clone(), i))
        .collect();
    (fields, index)
}

impl Spec {
    fn parse(text: &str) -> Self {
        // The file is part of the crate and checked by a test; failing here is a build defect.
        let raw: RawSpec = serde_json::from_str(text).expect("spec/botapi.json is valid");
        let methods = raw
            .methods
            .into_iter()
            .map(|(name, m)| {
                let (fields, index) = fields(m.fields);
                (
                    name.to_ascii_lowercase(),
                    MethodSpec {
                        name,
                        fields,
                        index,
                    },
                )
            })
            .collect();
        let types = raw
            .types
            .into_iter()
            .map(|(name, t)| {
                let (fields, index) = fields(t.fields);
                (
                    name,
                    TypeSpec {
                        fields,
                        subtypes: t.subtypes,
                        index,
                    },
                )
            })
            .collect();
        Self {
            version: raw.version,
            methods,
            types,
        }
    }

    /// The method named `name` in any letter case.
    pub fn method(&self, name: &str) -> Option<&MethodSpec> {
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            self.methods.get(&name.to_ascii_lowercase())
        } else {
            self.methods.get(name)
        }
    }

    pub fn method_names(&self) -> impl Iterator<Item = &str> {
        self.methods.values().map(|m| m.name.as_str())
    }

    pub fn has_type(&self, name: &str) -> bool {
        self.types.contains_key(name)
    }

    /// The required fields of a type (empty for an unknown type).
    pub fn required_fields(&self, type_name: &str) -> impl Iterator<Item = &Field> {
        self.types
            .get(type_name)
            .into_iter()
            .flat_map(|t| t.fields.iter().filter(|f| f.required))
    }

    /// Checks a JSON value against the declared types; `Err` says why none fits.
    pub fn check_value(&self, value: &Value, types: &[Ty], path: &str) -> Result<(), String> {
        let mut first_error = None;
        for ty in types {
            match self.check_one(value, ty, path, 0) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match (types.len(), first_error) {
            (1, Some(e)) => Err(e),
            _ => Err(format!(
                "{path}: expected {}, got {}",
                types
                    .iter()
                    .map(Ty::describe)
                    .collect::<Vec<_>>()
                    .join(" or "),
                kind(value)
            )),
        }
    }

    fn check_one(&self, value: &Value, ty: &Ty, path: &str, depth: u32) -> Result<(), String> {
        let fits = match ty {
            Ty::Integer => value.is_i64() || value.is_u64(),
            Ty::Float => value.is_number(),
            Ty::String => value.is_string(),
            Ty::Boolean => value.is_boolean(),
            Ty::InputFile => false,
            Ty::Array(inner) => {
                let Value::Array(items) = value else {
                    return Err(format!(
                        "{path}: expected {}, got {}",
                        ty.describe(),
                        kind(value)
                    ));
                };
                for (i, item) in items.iter().enumerate() {
                    self.check_one(item, inner, &format!("{path}[{i}]"), depth + 1)?;
                }
                true
            }
            Ty::Object(name) => return self.check_object_at(name, value, path, depth + 1),
        };
        if fits {
            Ok(())
        } else if *ty == Ty::InputFile {
            Err(format!(
                "{path}: a file must be uploaded as a multipart/form-data part"
            ))
        } else {
            Err(format!(
                "{path}: expected {}, got {}",
                ty.describe(),
                kind(value)
            ))
        }
    }

    /// Checks that `value` is a valid `type_name` (following subtypes of abstract types).
    pub fn check_object(&self, type_name: &str, value: &Value) -> Result<(), String> {
        self.check_object_at(type_name, value, type_name, 0)
    }

    fn check_object_at(
        &self,
        name: &str,
        value: &Value,
        path: &str,
        depth: u32,
    ) -> Result<(), String> {
        if depth > 32 {
            return Err(format!("{path}: nested too deeply"));
        }
        let Some(ty) = self.types.get(name) else {
            // A type the description names but does not define: nothing to check it against.
            return Ok(());
        };
        let Value::Object(map) = value else {
            return Err(format!(
                "{path}: expected {name} (an object), got {}",
                kind(value)
            ));
        };
        if !ty.subtypes.is_empty() {
            return self.check_subtypes(name, ty, value, path, depth);
        }
        if ty.fields.is_empty() {
            return Ok(());
        }
        self.check_fields(name, ty, map, path, depth)
    }

    fn check_subtypes(
        &self,
        name: &str,
        ty: &TypeSpec,
        value: &Value,
        path: &str,
        depth: u32,
    ) -> Result<(), String> {
        // Prefer the subtype whose discriminator matches; without discriminators, any that fits.
        let mut errors = Vec::new();
        let mut discriminated = Vec::new();
        for sub in &ty.subtypes {
            let Some(sub_ty) = self.types.get(sub) else {
                continue;
            };
            let consts: Vec<&Field> = sub_ty
                .fields
                .iter()
                .filter(|f| f.constant.is_some())
                .collect();
            if consts.is_empty() {
                match self.check_object_at(sub, value, path, depth + 1) {
                    Ok(()) => return Ok(()),
                    Err(e) => errors.push(e),
                }
                continue;
            }
            for f in &consts {
                discriminated.push(format!(
                    "{}={}",
                    f.name,
                    f.constant.as_deref().unwrap_or_default()
                ));
            }
            let matches = consts
                .iter()
                .all(|f| value.get(&f.name).and_then(Value::as_str) == f.constant.as_deref());
            if matches {
                return self.check_object_at(sub, value, path, depth + 1);
            }
        }
        if let Some(e) = errors.into_iter().next() {
            return Err(e);
        }
        Err(format!(
            "{path}: not any kind of {name} (expected one of {})",
            discriminated.join(", ")
        ))
    }

    fn check_fields(
        &self,
        name: &str,
        ty: &TypeSpec,
        map: &Map<String, Value>,
        path: &str,
        depth: u32,
    ) -> Result<(), String> {
        for (key, v) in map {
            let Some(&i) = ty.index.get(key) else {
                return Err(format!("{path}: {name} has no field {key}"));
            };
            let field = &ty.fields[i];
            if v.is_null() && !field.required {
                continue;
            }
            let sub_path = format!("{path}.{key}");
            if let Some(c) = &field.constant
                && v.as_str() != Some(c)
            {
                return Err(format!("{sub_path}: must be \"{c}\""));
            }
            let mut first = None;
            let ok = field
                .types
                .iter()
                .any(|t| match self.check_one(v, t, &sub_path, depth + 1) {
                    Ok(()) => true,
                    Err(e) => {
                        first.get_or_insert(e);
                        false
                    }
                });
            if !ok {
                return Err(first.unwrap_or_else(|| format!("{sub_path}: invalid")));
            }
        }
        for field in ty.fields.iter().filter(|f| f.required) {
            if map.get(&field.name).is_none_or(Value::is_null) {
                return Err(format!(
                    "{path}: {name} is missing its required field {}",
                    field.name
                ));
            }
        }
        Ok(())
    }
}

/// The JSON kind of a value, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "Integer",
        Value::Number(_) => "Float",
        Value::String(_) => "String",
        Value::Array(_) => "Array",
        Value::Object(_) => "object",
    }
}
