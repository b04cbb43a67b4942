//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` line per finding, which
//! the Actions runner turns into an annotation on the file and line of a pull request.
//!
//! `::error file=F,line=L,col=C,endLine=EL,endColumn=EC,title=RULE (REQUIREMENT)::MESSAGE`.
//! Escaping follows the runner (`@actions/core` `command.ts`): in the message `%`, `\r` and `\n`
//! become `%25`, `%0D` and `%0A`; in property values `:` and `,` also become `%3A` and `%2C`.
//! The message carries the finding's help and FHIRPath location on further lines. Information
//! findings become `::notice`. Nothing is printed for clean files or as a summary: the exit
//! status says whether the step failed.

use super::{Emitter, Region, Summary};
use crate::finding::Severity;
use crate::validate::FileReport;
use std::io::{self, Write};

pub struct Github;

/// Escapes a command's message (data).
pub(crate) fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a command property's value: as data, and `:` and `,` too, which end a property.
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

impl Emitter for Github {
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        let file = escape_property(&report.path);
        for f in &report.findings {
            let command = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Information => "notice",
            };
            let r = Region::of(report, f);
            let title = match &f.requirement {
                Some(req) => format!("{} ({req})", f.rule),
                None => f.rule.clone(),
            };
            let mut message = f.message.clone();
            if let Some(help) = &f.help {
                message.push('\n');
                message.push_str(help);
            }
            if let Some(location) = &f.location {
                message.push_str("\nat ");
                message.push_str(location);
            }
            writeln!(
                out,
                "::{command} file={file},line={},col={},endLine={},endColumn={},title={}::{}",
                r.line,
                r.column,
                r.end_line,
                r.end_column,
                escape_property(&title),
                escape_data(&message)
            )?;
        }
        Ok(())
    }

    fn end(&mut self, _out: &mut dyn Write, _summary: &Summary) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_actions_runner_expects() {
        assert_eq!(escape_data("50% a:b,c\r\nd"), "50%25 a:b,c%0D%0Ad");
        assert_eq!(escape_property("50% a:b,c\r\nd"), "50%25 a%3Ab%2Cc%0D%0Ad");
    }
}
