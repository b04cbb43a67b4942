//! XML-only rules: child elements in definition order, and `id`/`url` as attributes.
//!
//! Definition order is compared by the position of the [`ElementDef`]s in the definitions table,
//! which lists each type's elements in snapshot order, so the children of one parent have
//! increasing positions in definition order. `tests::child_definitions_are_in_table_order`
//! guards that property over every type, and it makes the order check free of lookups.

use super::rules::*;
use super::Walker;
use crate::document::NodeId;
use crate::fhir::defs::ElementDef;

/// The order state of one parent's children.
#[derive(Default)]
pub(super) struct Order {
    /// The child element latest in definition order so far, with its definition.
    last: Option<(NodeId, &'static ElementDef)>,
    /// One finding per parent: after the first misplaced child, later ones are usually the
    /// same mistake seen from the other side.
    reported: bool,
}

/// Position of a definition in its snapshot; see the module docs.
pub(super) fn position(def: &ElementDef) -> usize {
    def.position()
}

/// STU3 writes exactly these properties as XML attributes (besides a primitive's `value`):
/// `Element.id` (an element's id, type `string`; a resource's id is an element of type `id`)
/// and `Extension.url`.
fn is_attribute_def(def: &ElementDef) -> bool {
    (def.name == "id" && def.types.first().is_some_and(|t| t.code == "string"))
        || def.path == "Extension.url"
}

impl Walker<'_> {
    /// `is_attribute`: whether `child` of an XML document was written as an attribute.
    pub(super) fn xml_order(
        &mut self,
        order: &mut Order,
        child: NodeId,
        def: &'static ElementDef,
        is_attribute: bool,
    ) {
        let doc = self.doc;
        if is_attribute {
            return;
        }
        match order.last {
            Some((last, last_def)) if position(def) < position(last_def) => {
                if !order.reported {
                    order.reported = true;
                    self.report(
                        XML_ELEMENT_ORDER
                            .finding(format!(
                                "`{}` must come before `{}`",
                                doc.name(child),
                                doc.name(last)
                            ))
                            .at_node_name(doc, child),
                    );
                }
            }
            _ => order.last = Some((child, def)),
        }
    }

    /// `is_attribute`: whether `child` of an XML document was written as an attribute.
    pub(super) fn xml_representation(
        &mut self,
        child: NodeId,
        def: &ElementDef,
        is_attribute: bool,
    ) {
        let doc = self.doc;
        let message = match (is_attribute, is_attribute_def(def)) {
            (false, true) => format!(
                "`{name}` is written as a child element; FHIR XML writes it as an attribute (`{name}=\"…\"`)",
                name = doc.name(child)
            ),
            (true, false) => format!(
                "`{name}` is written as an attribute; FHIR XML writes it as a child element (`<{name} value=\"…\"/>`)",
                name = doc.name(child)
            ),
            _ => return,
        };
        self.report(
            XML_ATTRIBUTE_MISMATCH
                .finding(message)
                .at_node_name(doc, child),
        );
    }
}
