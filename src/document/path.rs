//! FHIRPath-like locations (`Bundle.entry[0].resource.event.code`) built on demand from parents.

use super::{Document, NodeId, NodeKind};

impl Document {
    /// The literal path of a node, built by walking up the parents only when a finding needs it.
    pub fn location(&self, id: NodeId) -> String {
        // Sized for a message's depth (about 20) and a typical path, so neither grows.
        let mut chain = Vec::with_capacity(32);
        let mut at = Some(id);
        while let Some(n) = at {
            chain.push(n);
            at = self.node(n).parent;
        }
        let mut out = String::with_capacity(128);
        for &n in chain.iter().rev() {
            let node = self.node(n);
            match node.parent {
                None => out.push_str(match node.kind {
                    NodeKind::Resource => self.resource_type(n).unwrap_or(""),
                    NodeKind::Element => self.name(n),
                }),
                Some(parent) => {
                    out.push('.');
                    out.push_str(self.name(n));
                    if self.is_repeated(parent, n) {
                        out.push('[');
                        push_decimal(&mut out, node.index);
                        out.push(']');
                    }
                }
            }
        }
        out
    }

    /// Whether a child is one of a list: an array member in JSON, or an element that the STU3
    /// definitions say repeats, or one of several same-named siblings. The definitions make a
    /// lone repeating XML element and a one-item JSON array read alike.
    fn is_repeated(&self, parent: NodeId, child: NodeId) -> bool {
        let node = self.node(child);
        // Cheapest first: the sibling scan reads every child of the parent.
        if node.in_array || node.index > 0 || self.defined_repeating(child) {
            return true;
        }
        let name = self.name(child);
        self.children_named(parent, name).nth(1).is_some()
    }
}

/// Appends `n` in decimal: `write!` goes through the formatting machinery, which costs more
/// than the rest of a path step.
fn push_decimal(out: &mut String, n: u32) {
    if n >= 10 {
        push_decimal(out, n / 10);
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}

impl Document {
    /// Whether the STU3 definitions make this element repeating.
    fn defined_repeating(&self, child: NodeId) -> bool {
        self.typed(child)
            .and_then(|t| t.def)
            .is_some_and(|d| d.is_repeating())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn indexes_are_written_in_decimal() {
        for n in [0, 7, 9, 10, 11, 99, 100, 4_096, u32::MAX] {
            let mut out = String::from("entry[");
            super::push_decimal(&mut out, n);
            assert_eq!(out, format!("entry[{n}"));
        }
    }
}
