//! `mesh-address`: a MESH recipient address (`To_DTS`, `Mex-To`): a mailbox ID or
//! `GPPROVIDER_<NHS number>_<date of birth>_<surname>`.
//!
//! Parameters: `gpprovider` (`required`: only the GPPROVIDER form; `allowed`: a mailbox ID too),
//! `date` (`DDMMYYYY` or `YYYYMMDD`: how the release writes the date of birth), `report` (which
//! problems this rule reports: `errors`, `date-format` for a date that only reads in the other
//! format, `surname` for unusual surname characters) and `optional`. One check serves three
//! rules because the three have different severities.

use super::children::part_span;
use super::RuleRun;
use crate::document::{Document, NodeId};
use crate::finding::{Finding, Label};
use crate::mesh::address::{self, Address, Date, DateFormat, GpProvider};
use crate::profile::select::Selection;
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    Errors,
    DateFormat,
    Surname,
}

#[derive(Debug)]
pub struct AddressCheck {
    pub gpprovider_required: bool,
    pub date: DateFormat,
    pub report: Report,
    pub optional: bool,
}

impl AddressCheck {
    pub fn compile(table: &toml::Table) -> Result<AddressCheck, String> {
        let text = |key: &str| match table.get(key) {
            Some(toml::Value::String(s)) => Ok(s.as_str()),
            Some(_) => Err(format!("`{key}` must be a string")),
            None => Err(format!("missing parameter `{key}`")),
        };
        let gpprovider_required = match text("gpprovider")? {
            "required" => true,
            "allowed" => false,
            other => {
                return Err(format!(
                    "`gpprovider` is `required` or `allowed`, not `{other}`"
                ))
            }
        };
        let date = DateFormat::parse(text("date")?).ok_or("`date` is `DDMMYYYY` or `YYYYMMDD`")?;
        let report = match text("report")? {
            "errors" => Report::Errors,
            "date-format" => Report::DateFormat,
            "surname" => Report::Surname,
            other => {
                return Err(format!(
                    "`report` is `errors`, `date-format` or `surname`, not `{other}`"
                ))
            }
        };
        let optional = match table.get("optional") {
            Some(toml::Value::Boolean(b)) => *b,
            Some(_) => return Err("`optional` must be true or false".into()),
            None => false,
        };
        Ok(AddressCheck {
            gpprovider_required,
            date,
            report,
            optional,
        })
    }

    pub fn run(&self, rule: &RuleRun<'_>, sel: &Selection, out: &mut Vec<Finding>) {
        if sel.nodes.is_empty() {
            if !self.optional && self.report == Report::Errors {
                out.push(rule.missing(sel, None));
            }
            return;
        }
        for &node in &sel.nodes {
            let raw = rule.cx.doc.value(node).unwrap_or("");
            let lead = raw.len() - raw.trim_start().len();
            let value = raw.trim();
            let at = Place {
                rule,
                node,
                value: raw,
                lead,
            };
            match (self.report, address::parse(value)) {
                (Report::Errors, parsed) => self.errors(&at, value, parsed, out),
                (Report::DateFormat, Address::GpProvider(p)) => {
                    self.date_format(&at, value, &p, out)
                }
                (Report::Surname, Address::GpProvider(p)) => {
                    let surname = &value[p.surname.clone()];
                    if !surname.is_empty() && !address::surname_plain(surname) {
                        out.push(at.finding(
                            format!("the surname `{surname}` has characters other than letters, apostrophes, hyphens and spaces"),
                            Some(p.surname),
                            "unusual characters",
                        ));
                    }
                }
                _ => {}
            }
        }
    }

    fn errors(&self, at: &Place<'_>, value: &str, parsed: Address, out: &mut Vec<Finding>) {
        const FORM: &str = "GPPROVIDER_<NHS number>_<date of birth>_<surname>";
        let p = match parsed {
            _ if value.is_empty() => {
                out.push(at.finding("is empty".into(), None, "empty"));
                return;
            }
            Address::GpProvider(p) => p,
            Address::GpProviderIncomplete => {
                out.push(at.finding(
                    format!("lacks parts: expected `{FORM}`"),
                    None,
                    "incomplete",
                ));
                return;
            }
            Address::Other if self.gpprovider_required => {
                let problem = if address::is_mailbox_id(value) {
                    format!("is a mailbox ID; this release routes to the registered practice with `{FORM}`")
                } else {
                    format!("is not a `{FORM}` address")
                };
                out.push(at.finding(problem, None, "expected a GPPROVIDER address"));
                return;
            }
            Address::Other => {
                if !address::is_mailbox_id(value) {
                    out.push(at.finding(
                        format!("is neither a mailbox ID (1 to 100 upper-case letters and digits) nor a `{FORM}` address"),
                        None,
                        "not a MESH address",
                    ));
                }
                return;
            }
        };
        let GpProvider {
            prefix,
            nhs_number,
            birth_date,
            surname,
        } = p;
        if &value[prefix.clone()] != address::GPPROVIDER {
            out.push(at.finding(
                format!(
                    "starts `{}`; the prefix is upper-case `GPPROVIDER`",
                    &value[prefix.clone()]
                ),
                Some(prefix),
                "expected `GPPROVIDER`",
            ));
        }
        let nhs = &value[nhs_number.clone()];
        if nhs.len() != 10 || !nhs.bytes().all(|b| b.is_ascii_digit()) {
            out.push(at.finding(
                format!("has NHS number `{nhs}`, which is not 10 digits"),
                Some(nhs_number),
                "not 10 digits",
            ));
        } else if !crate::nhs::nhs_number_valid(nhs) {
            out.push(at.finding(
                format!("has NHS number `{nhs}`, which fails the Modulus 11 check"),
                Some(nhs_number),
                "check digit wrong",
            ));
        }
        let dob = &value[birth_date.clone()];
        let fmt = self.date.name();
        if dob.len() != 8 || !dob.bytes().all(|b| b.is_ascii_digit()) {
            out.push(at.finding(
                format!("has date of birth `{dob}`, which is not 8 digits ({fmt})"),
                Some(birth_date),
                format!("expected {fmt}"),
            ));
        } else if let Some(date) = self.date.read(dob) {
            if date > Date::today() {
                out.push(at.finding(
                    format!(
                        "has date of birth `{dob}` ({}), which is in the future",
                        date.iso()
                    ),
                    Some(birth_date),
                    "in the future",
                ));
            }
        } else if self.date.other().read(dob).is_none() {
            out.push(at.finding(
                format!("has date of birth `{dob}`, which is not a date in {fmt}"),
                Some(birth_date),
                format!("not a {fmt} date"),
            ));
        }
        if value[surname.clone()].is_empty() {
            out.push(at.finding("has an empty surname".into(), Some(surname), "no surname"));
        }
    }

    /// A date of birth that is no date in the release's format but is one in the other. (Both
    /// readings cannot be plausible birth dates at once, so there is nothing more to compare.)
    fn date_format(&self, at: &Place<'_>, value: &str, p: &GpProvider, out: &mut Vec<Finding>) {
        let dob = &value[p.birth_date.clone()];
        let (want, other) = (self.date, self.date.other());
        if let (None, Some(d)) = (want.read(dob), other.read(dob)) {
            out.push(at.finding(
                format!(
                    "has date of birth `{dob}`, which is not a date in {} ({}) but reads as {} in {} ({})",
                    want.name(),
                    want.source(),
                    d.iso(),
                    other.name(),
                    other.source()
                ),
                Some(p.birth_date.clone()),
                format!("{} order?", other.name()),
            ));
        }
    }
}

/// The address node a finding is about, and where its trimmed value starts.
struct Place<'a> {
    rule: &'a RuleRun<'a>,
    node: NodeId,
    value: &'a str,
    lead: usize,
}

impl Place<'_> {
    /// A finding whose `{problem}` is `problem`, at `part` of the trimmed value (or the whole
    /// value).
    fn finding(
        &self,
        problem: String,
        part: Option<Range<usize>>,
        label: impl Into<String>,
    ) -> Finding {
        let doc: &Document = self.rule.cx.doc;
        let mut f = self.rule.meta.finding(super::fill(
            self.rule.message,
            &[("found", self.value.trim()), ("problem", &problem)],
        ));
        f = f.at_node(doc, self.node);
        let span = part
            .and_then(|r| part_span(doc, self.node, r.start + self.lead..r.end + self.lead))
            .or_else(|| f.label.as_ref().map(|l| l.span))
            .unwrap_or_default();
        f.label = Some(Label {
            span,
            text: Some(label.into()),
        });
        f
    }
}
