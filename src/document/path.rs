//! FHIRPath-like locations (`Bundle.entry[0].resource.event.code`) built on demand from parents.

use super::{Document, NodeId, NodeKind};

impl Document {
    /// The literal path of a node, built by walking up the parents only when a finding needs it.
    pub fn location(&self, id: NodeId) -> String {
        let mut segments = Vec::new();
        let mut at = Some(id);
        while let Some(n) = at {
            let node = self.node(n);
            match node.parent {
                None => segments.push(match node.kind {
                    NodeKind::Resource => self.resource_type(n).unwrap_or("").to_string(),
                    NodeKind::Element => self.name(n).to_string(),
                }),
                Some(parent) => {
                    if self.is_repeated(parent, n) {
                        segments.push(format!("{}[{}]", self.name(n), node.index));
                    } else {
                        segments.push(self.name(n).to_string());
                    }
                }
            }
            at = node.parent;
        }
        segments.reverse();
        segments.join(".")
    }

    /// Whether a child is one of a list: an array member in JSON, or an element that the STU3
    /// definitions say repeats, or one of several same-named siblings. The definitions make a
    /// lone repeating XML element and a one-item JSON array read alike.
    fn is_repeated(&self, parent: NodeId, child: NodeId) -> bool {
        let node = self.node(child);
        if node.in_array || node.index > 0 {
            return true;
        }
        let name = self.name(child);
        if self.children_named(parent, name).nth(1).is_some() {
            return true;
        }
        self.defined_repeating(child)
    }
}

impl Document {
    /// Whether the STU3 definitions make this element repeating.
    fn defined_repeating(&self, child: NodeId) -> bool {
        self.typed(child)
            .and_then(|t| t.def)
            .is_some_and(|d| d.is_repeating())
    }
}
