//! The schema as the generators see it, read from `schema.graphql` when the tests are
//! built (`docs::schema_graphql_matches_the_code` keeps that file true), so generated
//! documents use the real types, fields, arguments and enum values, and follow the API
//! as it grows.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};

/// A field of an object type.
#[derive(Debug, Clone)]
pub struct Field {
    /// Its name.
    pub name: String,
    /// Its arguments.
    pub args: Vec<InputValue>,
    /// The named type it returns (lists and non-null stripped).
    pub returns: String,
}

/// An argument, or a field of an input object.
#[derive(Debug, Clone)]
pub struct InputValue {
    /// Its name.
    pub name: String,
    /// Its declared type.
    pub ty: Type,
    /// Whether it must be given (non-null without a default).
    pub required: bool,
}

/// The types of the schema, in a stable order (generation must not depend on hashing).
#[derive(Debug, Default)]
pub struct Schema {
    /// Object types and their fields, roots included.
    pub objects: BTreeMap<String, Vec<Field>>,
    /// Input objects and their fields.
    pub inputs: BTreeMap<String, Vec<InputValue>>,
    /// Enums and their values.
    pub enums: BTreeMap<String, Vec<String>>,
}

/// The schema, parsed once.
pub static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let text = include_str!("../../../schema.graphql");
    let document = async_graphql::parser::parse_schema(text).expect("schema.graphql parses");
    let mut schema = Schema::default();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = ty.node;
        let name = ty.name.node.to_string();
        match ty.kind {
            TypeKind::Object(object) => {
                let fields = object
                    .fields
                    .into_iter()
                    .map(|f| Field {
                        name: f.node.name.node.to_string(),
                        args: f
                            .node
                            .arguments
                            .into_iter()
                            .map(|a| input_value(a.node))
                            .collect(),
                        returns: named(&f.node.ty.node).to_owned(),
                    })
                    .collect();
                schema.objects.insert(name, fields);
            }
            TypeKind::InputObject(input) => {
                let fields = input
                    .fields
                    .into_iter()
                    .map(|f| input_value(f.node))
                    .collect();
                schema.inputs.insert(name, fields);
            }
            TypeKind::Enum(enumeration) => {
                let values = enumeration
                    .values
                    .into_iter()
                    .map(|v| v.node.value.node.to_string())
                    .collect();
                schema.enums.insert(name, values);
            }
            _ => {}
        }
    }
    assert!(
        schema.objects.contains_key("Query") && schema.inputs.contains_key("CastVoteInput"),
        "schema.graphql did not read as expected"
    );
    schema
});

fn input_value(value: async_graphql::parser::types::InputValueDefinition) -> InputValue {
    let ty = value.ty.node;
    InputValue {
        name: value.name.node.to_string(),
        required: !ty.nullable && value.default_value.is_none(),
        ty,
    }
}

/// The named type under lists and non-null markers.
pub fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

impl Schema {
    /// The fields of object type `name` (none for a type that is not an object).
    pub fn fields(&self, name: &str) -> &[Field] {
        self.objects.get(name).map_or(&[], Vec::as_slice)
    }

    /// The names of the object types, roots and payloads included.
    pub fn object_names(&self) -> Vec<String> {
        self.objects.keys().cloned().collect()
    }
}
