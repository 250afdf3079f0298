//! Selection sets of generated documents: fields of the type at hand with their
//! arguments and sub-selections, aliases, inline fragments, spreads of the fragments
//! in scope, and `@skip`/`@include`. See [`super::documents`] for what valid and faulty
//! documents hold.

use async_graphql::parser::types::Type;
use proptest::prelude::*;
use proptest::sample::select;

use super::documents::{Gen, maybe, one_of};
use super::schema::{Field, SCHEMA};
use super::syntax::{self, Directive, Selection, Val};

/// Deepest nesting of generated selections (the deep ones come from `hostile`).
const MAX_DEPTH: u32 = 5;
/// Aliases, some of them other fields' names (so that response keys collide).
const ALIASES: &[&str] = &["a", "b", "id", "title", "poll", "x1"];
/// Selections that are not fields of the schema: meta fields, unknown fields.
const META: &[&str] = &[
    "__schema { queryType { name } types { name } }",
    "__type(name: \"Poll\") { name fields { name type { name } } }",
    "nope",
    "__nope",
    "id",
];

impl Gen {
    pub(super) fn selection_set(&self, ty: String, depth: u32) -> BoxedStrategy<Vec<Selection>> {
        prop::collection::vec(self.selection(ty, depth), 1..=4).boxed()
    }

    /// One selection on type `ty`: mostly one of its fields.
    fn selection(&self, ty: String, depth: u32) -> BoxedStrategy<Selection> {
        let fields = SCHEMA.fields(&ty).to_vec();
        let mut arms: Vec<(u32, BoxedStrategy<Selection>)> = Vec::new();
        if !fields.is_empty() {
            let this = self.clone();
            let field = select(fields).prop_flat_map(move |f| this.field(f, depth));
            arms.push((12, field.boxed()));
        }
        arms.push((1, Just(Selection::Raw("__typename")).boxed()));
        arms.push((self.fault(1), select(META).prop_map(Selection::Raw).boxed()));
        let fitting: Vec<String> = self
            .fragments
            .iter()
            .filter(|(_, on)| self.faulty || *on == ty)
            .map(|(name, _)| name.clone())
            .collect();
        if !fitting.is_empty() {
            let spread = (select(fitting), self.directives())
                .prop_map(|(name, directives)| Selection::Spread { name, directives });
            arms.push((3, spread.boxed()));
        }
        let unknown = (Just("Missing".to_owned()), self.directives())
            .prop_map(|(name, directives)| Selection::Spread { name, directives });
        arms.push((self.fault(1), unknown.boxed()));
        if depth < MAX_DEPTH {
            arms.push((1, self.inline(ty, depth)));
        }
        one_of(arms)
    }

    /// `... on T { }`, or `... { }`; in faulty documents, on another type too.
    fn inline(&self, ty: String, depth: u32) -> BoxedStrategy<Selection> {
        let mut others = SCHEMA.object_names();
        others.push("Nope".to_owned());
        let on = prop_oneof![
            4 => Just(Some(ty.clone())),
            1 => Just(None),
            self.fault(1) => select(others).prop_map(Some),
        ];
        let this = self.clone();
        (on, self.directives())
            .prop_flat_map(move |(on, directives)| {
                let inner = on.clone().unwrap_or_else(|| ty.clone());
                (
                    Just(on),
                    Just(directives),
                    this.selection_set(inner, depth + 1),
                )
            })
            .prop_map(|(on, directives, sub)| Selection::Inline {
                on,
                directives,
                sub,
            })
            .boxed()
    }

    fn field(&self, field: Field, depth: u32) -> BoxedStrategy<Selection> {
        let missing = Just(None::<Vec<Selection>>).boxed();
        let bogus = Just(Some(vec![Selection::Raw("__typename")])).boxed();
        let sub = if !SCHEMA.objects.contains_key(&field.returns) {
            one_of(vec![(19, missing), (self.fault(1), bogus)])
        } else if depth + 1 >= MAX_DEPTH {
            one_of(vec![(self.fault(1), missing), (9, bogus)])
        } else {
            let set = self
                .selection_set(field.returns.clone(), depth + 1)
                .prop_map(Some);
            one_of(vec![(19, set.boxed()), (self.fault(1), missing)])
        };
        let alias = if self.faulty {
            maybe(0.15, select(ALIASES).prop_map(str::to_owned))
        } else {
            // A name of the field's own, so that response keys do not collide.
            maybe(0.1, Just(format!("{}Again", field.name)))
        };
        let faulty = self.faulty;
        (alias, self.arguments(&field), self.directives(), sub)
            .prop_map(move |(alias, args, directives, sub)| {
                // Valid documents give a field with arguments a response key of its
                // own for each set of arguments: two `poll(id:)` with different ids
                // under one key are a conflict.
                let alias = match alias {
                    None if !faulty && !args.is_empty() => {
                        Some(format!("{}_{:x}", field.name, syntax::digest(&args)))
                    }
                    other => other,
                };
                Selection::Field {
                    alias,
                    name: field.name.clone(),
                    args,
                    directives,
                    sub,
                }
            })
            .boxed()
    }

    /// Arguments for `field`: required ones always (nearly, in faulty documents),
    /// optional ones half the time, now and then one it does not have.
    fn arguments(&self, field: &Field) -> BoxedStrategy<Vec<(String, Val)>> {
        let declared: Vec<BoxedStrategy<Option<(String, Val)>>> = field
            .args
            .iter()
            .map(|arg| {
                let name = arg.name.clone();
                let value = self
                    .value_for(&arg.ty, &arg.name)
                    .prop_map(move |v| (name.clone(), v));
                let p = if arg.required {
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
        (declared, unknown)
            .prop_map(|(declared, unknown)| declared.into_iter().flatten().chain(unknown).collect())
            .boxed()
    }

    /// Usually none; else `@skip`/`@include` with a literal or variable condition; in
    /// faulty documents also a directive that does not exist or does not go there, or
    /// arguments it does not take.
    pub(super) fn directives(&self) -> BoxedStrategy<Vec<Directive>> {
        let condition = self.value_for(&Type::new("Boolean!").expect("a type"), "if");
        let args = prop_oneof![
            6 => condition.prop_map(|v| vec![("if".to_owned(), v)]),
            self.fault(1) => Just(Vec::new()),
            self.fault(1) => self.any_value().prop_map(|v| vec![("if".to_owned(), v)]),
            self.fault(1) => self.any_value().prop_map(|v| vec![
                ("if".to_owned(), Val::Literal("true".into())),
                ("else".to_owned(), v),
            ]),
        ];
        let names = if self.faulty {
            select(&["skip", "include", "skip", "include", "deprecated", "nope"][..])
        } else {
            select(&["skip", "include"][..])
        };
        let directive = (names, args).prop_map(|(name, args)| Directive { name, args });
        let most = if self.faulty { 3 } else { 1 };
        prop_oneof![
            8 => Just(Vec::new()),
            1 => prop::collection::vec(directive, 1..=most),
        ]
        .boxed()
    }
}
