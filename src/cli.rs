//! The command line: argument definitions (clap) and the `check`, `rules` and `explain` runs.
//! [`jobs`] runs a check's inputs in parallel; [`progress`] draws the progress bar.

mod catalogue;
mod jobs;
mod progress;

use crate::detect::Pins;
use crate::emit::{EmitConfig, Emitter, OutputFormat, Summary};
use crate::profile::Profile;
use crate::rules::{Registry, Selection};
use crate::validate::Options;
use clap::{Args, Parser, Subcommand};
use std::io::{self, IsTerminal, Write};
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
    /// Load rule packs from this directory (laid out like the repository's `profiles/`)
    /// instead of the packs built into the binary.
    #[arg(long, global = true, value_name = "DIR")]
    pub profiles: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the rules: name, requirement, severity and summary.
    Rules {
        /// Only rules that apply to this release, with its requirement IDs.
        #[arg(long, value_name = "X.Y.Z")]
        spec: Option<String>,
        /// Print requirement coverage of the release (`--spec`) instead.
        #[arg(long)]
        coverage: bool,
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Show a rule's documentation, by rule name or requirement ID.
    Explain {
        /// Rule name (`reference-unresolved`), requirement ID (`GPCM-SD-CS-051`), ITK3 response
        /// code (`20013`) or MESH status code (`EPL-151`).
        name: String,
        /// Release whose requirement IDs to use.
        #[arg(long, value_name = "X.Y.Z")]
        spec: Option<String>,
    },
    /// Check rule packs (the embedded ones, or `--profiles DIR`) against the pack schema.
    Profiles,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
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
    /// Validate against this GP Connect Messaging release instead of detecting it (e.g. 1.6.0).
    #[arg(long, value_name = "X.Y.Z", value_parser = parse_version)]
    pub spec: Option<String>,
    /// Validate as this use case (task, cs, oc, ge, su, pr, sd) instead of detecting it.
    #[arg(long, value_name = "ID")]
    pub use_case: Option<String>,
    /// Report only these rules: names or requirement-ID prefixes (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULE|ID")]
    pub select: Vec<String>,
    /// Do not report these rules: names or requirement-ID prefixes (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULE|ID")]
    pub ignore: Vec<String>,
    /// Exit 1 when there are warnings, not only errors.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print nothing on the terminal (no report, summary or progress): only the exit status
    /// tells the outcome. Why the tool could not run (exit 2) is still printed on stderr, and
    /// `--output` is still written.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Validate on N threads [default: the number of CPUs available].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// Validate FILE as the MESH client control file of the one message given, and check the
    /// two against each other.
    #[arg(long, value_name = "FILE")]
    pub ctl: Option<PathBuf>,
    /// Validate FILE as the MESH API headers sent with the one message given, and check the two
    /// against each other.
    #[arg(long, value_name = "FILE")]
    pub headers: Option<PathBuf>,
    /// Validate FILE as an ITK3 response to the one request given, and check the two against
    /// each other (repeat for the infrastructure and the business response).
    #[arg(long, value_name = "FILE")]
    pub response: Vec<PathBuf>,
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
    let loaded = match (&cli.profiles, &cli.command) {
        (Some(dir), _) => Profile::from_dir(dir).and_then(Registry::with_profile),
        (None, None) => check_registry(),
        (None, Some(_)) => Registry::builtin(),
    };
    let registry = match loaded {
        Ok(r) => r,
        Err(e) => {
            eprintln!("gpcm-validate: invalid rule pack: {e}");
            return Exit::Failure;
        }
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = match cli.command {
        Some(Command::Rules {
            spec,
            coverage,
            format,
        }) => catalogue::rules(
            &registry,
            spec.as_deref(),
            coverage,
            format == ListFormat::Json,
            &mut out,
        ),
        Some(Command::Explain { name, spec }) => {
            catalogue::explain(&registry, &name, spec.as_deref(), &mut out)
        }
        Some(Command::Profiles) => catalogue::check_profiles(cli.profiles.as_deref(), &mut out),
        None => check(&registry, &cli.check, &mut out),
    };
    let flushed = out.flush();
    // The process is about to exit and the OS reclaims everything at once; freeing the
    // registry's thousands of small allocations one by one cost ~8 % of a cold run.
    std::mem::forget(registry);
    match (result, flushed) {
        (Ok(exit), Ok(())) => exit,
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        (Ok(exit), Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => exit,
        (Err(e), _) if e.kind() == io::ErrorKind::BrokenPipe => Exit::Clean,
        (Err(e), _) | (Ok(_), Err(e)) => {
            eprintln!("gpcm-validate: cannot write output: {e}");
            Exit::Failure
        }
    }
}

/// The registry a check runs with: the embedded rule packs without the requirement indexes
/// (`requirements/*.toml`, most of the embedded TOML) and the response-code table, which only
/// `rules`, `explain` and `profiles` read. Parsing them was most of a cold start.
pub fn check_registry() -> Result<Registry, crate::profile::ProfileError> {
    Profile::embedded_where(|path| {
        !path.starts_with("requirements/") && path != "response-codes.toml"
    })
    .and_then(Registry::with_profile)
}

/// One input to read: a file path or standard input.
pub enum Input {
    File(PathBuf),
    Stdin,
}

fn check(registry: &Registry, args: &CheckArgs, out: &mut dyn Write) -> io::Result<Exit> {
    if let Some(v) = &args.spec {
        if registry.profile.spec.release(v).is_none() {
            eprintln!(
                "gpcm-validate: unknown release {v}; known: {}",
                registry.profile.spec.all_versions().join(", ")
            );
            return Ok(Exit::Failure);
        }
    }
    if let Some(uc) = &args.use_case {
        let spec = &registry.profile.spec;
        let known = spec.use_case(uc).is_some();
        let in_release = args
            .spec
            .as_deref()
            .and_then(|v| spec.release(v))
            .is_none_or(|r| r.use_cases.contains(uc));
        if !known || !in_release {
            let scope = args
                .spec
                .as_deref()
                .map(|v| format!(" in {v}"))
                .unwrap_or_default();
            eprintln!("gpcm-validate: use case `{uc}` is not defined{scope}");
            return Ok(Exit::Failure);
        }
    }
    let mut failed = false;
    let jobs = match plan_jobs(args, &mut failed) {
        Ok(jobs) => jobs,
        Err(message) => {
            eprintln!("gpcm-validate: {message}");
            return Ok(Exit::Failure);
        }
    };
    let options = Options {
        pins: Pins {
            spec: args.spec.clone(),
            use_case: args.use_case.clone(),
        },
        selection: Selection {
            select: args.select.clone(),
            ignore: args.ignore.clone(),
        },
    };
    // Where the report goes: `--output FILE`, nowhere under `--quiet`, else stdout.
    let mut file_out;
    let mut sink;
    let to_stdout = args.output.is_none() && !args.quiet;
    let out: &mut dyn Write = match &args.output {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => {
                file_out = io::BufWriter::new(f);
                &mut file_out
            }
            Err(e) => {
                eprintln!("gpcm-validate: cannot write {}: {e}", path.display());
                return Ok(Exit::Failure);
            }
        },
        None if args.quiet => {
            sink = io::sink();
            &mut sink
        }
        None => out,
    };
    let stdout_terminal = to_stdout && io::stdout().is_terminal();
    let config = EmitConfig {
        registry: Some(registry),
        color: args.format == OutputFormat::Human
            && stdout_terminal
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        deny_warnings: args.deny_warnings,
        // The human summary line goes to stderr, so stdout holds only the findings.
        human_summary: false,
    };
    // `--quiet` without `--output`: nothing is shown, so nothing is rendered.
    let mut emitter: Box<dyn Emitter> = if args.quiet && args.output.is_none() {
        Box::new(Silent)
    } else {
        args.format.emitter_with(&config)
    };
    let mut summary = Summary::default();
    let threads = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |n| n as usize,
    );
    let files: usize = jobs.iter().map(|j| j.inputs.len()).sum();
    let mut progress = progress::Progress::new(files, args.quiet);
    emitter.begin(out)?;
    jobs::run_all(registry, &options, &jobs, threads, |outcomes| {
        let files = outcomes.len();
        // On a shared terminal the bar is erased while the report is written, then redrawn.
        let interleave = progress.is_visible() && stdout_terminal;
        for outcome in outcomes {
            match outcome {
                jobs::Outcome::Report(report) => {
                    if interleave {
                        progress.clear();
                    }
                    summary.add(&report);
                    emitter.file(out, &report)?;
                }
                jobs::Outcome::Unreadable { display, error } => {
                    progress.clear();
                    eprintln!("gpcm-validate: cannot read {display}: {error}");
                    failed = true;
                }
            }
        }
        if interleave {
            out.flush()?;
        }
        progress.tick(files);
        Ok(())
    })?;
    progress.clear();
    emitter.end(out, &summary)?;
    out.flush()?;
    if args.format == OutputFormat::Human && !args.quiet {
        eprintln!("{}", summary.line());
    }
    let exit = if failed {
        Exit::Failure
    } else if summary.errors > 0 || (args.deny_warnings && summary.warnings > 0) {
        Exit::Findings
    } else {
        Exit::Clean
    };
    Ok(exit)
}

/// The emitter of a `--quiet` run: the exit status is the whole answer.
struct Silent;

impl Emitter for Silent {
    fn file(
        &mut self,
        _out: &mut dyn Write,
        _report: &crate::validate::FileReport,
    ) -> io::Result<()> {
        Ok(())
    }

    fn end(&mut self, _out: &mut dyn Write, _summary: &Summary) -> io::Result<()> {
        Ok(())
    }
}

/// The run's jobs: the one message with `--ctl` / `--headers` / `--response`, or every input
/// grouped by [`pair::plan`] (a MESH control file with its data file, a response with its
/// request).
fn plan_jobs(args: &CheckArgs, failed: &mut bool) -> Result<Vec<jobs::Job>, String> {
    use crate::mesh::pair::{self, GroupOptions, Role};
    let inputs = collect_inputs(&args.paths, failed);
    let explicit: Vec<(&PathBuf, Role)> = args
        .ctl
        .iter()
        .chain(&args.headers)
        .map(|p| (p, Role::Metadata))
        .chain(args.response.iter().map(|p| (p, Role::Response)))
        .collect();
    if !explicit.is_empty() {
        let message = match inputs.as_slice() {
            [(Input::File(path), Some(pair::Scope::CommandLine))] => path.clone(),
            _ => {
                return Err(
                    "--ctl, --headers and --response pair with one message: give exactly one message file"
                        .into(),
                )
            }
        };
        let mut job_inputs = vec![Input::File(message)];
        let mut roles = vec![Role::Message];
        for (path, role) in explicit {
            if !path.is_file() {
                return Err(format!("{}: no such file", path.display()));
            }
            job_inputs.push(Input::File(path.clone()));
            roles.push(role);
        }
        return Ok(vec![jobs::Job {
            inputs: job_inputs,
            roles,
            group: Some(GroupOptions::default()),
        }]);
    }
    let planned = pair::plan(
        &inputs
            .iter()
            .map(|(input, scope)| match (input, scope) {
                (Input::File(p), Some(s)) => Some((p.clone(), s.clone())),
                _ => None,
            })
            .collect::<Vec<_>>(),
    );
    let mut slots: Vec<Option<Input>> = inputs.into_iter().map(|(i, _)| Some(i)).collect();
    Ok(planned
        .into_iter()
        .map(|p| jobs::Job {
            inputs: p.members.iter().filter_map(|&i| slots[i].take()).collect(),
            roles: Vec::new(),
            group: p.group,
        })
        .collect())
}

/// The inputs named by `paths`, each with where it was named (for pairing).
fn collect_inputs(
    paths: &[PathBuf],
    failed: &mut bool,
) -> Vec<(Input, Option<crate::mesh::pair::Scope>)> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push((Input::Stdin, None));
        } else if path.is_dir() {
            walk(path, &mut inputs, failed);
        } else if path.exists() {
            inputs.push((
                Input::File(path.clone()),
                Some(crate::mesh::pair::Scope::CommandLine),
            ));
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

fn walk(
    dir: &Path,
    inputs: &mut Vec<(Input, Option<crate::mesh::pair::Scope>)>,
    failed: &mut bool,
) {
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
                    // Files pair with the others of their own directory.
                    let scope = crate::mesh::pair::Scope::Directory(
                        e.path().parent().map(Path::to_path_buf).unwrap_or_default(),
                    );
                    inputs.push((Input::File(e.into_path()), Some(scope)));
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
