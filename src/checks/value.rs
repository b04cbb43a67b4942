//! `fixed`, `one-of`, `not-in`, `pattern`, `max-length`: checks on the values a target selects.

use super::{Check, RuleRun};
use crate::finding::Finding;
use crate::profile::select::Selection;

pub fn run(check: &Check, rule: &RuleRun<'_>, sel: &Selection, out: &mut Vec<Finding>) {
    let doc = rule.cx.doc;
    let optional = match check {
        Check::Fixed { optional, .. }
        | Check::OneOf { optional, .. }
        | Check::Pattern { optional, .. } => *optional,
        Check::NotIn { .. } | Check::MaxLength { .. } => true,
        _ => unreachable!("value::run is only called for value checks"),
    };
    // What a finding says was expected; only worked out for a finding.
    let expected = || match check {
        Check::Fixed { value, .. } => Some(value.clone()),
        Check::OneOf { values, .. } => Some(values.join("`, `")),
        Check::Pattern { source, .. } => Some(source.clone()),
        _ => None,
    };
    if sel.nodes.is_empty() {
        if !optional {
            out.push(rule.missing(sel, expected().as_deref()));
        }
        return;
    }
    for &node in &sel.nodes {
        // An object where a primitive belongs (JSON `{…}` for a date) is the structural pass's
        // finding; comparing it as an empty string would hide that one behind this one.
        if doc.value(node).is_none() && doc.children(node).next().is_some() {
            continue;
        }
        let found = doc.value(node).unwrap_or("");
        let bad_label = match check {
            Check::Fixed { value, .. } => (found != value).then(|| format!("expected `{value}`")),
            Check::OneOf { values, .. } => (!values.iter().any(|v| v == found)).then(|| {
                // A long list (all response codes, say) belongs in the docs, not the label.
                if values.len() > 4 {
                    format!("not one of the {} allowed values", values.len())
                } else {
                    format!("expected one of `{}`", values.join("`, `"))
                }
            }),
            Check::NotIn { values } => values
                .iter()
                .any(|v| v == found)
                .then(|| "not allowed".to_string()),
            Check::Pattern { .. } => {
                // Every embedded pattern compiles (the rule catalogue test compiles them all);
                // a pack from `--profiles DIR` was verified when it loaded.
                let regex = check
                    .regex()
                    .expect("pack patterns are verified when they load");
                (!regex.is_match(found.as_bytes()))
                    .then(|| "does not match the required format".to_string())
            }
            Check::MaxLength { max } => {
                let len = found.chars().count();
                (len > *max).then(|| format!("{len} characters, at most {max}"))
            }
            _ => None,
        };
        if let Some(label) = bad_label {
            let expected = expected();
            let max_text;
            let mut vars = vec![
                ("found", found),
                ("expected", expected.as_deref().unwrap_or("")),
            ];
            if let Check::MaxLength { max } = check {
                max_text = max.to_string();
                vars.push(("max", &max_text));
            }
            out.push(rule.finding_at(node, &vars, Some(label)).bad_value(node));
        }
    }
}
