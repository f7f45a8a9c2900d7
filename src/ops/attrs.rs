//! Op attributes (TensorFlow's AttrValue) and a reader that rejects missing, ill-typed and
//! unknown attrs with a message naming the op.

use crate::error::Result;
use crate::invalid;
use crate::tensor::DType;
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq)]
pub enum Attr {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Ints(Vec<i64>),
    Type(DType),
}

pub type AttrMap = HashMap<String, Attr>;

/// Reads the attrs of one op; `finish` fails on any attr the op did not read.
pub struct Attrs<'a> {
    op: &'a str,
    map: &'a AttrMap,
    seen: Vec<&'a str>,
}

impl<'a> Attrs<'a> {
    pub fn new(op: &'a str, map: &'a AttrMap) -> Self {
        Attrs {
            op,
            map,
            seen: Vec::new(),
        }
    }

    fn get(&mut self, name: &str) -> Option<&'a Attr> {
        let (k, v) = self.map.get_key_value(name)?;
        self.seen.push(k.as_str());
        Some(v)
    }

    fn ill_typed(&self, name: &str, want: &str, got: &Attr) -> crate::error::Error {
        invalid!("{}: attr {name} must be {want}, got {got:?}", self.op)
    }

    pub fn int(&mut self, name: &str) -> Result<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(Attr::Int(i)) => Ok(Some(*i)),
            Some(Attr::Ints(v)) if v.len() == 1 => Ok(Some(v[0])),
            Some(other) => Err(self.ill_typed(name, "an int", other)),
        }
    }

    pub fn req_int(&mut self, name: &str) -> Result<i64> {
        self.int(name)?
            .ok_or_else(|| invalid!("{}: missing attr {name}", self.op))
    }

    /// A list of ints; a single int is accepted as a one-element list.
    pub fn ints(&mut self, name: &str) -> Result<Option<Vec<i64>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Attr::Int(i)) => Ok(Some(vec![*i])),
            Some(Attr::Ints(v)) => Ok(Some(v.clone())),
            Some(other) => Err(self.ill_typed(name, "a list of ints", other)),
        }
    }

    pub fn req_ints(&mut self, name: &str) -> Result<Vec<i64>> {
        self.ints(name)?
            .ok_or_else(|| invalid!("{}: missing attr {name}", self.op))
    }

    pub fn bool(&mut self, name: &str, default: bool) -> Result<bool> {
        match self.get(name) {
            None => Ok(default),
            Some(Attr::Bool(b)) => Ok(*b),
            Some(other) => Err(self.ill_typed(name, "a bool", other)),
        }
    }

    pub fn float(&mut self, name: &str, default: f64) -> Result<f64> {
        match self.get(name) {
            None => Ok(default),
            Some(Attr::Float(f)) => Ok(*f),
            Some(Attr::Int(i)) => Ok(*i as f64),
            Some(other) => Err(self.ill_typed(name, "a float", other)),
        }
    }

    pub fn dtype(&mut self, name: &str) -> Result<Option<DType>> {
        match self.get(name) {
            None => Ok(None),
            Some(Attr::Type(t)) => Ok(Some(*t)),
            Some(Attr::Str(s)) => DType::from_name(s)
                .map(Some)
                .map_err(|e| e.context(format!("{}: attr {name}", self.op))),
            Some(other) => Err(self.ill_typed(name, "a dtype", other)),
        }
    }

    /// Fails if the request carried attrs this op does not have.
    pub fn finish(self) -> Result<()> {
        let mut unknown: Vec<&str> = (self.map.keys().map(String::as_str))
            .filter(|k| !self.seen.contains(k))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        unknown.sort_unstable();
        Err(invalid!("{}: unknown attrs {unknown:?}", self.op))
    }
}
