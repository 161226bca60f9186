//! Converts a tree to the JSON value Kubernetes would decode (YAML 1.1 scalars, merge keys,
//! aliases expanded within a budget).

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use super::parse::MAX_ALIAS_EXPANSION;
use super::tree::*;

/// The document's aliases would expand past [`MAX_ALIAS_EXPANSION`] nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpansionLimit;

pub fn to_json(root: &Node) -> Result<Value, ExpansionLimit> {
    let mut cx = Cx { anchors: HashMap::new(), budget: MAX_ALIAS_EXPANSION };
    cx.convert(root, false)
}

/// The scalar's JSON value, typed the Kubernetes way.
pub fn scalar_json(s: &Scalar) -> Value {
    match &s.typed {
        ScalarValue::Null => Value::Null,
        ScalarValue::Bool(b) => Value::Bool(*b),
        ScalarValue::Int(i) => Value::Number((*i).into()),
        ScalarValue::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        ScalarValue::String => Value::String(s.value.clone()),
    }
}

struct Cx<'a> {
    anchors: HashMap<&'a str, &'a Node>,
    budget: u64,
}

impl<'a> Cx<'a> {
    fn convert(&mut self, n: &'a Node, in_alias: bool) -> Result<Value, ExpansionLimit> {
        if in_alias {
            self.budget = self.budget.checked_sub(1).ok_or(ExpansionLimit)?;
        }
        if let Some(a) = &n.anchor {
            self.anchors.insert(a, n);
        }
        Ok(match &n.kind {
            NodeKind::Scalar(s) => scalar_json(s),
            NodeKind::Alias(name) => match self.anchors.get(name.as_str()) {
                Some(target) => self.convert(target, true)?,
                None => Value::Null,
            },
            NodeKind::Sequence(items) => {
                Value::Array(items.iter().map(|i| self.convert(i, in_alias)).collect::<Result<_, _>>()?)
            }
            NodeKind::Mapping(entries) => {
                let mut map = Map::new();
                let mut merged: Vec<Map<String, Value>> = Vec::new();
                for e in entries {
                    if is_merge_key(&e.key) {
                        match self.convert(&e.value, in_alias)? {
                            Value::Object(m) => merged.push(m),
                            Value::Array(list) => merged.extend(list.into_iter().filter_map(|v| match v {
                                Value::Object(m) => Some(m),
                                _ => None,
                            })),
                            _ => {}
                        }
                        continue;
                    }
                    let key = key_string(&e.key);
                    let value = self.convert(&e.value, in_alias)?;
                    map.insert(key, value);
                }
                // Explicit keys win over merged ones; earlier merge sources win over later ones.
                for m in merged {
                    for (k, v) in m {
                        map.entry(k).or_insert(v);
                    }
                }
                Value::Object(map)
            }
        })
    }
}

pub fn is_merge_key(key: &Node) -> bool {
    matches!(&key.kind, NodeKind::Scalar(s) if s.value == "<<" && s.style == ScalarStyle::Plain)
}

/// A mapping key as a JSON object key.
pub fn key_string(key: &Node) -> String {
    match &key.kind {
        NodeKind::Scalar(s) => match &s.typed {
            ScalarValue::Null => "null".into(),
            ScalarValue::Bool(b) => b.to_string(),
            ScalarValue::Int(i) => i.to_string(),
            ScalarValue::Float(_) | ScalarValue::String => s.value.clone(),
        },
        NodeKind::Alias(a) => format!("*{a}"),
        _ => String::new(),
    }
}
