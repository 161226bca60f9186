//! Converts a tree to the JSON value Kubernetes would decode (YAML 1.1 scalars, merge keys,
//! aliases expanded within a budget).

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use super::parse::{MAX_ALIAS_EXPANSION, MAX_DEPTH};
use super::tree::*;

/// The document's aliases would expand past [`MAX_ALIAS_EXPANSION`] nodes, or nest values
/// deeper than [`MAX_DEPTH`] (which includes an alias inside its own anchor's value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpansionLimit;

pub fn to_json(root: &Node) -> Result<Value, ExpansionLimit> {
    let mut cx = Cx { anchors: HashMap::new(), budget: MAX_ALIAS_EXPANSION, stack: Vec::new() };
    cx.run(root)
}

/// The scalar's JSON value, typed the Kubernetes way.
pub fn scalar_json(s: &Scalar) -> Value {
    match &s.typed {
        ScalarValue::Null => Value::Null,
        ScalarValue::Bool(b) => Value::Bool(*b),
        ScalarValue::Int(i) => Value::Number((*i).into()),
        ScalarValue::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        ScalarValue::String => Value::String(s.value.to_string()),
    }
}

struct Cx<'a> {
    anchors: HashMap<&'a str, &'a Node>,
    budget: u64,
    /// The collections being converted, innermost last (an explicit stack: no recursion).
    stack: Vec<Frame<'a>>,
}

enum Frame<'a> {
    Seq { items: &'a [Node], next: usize, out: Vec<Value>, in_alias: bool },
    Map { entries: &'a [Entry], next: usize, out: Map<String, Value>, merged: Vec<Map<String, Value>>, in_alias: bool },
}

impl<'a> Cx<'a> {
    fn run(&mut self, root: &'a Node) -> Result<Value, ExpansionLimit> {
        let mut done = self.enter(root, false)?;
        loop {
            if let Some(v) = done.take() {
                match self.stack.last_mut() {
                    None => return Ok(v),
                    Some(Frame::Seq { out, next, .. }) => {
                        out.push(v);
                        *next += 1;
                    }
                    Some(Frame::Map { entries, next, out, merged, .. }) => {
                        let key = &entries[*next].key;
                        if is_merge_key(key) {
                            match v {
                                Value::Object(m) => merged.push(m),
                                Value::Array(list) => merged.extend(list.into_iter().filter_map(|v| match v {
                                    Value::Object(m) => Some(m),
                                    _ => None,
                                })),
                                _ => {}
                            }
                        } else {
                            out.insert(key_string(key), v);
                        }
                        *next += 1;
                    }
                }
            }
            let (child, in_alias) = match self.stack.last_mut() {
                Some(Frame::Seq { items, next, in_alias, .. }) if *next < items.len() => (&items[*next], *in_alias),
                Some(Frame::Map { entries, next, in_alias, .. }) if *next < entries.len() => {
                    let e = &entries[*next];
                    if let Some(a) = e.key.anchor() {
                        self.anchors.insert(a, &e.key);
                    }
                    (&e.value, *in_alias)
                }
                _ => {
                    done = Some(match self.stack.pop() {
                        Some(Frame::Seq { out, .. }) => Value::Array(out),
                        Some(Frame::Map { mut out, merged, .. }) => {
                            // Explicit keys win over merged ones; earlier merge sources win over later ones.
                            for m in merged {
                                for (k, v) in m {
                                    out.entry(k).or_insert(v);
                                }
                            }
                            Value::Object(out)
                        }
                        None => return Ok(Value::Null),
                    });
                    continue;
                }
            };
            done = self.enter(child, in_alias)?;
        }
    }

    /// A scalar's value, or `None` after pushing the frame of a collection to convert.
    fn enter(&mut self, mut n: &'a Node, mut in_alias: bool) -> Result<Option<Value>, ExpansionLimit> {
        loop {
            if in_alias {
                self.budget = self.budget.checked_sub(1).ok_or(ExpansionLimit)?;
            }
            if let Some(a) = n.anchor() {
                self.anchors.insert(a, n);
            }
            let frame = match &n.kind {
                NodeKind::Scalar(s) => return Ok(Some(scalar_json(s))),
                NodeKind::Alias(name) => match self.anchors.get(name.as_str()) {
                    Some(target) => {
                        n = target;
                        in_alias = true;
                        continue;
                    }
                    None => return Ok(Some(Value::Null)),
                },
                // Also what stops an alias inside its own anchor's value.
                NodeKind::Sequence(_) | NodeKind::Mapping(_) if self.stack.len() >= MAX_DEPTH => {
                    return Err(ExpansionLimit);
                }
                NodeKind::Sequence(items) => {
                    Frame::Seq { items, next: 0, out: Vec::with_capacity(items.len()), in_alias }
                }
                NodeKind::Mapping(entries) => {
                    Frame::Map { entries, next: 0, out: Map::new(), merged: Vec::new(), in_alias }
                }
            };
            self.stack.push(frame);
            return Ok(None);
        }
    }
}

pub fn is_merge_key(key: &Node) -> bool {
    matches!(&key.kind, NodeKind::Scalar(s) if &*s.value == "<<" && s.style == ScalarStyle::Plain)
}

/// A mapping key as a JSON object key.
pub fn key_string(key: &Node) -> String {
    match &key.kind {
        NodeKind::Scalar(s) => match &s.typed {
            ScalarValue::Null => "null".into(),
            ScalarValue::Bool(b) => b.to_string(),
            ScalarValue::Int(i) => i.to_string(),
            ScalarValue::Float(_) | ScalarValue::String => s.value.to_string(),
        },
        NodeKind::Alias(a) => format!("*{a}"),
        _ => String::new(),
    }
}
