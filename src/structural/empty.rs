//! ele-1 (every element has a value or children) and ext-1 (an extension has a value or nested
//! extensions, not both). Resources are not elements, so ele-1 does not apply to them.

use super::rules::*;
use super::Walker;
use crate::document::{Format, NodeId};

impl Walker<'_> {
    /// ele-1's "children": an element's own `id` does not count (`children().count() >
    /// id.count()`), so `<meta id="m"/>` is as empty as `<meta/>`.
    pub(super) fn has_content(&self, id: NodeId) -> bool {
        let doc = self.doc;
        doc.children(id).any(|c| doc.name(c) != "id")
    }

    /// Reports an element with neither value nor children.
    pub(super) fn element_empty(&mut self, id: NodeId) {
        let doc = self.doc;
        if doc.format == Format::Xml && self.xml_text_content(id) {
            // `<status>final</status>`: the element is not empty, its value is in text content,
            // which the parser reports (`xml-unexpected-text`).
            return;
        }
        self.report(
            ELEMENT_EMPTY
                .finding(format!(
                    "`{}` has neither a value nor child elements",
                    doc.name(id)
                ))
                .at_node_name(doc, id),
        );
    }

    /// Whether an XML element holds text between its tags (not just whitespace or comments).
    fn xml_text_content(&self, id: NodeId) -> bool {
        let doc = self.doc;
        let node = doc.node(id);
        let text = &doc.source.text[node.span.range()];
        let Some(open_end) = text.find('>') else {
            return false;
        };
        if text[..open_end].ends_with('/') {
            return false; // `<meta/>`
        }
        let inner = &text[open_end + 1..];
        let inner = inner.rfind("</").map_or(inner, |close| &inner[..close]);
        let mut rest = inner.trim_start();
        // Comments are not content; skip them and look for anything else.
        while let Some(after) = rest.strip_prefix("<!--") {
            rest = after
                .find("-->")
                .map_or("", |end| after[end + 3..].trim_start());
        }
        !rest.is_empty()
    }

    /// ext-1: `extension.exists() != value.exists()`.
    pub(super) fn extension(&mut self, id: NodeId) {
        let doc = self.doc;
        let mut value = None;
        let mut nested = None;
        let mut unknown = false;
        for child in doc.children(id) {
            let Some(def) = doc.typed(child).and_then(|t| t.def) else {
                unknown = true;
                continue;
            };
            if def.is_choice() && def.name == "value" {
                value.get_or_insert(child);
            } else if def.name == "extension" {
                nested.get_or_insert(child);
            }
        }
        match (value, nested) {
            (Some(value), Some(_)) => self.report(
                EXTENSION_VALUE_AND_CHILDREN
                    .finding(format!(
                        "the extension has both `{}` and nested extensions",
                        doc.name(value)
                    ))
                    .at_node_name(doc, value),
            ),
            // An unknown child (`valueText`) is usually the intended value; it has its own finding.
            (None, None) if !unknown => self.report(
                EXTENSION_VALUE_MISSING
                    .finding("the extension has neither a value nor nested extensions")
                    .at_node_name(doc, id),
            ),
            _ => {}
        }
    }
}
