//! Values in generated documents: literals for arguments (of the declared type, or in
//! faulty documents of any), variables and their definitions, and the JSON of their
//! values. See [`super::documents`] for what valid and faulty documents hold.

use std::collections::BTreeMap;

use async_graphql::parser::types::{BaseType, Type};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;

use super::documents::{Gen, maybe};
use super::schema::SCHEMA;
use super::syntax::{Use, Val, VarDef};
use super::values;

/// Variable names arguments use.
const VARIABLES: &[&str] = &["a", "b", "c", "input", "id"];
/// Declared variable types that fit nothing here.
const WRONG_TYPES: &[&str] = &[
    "Int",
    "String!",
    "[ID!]!",
    "Boolean",
    "CastVoteInput",
    "Poll",
    "Nope",
    "[[Int!]!]",
    "PollStatus",
];

impl Gen {
    /// A value of type `ty` for an argument (or input field) named `hint`: mostly of
    /// that type, sometimes a variable (declared later with the type it is used at);
    /// in faulty documents, sometimes anything.
    pub(super) fn value_for(&self, ty: &Type, hint: &str) -> BoxedStrategy<Val> {
        let shaped = match &ty.base {
            BaseType::List(inner) => prop_oneof![
                3 => prop::collection::vec(self.value_for(inner, hint), list_len(hint)).prop_map(Val::List),
                1 => self.value_for(inner, hint),
            ]
            .boxed(),
            BaseType::Named(name) => self.named_value(name, hint),
        };
        let shaped = if ty.nullable {
            prop_oneof![9 => shaped, 1 => Just(Val::Literal("null".into()))].boxed()
        } else {
            shaped
        };
        let (ty, hint) = (ty.to_string(), hint.to_owned());
        let variable = select(VARIABLES).prop_map(move |name| Val::Variable {
            // A variable is used at one type: its name says which.
            name: format!("{name}_{}", type_tag(&ty)),
            ty: ty.clone(),
            hint: hint.clone(),
        });
        prop_oneof![
            16 => shaped,
            3 => variable,
            self.fault(1) => self.any_value(),
        ]
        .boxed()
    }

    fn named_value(&self, name: &str, hint: &str) -> BoxedStrategy<Val> {
        if let Some(literal) = values::scalar_literal(&self.pools, name, hint, self.faulty) {
            return literal.prop_map(Val::Literal).boxed();
        }
        if let Some(enum_values) = SCHEMA.enums.get(name) {
            let wrong = vec!["NOPE".to_owned(), "\"OPEN\"".to_owned(), "open".to_owned()];
            return prop_oneof![
                9 => select(enum_values.clone()),
                self.fault(1) => select(wrong),
            ]
            .prop_map(Val::Literal)
            .boxed();
        }
        let Some(fields) = SCHEMA.inputs.get(name) else {
            return self.any_value();
        };
        let fields: Vec<BoxedStrategy<Option<(String, Val)>>> = fields
            .iter()
            .map(|field| {
                let name = field.name.clone();
                let value = self
                    .value_for(&field.ty, &field.name)
                    .prop_map(move |v| (name.clone(), v));
                let p = if field.required {
                    1.0 - self.chance(0.05)
                } else {
                    0.5
                };
                maybe(p, value)
            })
            .collect();
        let unknown = maybe(
            self.chance(0.05),
            self.any_value().prop_map(|v| ("nope".to_owned(), v)),
        );
        (fields, unknown)
            .prop_map(|(fields, unknown)| {
                Val::Object(fields.into_iter().flatten().chain(unknown).collect())
            })
            .boxed()
    }

    /// Any value at all, of no particular type.
    pub(super) fn any_value(&self) -> BoxedStrategy<Val> {
        values::any_literal(&self.pools)
            .prop_map(Val::Literal)
            .prop_recursive(2, 8, 3, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..3).prop_map(Val::List),
                    prop::collection::vec(("[a-z]{1,5}", inner), 0..3).prop_map(Val::Object),
                ]
            })
            .boxed()
    }

    /// Definitions for the variables the document uses, with the type they are used
    /// at; in faulty documents sometimes another type, sometimes none, now and then one
    /// unused.
    pub(super) fn variable_definitions(
        &self,
        uses: BTreeMap<String, Use>,
    ) -> BoxedStrategy<Vec<VarDef>> {
        let defaults = maybe(self.chance(0.1), values::any_literal(&self.pools));
        let used: Vec<BoxedStrategy<Option<VarDef>>> = uses
            .into_iter()
            .map(|(name, Use { ty, hint })| {
                let ty = prop_oneof![
                    17 => Just(ty),
                    self.fault(1) => select(WRONG_TYPES).prop_map(str::to_owned),
                ];
                let def = (ty, defaults.clone()).prop_map(move |(ty, default)| VarDef {
                    name: name.clone(),
                    ty,
                    hint: hint.clone(),
                    default,
                });
                maybe(1.0 - self.chance(0.1), def)
            })
            .collect();
        let unused = maybe(
            self.chance(0.1),
            select(WRONG_TYPES).prop_map(|ty| VarDef {
                name: "unused".into(),
                ty: ty.to_owned(),
                hint: String::new(),
                default: None,
            }),
        );
        (used, unused)
            .prop_map(|(used, unused)| used.into_iter().flatten().chain(unused).collect())
            .boxed()
    }

    /// The variables object for `defs`: values of the declared types (and fitting the
    /// arguments they are used for); in faulty documents some of the wrong shape, some
    /// missing, now and then not an object at all.
    pub(super) fn variables(&self, defs: &[VarDef]) -> BoxedStrategy<Value> {
        let entries: Vec<BoxedStrategy<Option<(String, Value)>>> = defs
            .iter()
            .map(|def| {
                let name = def.name.clone();
                let value = match Type::new(&def.ty) {
                    Some(ty) => prop_oneof![
                        8 => self.json_for(&ty, &def.hint),
                        self.fault(1) => values::wrong_json(&self.pools),
                    ]
                    .boxed(),
                    None => values::wrong_json(&self.pools),
                };
                maybe(
                    1.0 - self.chance(0.1),
                    value.prop_map(move |v| (name.clone(), v)),
                )
            })
            .collect();
        let object =
            entries.prop_map(|entries| Value::Object(entries.into_iter().flatten().collect()));
        prop_oneof![9 => object, self.fault(1) => values::wrong_json(&self.pools)].boxed()
    }

    /// JSON of GraphQL type `ty`, as the value of a variable used for argument `hint`.
    fn json_for(&self, ty: &Type, hint: &str) -> BoxedStrategy<Value> {
        let shaped = match &ty.base {
            BaseType::List(inner) => prop_oneof![
                3 => prop::collection::vec(self.json_for(inner, hint), list_len(hint)).prop_map(Value::from),
                1 => self.json_for(inner, hint),
            ]
            .boxed(),
            BaseType::Named(name) => self.named_json(name, hint),
        };
        if ty.nullable {
            prop_oneof![9 => shaped, 1 => Just(Value::Null)].boxed()
        } else {
            shaped
        }
    }

    fn named_json(&self, name: &str, hint: &str) -> BoxedStrategy<Value> {
        if let Some(json) = values::scalar_json(&self.pools, name, hint, self.faulty) {
            return json;
        }
        if let Some(enum_values) = SCHEMA.enums.get(name) {
            return prop_oneof![
                9 => select(enum_values.clone()).prop_map(Value::from),
                self.fault(1) => Just(Value::from("NOPE")),
            ]
            .boxed();
        }
        let Some(fields) = SCHEMA.inputs.get(name) else {
            return values::wrong_json(&self.pools);
        };
        let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = fields
            .iter()
            .map(|field| {
                let name = field.name.clone();
                let value = self
                    .json_for(&field.ty, &field.name)
                    .prop_map(move |v| (name.clone(), v));
                let p = if field.required {
                    1.0 - self.chance(0.05)
                } else {
                    0.5
                };
                maybe(p, value)
            })
            .collect();
        fields
            .prop_map(|fields| Value::Object(fields.into_iter().flatten().collect()))
            .boxed()
    }
}

/// How many items a list for argument `hint` has: a poll's options mostly 2 to 6.
fn list_len(hint: &str) -> std::ops::Range<usize> {
    if hint == "options" { 1..7 } else { 0..4 }
}

/// A name-safe tag for a type (`[ID!]!` → `LID__`), so each variable has one type.
fn type_tag(ty: &str) -> String {
    ty.chars()
        .map(|c| match c {
            '[' => 'L',
            ']' => '_',
            '!' => '_',
            c => c,
        })
        .collect()
}
