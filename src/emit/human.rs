//! Human output: each finding rendered by miette with its source snippet, then a summary line.

use super::{Emitter, Summary};
use crate::document::SourceFile;
use crate::finding::{Finding, Severity};
use crate::validate::FileReport;
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, NamedSource, SourceCode, SourceSpan, SpanContents,
};
use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

/// Lines longer than this (base64 attachments, minified JSON) are not shown as snippets: a
/// snippet of a 2 MB line helps nobody.
const MAX_SNIPPET_LINE: usize = 400;

pub struct Human {
    handler: GraphicalReportHandler,
    summary: bool,
}

impl Human {
    pub fn new(color: bool) -> Self {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        Human {
            handler: GraphicalReportHandler::new_themed(theme)
                .with_width(100)
                .with_context_lines(1)
                .with_links(false)
                .with_break_words(false)
                .with_word_splitter(textwrap::WordSplitter::NoHyphenation),
            summary: true,
        }
    }

    /// Whether [`Emitter::end`] writes the summary line (the command line prints it on stderr).
    pub fn with_summary(mut self, summary: bool) -> Self {
        self.summary = summary;
        self
    }
}

impl Emitter for Human {
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        // Noted by the line index, which reads the whole text once.
        let carriage_return =
            !report.findings.is_empty() && report.source.line_index().has_carriage_return();
        for f in &report.findings {
            let diag = Diag::new(f, report, carriage_return);
            let mut s = String::new();
            self.handler
                .render_report(&mut s, &diag)
                .map_err(|e| io::Error::other(e.to_string()))?;
            writeln!(out, "{}", s.trim_end())?;
            writeln!(out)?;
        }
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, s: &Summary) -> io::Result<()> {
        if self.summary {
            writeln!(out, "{}", s.line())?;
        }
        Ok(())
    }
}

/// A finding as miette sees it.
struct Diag<'a> {
    finding: &'a Finding,
    code: String,
    message: String,
    help: Option<String>,
    source: Option<NamedSource<SourceText>>,
}

impl<'a> Diag<'a> {
    fn new(finding: &'a Finding, report: &FileReport, carriage_return: bool) -> Self {
        let source = &report.source;
        let code = match &finding.requirement {
            Some(req) => format!("{} ({req})", finding.rule),
            None => finding.rule.clone(),
        };
        let position = finding
            .label
            .as_ref()
            .map(|l| source.line_col(l.span.start));
        let snippet_ok = !source.text.is_empty()
            && finding.label.is_some()
            && std::iter::once(finding.label.as_ref())
                .flatten()
                .chain(&finding.related)
                .all(|l| short_line(source, l.span.start));
        // Without a snippet miette shows no file name, so the message carries it.
        let message = match (snippet_ok, position) {
            (true, _) => finding.message.clone(),
            (false, Some((line, col))) => {
                format!("{}:{line}:{col}: {}", source.path, finding.message)
            }
            (false, None) => format!("{}: {}", source.path, finding.message),
        };
        let mut help_lines: Vec<String> = Vec::new();
        if let Some(h) = &finding.help {
            help_lines.push(h.clone());
        }
        if let Some(loc) = &finding.location {
            help_lines.push(format!("at {loc}"));
        }
        for r in &finding.related_files {
            let at = r
                .location
                .as_deref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default();
            help_lines.push(format!(
                "{}: {}:{}:{}{at}",
                r.text, r.path, r.line, r.column
            ));
        }
        Diag {
            finding,
            code,
            message,
            help: (!help_lines.is_empty()).then(|| help_lines.join("\n")),
            source: snippet_ok.then(|| {
                NamedSource::new(
                    source.path.clone(),
                    SourceText {
                        file: source.clone(),
                        carriage_return,
                    },
                )
            }),
        }
    }
}

fn short_line(source: &SourceFile, offset: u32) -> bool {
    let (line, _) = source.line_col(offset);
    let idx = source.line_index();
    let lines = line.saturating_sub(1).max(1)..=(line + 1).min(idx.line_count() as u32);
    lines
        .into_iter()
        .all(|l| idx.line_range(&source.text, l).len() <= MAX_SNIPPET_LINE)
}

impl fmt::Display for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diag<'_> {}

impl Diagnostic for Diag<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Information => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let primary = self
            .finding
            .label
            .iter()
            .map(|l| LabeledSpan::new_primary_with_span(l.text.clone(), span(l.span)));
        let related = self
            .finding
            .related
            .iter()
            .map(|l| LabeledSpan::new_with_span(l.text.clone(), span(l.span)));
        Some(Box::new(primary.chain(related)))
    }
}

fn span(s: crate::document::Span) -> SourceSpan {
    SourceSpan::new((s.start as usize).into(), s.len())
}

/// The file's text shared with miette without copying it.
struct SourceText {
    file: Arc<SourceFile>,
    /// Whether the text has a carriage return: miette counts a lone `\r` as a line break and
    /// [`crate::document::line_index::LineIndex`] does not, so such files take miette's own
    /// (whole-file) path.
    carriage_return: bool,
}

impl SourceCode for SourceText {
    /// miette's own `read_span` walks the text from its first byte to the span, byte by byte, for
    /// every finding: on a 2.6 MB message that was most of the run. Here it gets only the text
    /// from the first context line on, and the result is shifted back, which gives the same
    /// contents because miette counts lines from wherever its input starts.
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text = self.file.text.as_str();
        if self.carriage_return || span.offset() > text.len() {
            return text.read_span(span, before, after);
        }
        let (line, _) = self.file.line_col(span.offset() as u32);
        let first = (line as usize).saturating_sub(before).max(1);
        let window = self.file.line_index().line_range(text, first as u32).start;
        let lines_before = first - 1;
        let local = SourceSpan::new((span.offset() - window).into(), span.len());
        let inner = text[window..].read_span(&local, before, after)?;
        let shifted = SourceSpan::new((inner.span().offset() + window).into(), inner.span().len());
        Ok(Box::new(MietteSpanContents::new(
            inner.data(),
            shifted,
            inner.line() + lines_before,
            inner.column(),
            inner.line_count() + lines_before,
        )))
    }
}
