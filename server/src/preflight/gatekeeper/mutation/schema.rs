//! Schema conflicts between mutators, as Gatekeeper v3.21.1's `pkg/mutation/schema` finds them.
//!
//! Each mutator with `applyTo` (Assign, ModifySet) implies part of the schema of every kind it
//! names: each step of its location is an object field or a list keyed by some field, and its
//! last step holds an unknown value (Assign) or a set (ModifySet). When two mutators disagree
//! on one kind (a field that one reads as an object and the other as a list, a list keyed by
//! two different fields, or an Assign of external data below which another mutator reaches),
//! Gatekeeper marks every mutator involved as conflicting and applies none of them, until the
//! conflict is gone. AssignMetadata has no schema and never conflicts.

use super::path::Node;
use std::collections::{BTreeMap, BTreeSet};

/// What a step of a location holds, in the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum SchemaType {
    /// An object field.
    Object,
    /// A keyed list.
    List,
    /// An Assign's value: anything, compatible with every other type.
    Unknown,
    /// A ModifySet's list of values.
    Set,
}

/// One mutator's share of the schema.
#[derive(Debug)]
pub(super) struct Entry<'a> {
    /// The location's steps.
    pub path: &'a [Node],
    /// What its last step holds.
    pub terminal: SchemaType,
    /// Whether nothing may be below its location (an Assign of external data).
    pub must_terminate: bool,
    /// The group, version and kind it applies to.
    pub bindings: &'a [(String, String, String)],
}

#[derive(Debug, Default)]
struct SchemaNode {
    referenced_by: BTreeSet<usize>,
    children: BTreeMap<String, BTreeMap<SchemaType, SchemaNode>>,
    must_terminate: BTreeSet<usize>,
}

/// The key a step is filed under: a field's name, or a list's key field.
fn key(node: &Node) -> &str {
    match node {
        Node::Object(reference) => reference,
        Node::List(list) => &list.key_field,
    }
}

/// What the first step of `path` holds: told by the step after it, or the terminal type.
fn head_type(path: &[Node], terminal: SchemaType) -> SchemaType {
    match path.get(1) {
        None => terminal,
        Some(Node::Object(_)) => SchemaType::Object,
        Some(Node::List(_)) => SchemaType::List,
    }
}

impl SchemaNode {
    fn add(&mut self, id: usize, path: &[Node], terminal: SchemaType, must_terminate: bool) {
        self.referenced_by.insert(id);
        let Some(first) = path.first() else {
            if must_terminate {
                self.must_terminate.insert(id);
            }
            return;
        };
        self.children
            .entry(key(first).to_owned())
            .or_default()
            .entry(head_type(path, terminal))
            .or_default()
            .add(id, &path[1..], terminal, must_terminate);
    }

    /// The mutators in conflict under one key of this node (Gatekeeper's `node.conflicts`).
    fn conflicts(&self, child_key: &str, into: &mut BTreeSet<usize>) {
        let Some(types) = self.children.get(child_key) else {
            return;
        };
        let known_types = types
            .keys()
            .filter(|kind| **kind != SchemaType::Unknown)
            .count();
        let mut must_terminate = false;
        let mut has_grandchildren = false;
        for (kind, child) in types {
            must_terminate |= !child.must_terminate.is_empty();
            has_grandchildren |= !child.children.is_empty();
            if *kind == SchemaType::Unknown {
                continue;
            }
            if known_types > 1 || (*kind == SchemaType::List && child.children.len() > 1) {
                into.extend(&child.referenced_by);
            }
        }
        if !must_terminate || !has_grandchildren {
            return;
        }
        for child in types.values() {
            into.extend(&child.must_terminate);
            for grandchild in child.children.values().flat_map(BTreeMap::values) {
                into.extend(&grandchild.referenced_by);
            }
        }
    }

    /// The conflicts along one path (Gatekeeper's `node.getConflicts`).
    fn path_conflicts(&self, path: &[Node], terminal: SchemaType, into: &mut BTreeSet<usize>) {
        let Some(first) = path.first() else {
            return;
        };
        let child_key = key(first);
        let Some(child) = self
            .children
            .get(child_key)
            .and_then(|types| types.get(&head_type(path, terminal)))
        else {
            return;
        };
        child.path_conflicts(&path[1..], terminal, into);
        self.conflicts(child_key, into);
    }
}

/// The indexes of the entries (`None`: a mutator without schema) that Gatekeeper would mark as
/// conflicting once all of them are in its schema database. Gatekeeper collects conflicts as
/// each mutator is added; as a conflict only grows with more mutators, that equals looking
/// along every mutator's path once all are added, whatever the order they came in.
pub(super) fn conflicting(entries: &[Option<Entry<'_>>]) -> BTreeSet<usize> {
    let mut schemas: BTreeMap<&(String, String, String), SchemaNode> = BTreeMap::new();
    for (id, entry) in entries.iter().enumerate() {
        let Some(entry) = entry else { continue };
        for binding in entry.bindings {
            schemas.entry(binding).or_default().add(
                id,
                entry.path,
                entry.terminal,
                entry.must_terminate,
            );
        }
    }
    let mut found = BTreeSet::new();
    for entry in entries.iter().flatten() {
        for binding in entry.bindings {
            if let Some(schema) = schemas.get(binding) {
                schema.path_conflicts(entry.path, entry.terminal, &mut found);
            }
        }
    }
    found
}
