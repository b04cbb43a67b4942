//! JUnit XML, for CI test reports (GitLab, Jenkins, Azure DevOps): a `<testsuite>` per file
//! and a `<testcase>` per finding; a clean file gets one passing test case, so every file
//! validated shows up as a test.
//!
//! A test case fails (`<failure>`) when its finding fails the run: errors always, warnings under
//! `--deny-warnings`. Other findings are passing test cases whose `<system-out>` says what was
//! found, so notices never turn a report red. The output streams, so the root `<testsuites>`
//! carries no totals (they are optional in every JUnit schema in use); each `<testsuite>` has its
//! own `tests` and `failures`.
//!
//! Everything from input or rules is escaped; characters XML 1.0 cannot carry at all (most C0
//! controls, U+FFFE, U+FFFF) are written as U+FFFD, so the report is always well-formed.

use super::{Emitter, Region, Summary};
use crate::finding::{Finding, Severity};
use crate::validate::FileReport;
use std::io::{self, Write};

pub struct Junit {
    deny_warnings: bool,
}

impl Junit {
    pub fn new(deny_warnings: bool) -> Self {
        Junit { deny_warnings }
    }

    fn fails(&self, f: &Finding) -> bool {
        match f.severity {
            Severity::Error => true,
            Severity::Warning => self.deny_warnings,
            Severity::Information => false,
        }
    }
}

/// Escapes text for an XML attribute value (`attribute = true`) or element content.
pub(crate) fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            // Attribute-value normalisation would turn these into spaces.
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

impl Emitter for Junit {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(out, "<testsuites name=\"gpcm-validate\">")
    }

    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        let path = escape(&report.path, true);
        let tests = report.findings.len().max(1);
        let failures = report.findings.iter().filter(|f| self.fails(f)).count();
        writeln!(
            out,
            "  <testsuite name=\"{path}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">"
        )?;
        if report.findings.is_empty() {
            writeln!(
                out,
                "    <testcase name=\"no findings\" classname=\"{path}\" file=\"{path}\"/>"
            )?;
        }
        for f in &report.findings {
            let r = Region::of(report, f);
            let title = match &f.requirement {
                Some(req) => format!("{} ({req})", f.rule),
                None => f.rule.clone(),
            };
            let mut body = format!(
                "{}:{}:{}: {}: {}",
                report.path,
                r.line,
                r.column,
                f.severity.as_str(),
                f.message
            );
            if let Some(help) = &f.help {
                body.push_str("\nhelp: ");
                body.push_str(help);
            }
            if let Some(location) = &f.location {
                body.push_str("\nat ");
                body.push_str(location);
            }
            writeln!(
                out,
                "    <testcase name=\"{} at {}:{}\" classname=\"{path}\" file=\"{path}\" line=\"{}\">",
                escape(&title, true),
                r.line,
                r.column,
                r.line
            )?;
            if self.fails(f) {
                writeln!(
                    out,
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                    escape(&f.rule, true),
                    escape(&f.message, true),
                    escape(&body, false)
                )?;
            } else {
                writeln!(
                    out,
                    "      <system-out>{}</system-out>",
                    escape(&body, false)
                )?;
            }
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")
    }

    fn end(&mut self, out: &mut dyn Write, _summary: &Summary) -> io::Result<()> {
        writeln!(out, "</testsuites>")
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_unrepresentable_characters() {
        assert_eq!(
            escape("a<b>&\"c'\n\t\u{1}", true),
            "a&lt;b&gt;&amp;&quot;c&apos;&#10;&#9;\u{fffd}"
        );
        assert_eq!(escape("a<b>\"\n\r", false), "a&lt;b&gt;\"\n&#13;");
    }
}
