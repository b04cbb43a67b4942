//! The command line: argument definitions (clap) and the `check`, `rules` and `explain` runs.

use crate::emit::{OutputFormat, Summary};
use crate::rules::Registry;
use crate::validate::{self, Options};
use clap::{Args, Parser, Subcommand};
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

/// Validate GP Connect Messaging ITK3 FHIR messages and their MESH metadata.
#[derive(Parser, Debug)]
#[command(
    name = "gpcm-validate",
    version,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the rules: name, severity and summary.
    Rules,
    /// Show one rule's documentation.
    Explain {
        /// Rule name, such as `reference-unresolved`.
        name: String,
    },
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or directories to validate; `-` reads standard input. Directories are walked in
    /// sorted order, taking files ending in .xml, .json, .dat, .ctl or .headers.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Validate against this GP Connect Messaging version instead of detecting it (e.g. 1.6.0).
    #[arg(long, value_name = "X.Y.Z", value_parser = parse_version)]
    pub spec: Option<String>,
    /// Exit 1 when there are warnings, not only errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

fn parse_version(s: &str) -> Result<String, String> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        Ok(s.to_string())
    } else {
        Err(format!("`{s}` is not a version of the form X.Y.Z"))
    }
}

/// Exit statuses. 1 means the inputs have problems; 2 means the tool could not do its job, so CI
/// can tell "your message is wrong" from "the check did not run".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Clean = 0,
    Findings = 1,
    Failure = 2,
}

/// Extensions taken when walking a directory. Files named on the command line are always read,
/// whatever their name, because the kind is detected from content.
const WALKED_EXTENSIONS: &[&str] = &["xml", "json", "dat", "ctl", "headers"];

pub fn run(cli: Cli) -> Exit {
    let registry = match Registry::builtin() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("gpcm-validate: internal error: {e}");
            return Exit::Failure;
        }
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = match cli.command {
        Some(Command::Rules) => list_rules(&registry, &mut out).map(|()| Exit::Clean),
        Some(Command::Explain { name }) => explain(&registry, &name, &mut out),
        None => check(&registry, &cli.check, &mut out),
    };
    let flushed = out.flush();
    match result.and(flushed.map(|()| Exit::Clean)) {
        Ok(_) => {}
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("gpcm-validate: cannot write output: {e}");
            return Exit::Failure;
        }
    }
    RESULT.with(|r| r.get())
}

thread_local! {
    static RESULT: std::cell::Cell<Exit> = const { std::cell::Cell::new(Exit::Clean) };
}

fn set_exit(e: Exit) {
    RESULT.with(|r| r.set(e));
}

fn list_rules(registry: &Registry, out: &mut dyn Write) -> io::Result<()> {
    for meta in registry.metas() {
        writeln!(
            out,
            "{:<28} {:<11} {}",
            meta.name,
            meta.severity.as_str(),
            meta.summary
        )?;
    }
    Ok(())
}

fn explain(registry: &Registry, name: &str, out: &mut dyn Write) -> io::Result<Exit> {
    match registry.get(name) {
        Some(meta) => {
            writeln!(out, "{} ({})\n", meta.name, meta.severity.as_str())?;
            writeln!(out, "{}", meta.docs.trim_end())?;
            set_exit(Exit::Clean);
            Ok(Exit::Clean)
        }
        None => {
            eprintln!("gpcm-validate: no rule named `{name}`; `gpcm-validate rules` lists them");
            set_exit(Exit::Failure);
            Ok(Exit::Failure)
        }
    }
}

/// One input to read: a file path or standard input.
enum Input {
    File(PathBuf),
    Stdin,
}

fn check(registry: &Registry, args: &CheckArgs, out: &mut dyn Write) -> io::Result<Exit> {
    let mut failed = false;
    let inputs = collect_inputs(&args.paths, &mut failed);
    let options = Options {
        spec: args.spec.clone(),
    };
    let color = args.format == OutputFormat::Human
        && io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut emitter = args.format.emitter(color);
    let mut summary = Summary::default();
    emitter.begin(out)?;
    for input in inputs {
        let (display, bytes) = match read_input(&input) {
            Ok(x) => x,
            Err((display, e)) => {
                eprintln!("gpcm-validate: cannot read {display}: {e}");
                failed = true;
                continue;
            }
        };
        let report = validate::validate_bytes(registry, &options, display, bytes);
        summary.add(&report);
        emitter.file(out, &report)?;
    }
    emitter.end(out, &summary)?;
    let exit = if failed {
        Exit::Failure
    } else if summary.errors > 0 || (args.deny_warnings && summary.warnings > 0) {
        Exit::Findings
    } else {
        Exit::Clean
    };
    set_exit(exit);
    Ok(exit)
}

fn collect_inputs(paths: &[PathBuf], failed: &mut bool) -> Vec<Input> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
        } else if path.is_dir() {
            walk(path, &mut inputs, failed);
        } else if path.exists() {
            inputs.push(Input::File(path.clone()));
        } else {
            eprintln!(
                "gpcm-validate: {}: no such file or directory",
                path.display()
            );
            *failed = true;
        }
    }
    inputs
}

fn walk(dir: &Path, inputs: &mut Vec<Input>, failed: &mut bool) {
    let hidden =
        |e: &walkdir::DirEntry| e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
    for entry in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !hidden(e))
    {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let ext = e.path().extension().and_then(|x| x.to_str()).unwrap_or("");
                if WALKED_EXTENSIONS
                    .iter()
                    .any(|w| w.eq_ignore_ascii_case(ext))
                {
                    inputs.push(Input::File(e.into_path()));
                }
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("gpcm-validate: {e}");
                *failed = true;
            }
        }
    }
}

fn read_input(input: &Input) -> Result<(String, Vec<u8>), (String, io::Error)> {
    match input {
        Input::Stdin => {
            let mut bytes = Vec::new();
            io::stdin()
                .read_to_end(&mut bytes)
                .map(|_| ("<stdin>".to_string(), bytes))
                .map_err(|e| ("<stdin>".to_string(), e))
        }
        Input::File(path) => {
            let display = path.display().to_string();
            std::fs::read(path)
                .map(|b| (display.clone(), b))
                .map_err(|e| (display, e))
        }
    }
}
