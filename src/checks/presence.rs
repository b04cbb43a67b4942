//! `required`, `forbidden` and `count`: how many nodes a target selects.

use super::{Check, RuleRun};
use crate::finding::Finding;
use crate::profile::select::Selection;

pub fn run(check: &Check, rule: &RuleRun<'_>, sel: &Selection, out: &mut Vec<Finding>) {
    let n = sel.nodes.len();
    match *check {
        Check::Required { ref each } if each.is_empty() => {
            if n == 0 {
                out.push(rule.missing(sel, None));
            }
        }
        Check::Required { ref each } => {
            let doc = rule.cx.doc;
            for &node in &sel.nodes {
                for path in each {
                    let child = path.text();
                    let present = path.eval_from(rule.cx, node).nodes.iter().any(|&c| {
                        doc.value(c).is_some_and(|v| !v.is_empty())
                            || doc.children(c).next().is_some()
                    });
                    if !present {
                        let f = rule
                            .meta
                            .finding(super::fill(rule.message, &[("child", child)]));
                        out.push(
                            f.at_node_name(doc, node)
                                .label(format!("no `{child}` here"))
                                .absent(node, child),
                        );
                    }
                }
            }
        }
        Check::Forbidden => {
            for &node in &sel.nodes {
                let f = rule
                    .meta
                    .finding(super::fill(rule.message, &[("count", &n.to_string())]));
                out.push(f.at_node_name(rule.cx.doc, node).label("not allowed here"));
            }
        }
        Check::Count { min, max } => {
            let count = n.to_string();
            if n < min {
                if n == 0 {
                    out.push(rule.missing(sel, None));
                } else {
                    out.push(rule.finding_at(
                        sel.nodes[0],
                        &[("count", &count)],
                        Some(format!("{n} of at least {min}")),
                    ));
                }
            } else if let Some(max) = max.filter(|&m| n > m) {
                for &extra in &sel.nodes[max..] {
                    let label = format!("one of {n}; at most {max} allowed");
                    let f = rule
                        .meta
                        .finding(super::fill(rule.message, &[("count", &count)]));
                    out.push(f.at_node_name(rule.cx.doc, extra).label(label));
                }
            }
        }
        _ => unreachable!("presence::run is only called for presence checks"),
    }
}
