//! The syntax tree of generated documents, and its rendering to text.
//!
//! Generators ([`super::documents`]) build this tree rather than text, so that what a
//! document uses (its variables, its fragments) can be read back from it: variables
//! are declared after the fact with the types they are used at, and fragments nobody
//! spreads are dropped from documents meant to be valid.

use std::collections::{BTreeMap, BTreeSet};

/// A value where an argument goes.
#[derive(Debug, Clone)]
pub enum Val {
    /// Already rendered: a number, a string, an enum value, `null`, a raw lexeme.
    Literal(String),
    /// `$name`, used where type `ty` goes; `hint` is the argument's name.
    Variable {
        name: String,
        ty: String,
        hint: String,
    },
    List(Vec<Val>),
    Object(Vec<(String, Val)>),
}

/// `@name(args)`.
#[derive(Debug, Clone)]
pub struct Directive {
    pub name: &'static str,
    pub args: Vec<(String, Val)>,
}

/// One selection of a selection set.
#[derive(Debug, Clone)]
pub enum Selection {
    Field {
        alias: Option<String>,
        name: String,
        args: Vec<(String, Val)>,
        directives: Vec<Directive>,
        /// `None`: no selection set (a leaf, or a missing one).
        sub: Option<Vec<Selection>>,
    },
    Spread {
        name: String,
        directives: Vec<Directive>,
    },
    Inline {
        on: Option<String>,
        directives: Vec<Directive>,
        sub: Vec<Selection>,
    },
    /// Text put in as it is (`__typename`, an unknown field).
    Raw(&'static str),
}

/// An operation, without its variable definitions (the document's are used).
#[derive(Debug, Clone)]
pub struct Operation {
    pub kind: &'static str,
    pub name: Option<&'static str>,
    pub directives: Vec<Directive>,
    pub sub: Vec<Selection>,
}

/// `fragment name on on { sub }`.
#[derive(Debug, Clone)]
pub struct Fragment {
    pub name: String,
    pub on: String,
    pub sub: Vec<Selection>,
}

/// `$name: ty = default`.
#[derive(Debug, Clone)]
pub struct VarDef {
    pub name: String,
    pub ty: String,
    /// The name of an argument it is used for, to choose its value by.
    pub hint: String,
    pub default: Option<String>,
}

/// A variable's first use: its type there and the argument's name.
#[derive(Debug, Clone)]
pub struct Use {
    pub ty: String,
    pub hint: String,
}

/// The variables used in `selections` and `directives`, by name, with their first use.
pub fn variable_uses(
    selections: &[Selection],
    directives: &[Directive],
    uses: &mut BTreeMap<String, Use>,
) {
    fn in_value(value: &Val, uses: &mut BTreeMap<String, Use>) {
        match value {
            Val::Variable { name, ty, hint } => {
                uses.entry(name.clone()).or_insert_with(|| Use {
                    ty: ty.clone(),
                    hint: hint.clone(),
                });
            }
            Val::List(items) => items.iter().for_each(|v| in_value(v, uses)),
            Val::Object(fields) => fields.iter().for_each(|(_, v)| in_value(v, uses)),
            Val::Literal(_) => {}
        }
    }
    for directive in directives {
        directive.args.iter().for_each(|(_, v)| in_value(v, uses));
    }
    for selection in selections {
        match selection {
            Selection::Field {
                args,
                directives,
                sub,
                ..
            } => {
                args.iter().for_each(|(_, v)| in_value(v, uses));
                variable_uses(sub.as_deref().unwrap_or_default(), directives, uses);
            }
            Selection::Spread { directives, .. } => variable_uses(&[], directives, uses),
            Selection::Inline {
                directives, sub, ..
            } => variable_uses(sub, directives, uses),
            Selection::Raw(_) => {}
        }
    }
}

/// The fragments `selections` spread, directly.
pub fn spreads(selections: &[Selection], found: &mut BTreeSet<String>) {
    for selection in selections {
        match selection {
            Selection::Field { sub, .. } => spreads(sub.as_deref().unwrap_or_default(), found),
            Selection::Spread { name, .. } => {
                found.insert(name.clone());
            }
            Selection::Inline { sub, .. } => spreads(sub, found),
            Selection::Raw(_) => {}
        }
    }
}

/// The fragments the operations use, directly or through other fragments.
pub fn used_fragments(operations: &[Operation], fragments: &[Fragment]) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for op in operations {
        spreads(&op.sub, &mut used);
    }
    loop {
        let mut more = used.clone();
        for fragment in fragments.iter().filter(|f| used.contains(&f.name)) {
            spreads(&fragment.sub, &mut more);
        }
        if more.len() == used.len() {
            return used;
        }
        used = more;
    }
}

/// A digest of `args` as written (a stable hash), to name what they select.
pub fn digest(args: &[(String, Val)]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut text = String::new();
    render_args(args, &mut text);
    let mut hasher = std::hash::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish() & 0xffff_ffff
}

/// The document's text.
pub fn render(operations: &[Operation], fragments: &[Fragment], defs: &[VarDef]) -> String {
    let mut out = String::new();
    for op in operations {
        let shorthand =
            op.kind == "query" && op.name.is_none() && defs.is_empty() && op.directives.is_empty();
        if !shorthand {
            out.push_str(op.kind);
            if let Some(name) = op.name {
                out.push(' ');
                out.push_str(name);
            }
            if !defs.is_empty() {
                let defs: Vec<String> = defs
                    .iter()
                    .map(|d| match &d.default {
                        Some(default) => format!("${}: {} = {default}", d.name, d.ty),
                        None => format!("${}: {}", d.name, d.ty),
                    })
                    .collect();
                out.push_str(&format!("({})", defs.join(", ")));
            }
            render_directives(&op.directives, &mut out);
            out.push(' ');
        }
        render_selections(&op.sub, &mut out);
        out.push('\n');
    }
    for fragment in fragments {
        out.push_str(&format!("fragment {} on {} ", fragment.name, fragment.on));
        render_selections(&fragment.sub, &mut out);
        out.push('\n');
    }
    out
}

fn render_selections(selections: &[Selection], out: &mut String) {
    out.push_str("{ ");
    for selection in selections {
        match selection {
            Selection::Field {
                alias,
                name,
                args,
                directives,
                sub,
            } => {
                if let Some(alias) = alias {
                    out.push_str(alias);
                    out.push_str(": ");
                }
                out.push_str(name);
                render_args(args, out);
                render_directives(directives, out);
                if let Some(sub) = sub {
                    out.push(' ');
                    render_selections(sub, out);
                }
            }
            Selection::Spread { name, directives } => {
                out.push_str("...");
                out.push_str(name);
                render_directives(directives, out);
            }
            Selection::Inline {
                on,
                directives,
                sub,
            } => {
                out.push_str("...");
                if let Some(on) = on {
                    out.push_str(" on ");
                    out.push_str(on);
                }
                render_directives(directives, out);
                out.push(' ');
                render_selections(sub, out);
            }
            Selection::Raw(text) => out.push_str(text),
        }
        out.push(' ');
    }
    out.push('}');
}

fn render_directives(directives: &[Directive], out: &mut String) {
    for directive in directives {
        out.push_str(" @");
        out.push_str(directive.name);
        render_args(&directive.args, out);
    }
}

fn render_args(args: &[(String, Val)], out: &mut String) {
    if args.is_empty() {
        return;
    }
    let rendered: Vec<String> = args
        .iter()
        .map(|(name, value)| format!("{name}: {}", render_value(value)))
        .collect();
    out.push_str(&format!("({})", rendered.join(", ")));
}

fn render_value(value: &Val) -> String {
    match value {
        Val::Literal(text) => text.clone(),
        Val::Variable { name, .. } => format!("${name}"),
        Val::List(items) => {
            let items: Vec<String> = items.iter().map(render_value).collect();
            format!("[{}]", items.join(", "))
        }
        Val::Object(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(name, value)| format!("{name}: {}", render_value(value)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
    }
}
