//! The rule catalogue commands: `rules` (listing and requirement coverage), `explain` and
//! `profiles`.

use super::Exit;
use crate::profile::{Profile, RequirementEntry};
use crate::rules::{Registry, RuleInfo};
use serde_json::json;
use std::io::{self, Write};
use std::path::Path;

fn fail(message: String) -> io::Result<Exit> {
    eprintln!("gpcm-validate: {message}");
    Ok(Exit::Failure)
}

fn known_release(registry: &Registry, spec: Option<&str>) -> Result<(), String> {
    match spec {
        Some(v) if registry.profile.spec.release(v).is_none() => Err(format!(
            "unknown release {v}; known: {}",
            registry.profile.spec.all_versions().join(", ")
        )),
        _ => Ok(()),
    }
}

/// Requirement IDs a rule has in `version`, as `ID` or `ID (use case)`.
fn ids_in(rule: &RuleInfo<'_>, version: &str) -> Vec<String> {
    let mut ids: Vec<String> = rule
        .requirements
        .iter()
        .filter(|r| r.version == version)
        .map(|r| match &r.use_case {
            Some(uc) => format!("{} ({uc})", r.id),
            None => r.id.clone(),
        })
        .collect();
    ids.dedup();
    ids
}

pub fn rules(
    registry: &Registry,
    spec: Option<&str>,
    coverage: bool,
    json: bool,
    out: &mut dyn Write,
) -> io::Result<Exit> {
    if let Err(m) = known_release(registry, spec) {
        return fail(m);
    }
    if coverage {
        return match spec {
            Some(v) => print_coverage(registry, v, json, out),
            None => {
                for v in registry.profile.spec.all_versions() {
                    let c = Coverage::of(registry, &v);
                    writeln!(
                        out,
                        "{v:<6} {:>4} of {:>4} checkable requirements implemented",
                        c.implemented(),
                        c.checkable()
                    )?;
                }
                Ok(Exit::Clean)
            }
        };
    }
    let listed: Vec<RuleInfo<'_>> = registry
        .all()
        .into_iter()
        .filter(|r| match (spec, r.pack) {
            (Some(v), Some(rule)) => registry
                .profile
                .spec
                .position(v)
                .is_some_and(|i| rule.applies_to_release(i)),
            _ => true,
        })
        .collect();
    if json {
        let rules: Vec<_> = listed
            .iter()
            .map(|r| {
                json!({
                    "name": r.meta.name,
                    "severity": r.meta.severity.as_str(),
                    "summary": r.meta.summary,
                    "source": r.source,
                    "requirements": r.requirements.iter()
                        .filter(|q| spec.is_none_or(|v| v == q.version))
                        .map(|q| json!({"version": q.version, "use_case": q.use_case, "id": q.id}))
                        .collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &json!({"spec": spec, "rules": rules}))?;
        writeln!(out)?;
    } else {
        for r in &listed {
            let ids = spec.map(|v| ids_in(r, v).join(", ")).unwrap_or_default();
            if spec.is_some() {
                writeln!(
                    out,
                    "{:<34} {:<11} {:<28} {}",
                    r.meta.name,
                    r.meta.severity.as_str(),
                    ids,
                    r.meta.summary
                )?;
            } else {
                writeln!(
                    out,
                    "{:<34} {:<11} {}",
                    r.meta.name,
                    r.meta.severity.as_str(),
                    r.meta.summary
                )?;
            }
        }
    }
    Ok(Exit::Clean)
}

/// Which requirements of a release the rules implement.
struct Coverage<'a> {
    rows: Vec<(&'a RequirementEntry, Vec<String>)>,
}

impl<'a> Coverage<'a> {
    fn of(registry: &'a Registry, version: &str) -> Coverage<'a> {
        let entries = registry
            .profile
            .requirements
            .get(version)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let all = registry.all();
        let rows = entries
            .iter()
            .map(|e| {
                let mut rules: Vec<String> = all
                    .iter()
                    .filter(|r| {
                        r.requirements.iter().any(|q| {
                            q.version == version
                                && q.id == e.id
                                && (q.use_case.is_none()
                                    || q.use_case.as_deref() == Some(e.use_case.as_str())
                                    || e.use_case == "core")
                        })
                    })
                    .map(|r| r.meta.name.to_string())
                    .collect();
                rules.sort();
                (e, rules)
            })
            .collect();
        Coverage { rows }
    }

    fn checkable(&self) -> usize {
        self.rows.iter().filter(|(e, _)| e.checkable()).count()
    }

    /// (class, implemented, total) for each class of requirement, in a fixed order.
    fn by_class(&self) -> Vec<(&'static str, usize, usize)> {
        CLASSES
            .iter()
            .map(|(class, _)| {
                let rows = self.rows.iter().filter(|(e, _)| e.class == *class);
                let total = rows.clone().count();
                let done = rows.filter(|(_, r)| !r.is_empty()).count();
                (*class, done, total)
            })
            .filter(|&(_, _, total)| total > 0)
            .collect()
    }

    fn implemented(&self) -> usize {
        self.rows
            .iter()
            .filter(|(e, r)| e.checkable() && !r.is_empty())
            .count()
    }
}

/// Requirement classes of the indexes, and what each needs to be checked.
const CLASSES: &[(&str, &str)] = &[
    ("bundle", "the message bundle alone"),
    ("bundle-paired", "a request and its response"),
    ("mesh", "the MESH metadata alone"),
    ("both", "the message and its MESH metadata"),
    ("offline", "not checkable offline"),
];

fn percent(done: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        100.0 * done as f64 / total as f64
    }
}

fn print_coverage(
    registry: &Registry,
    version: &str,
    json: bool,
    out: &mut dyn Write,
) -> io::Result<Exit> {
    let c = Coverage::of(registry, version);
    if json {
        let rows: Vec<_> = c
            .rows
            .iter()
            .map(|(e, rules)| {
                json!({"id": e.id, "use_case": e.use_case, "class": e.class, "level": e.level, "summary": e.summary, "rules": rules})
            })
            .collect();
        let classes: serde_json::Map<_, _> = c
            .by_class()
            .into_iter()
            .map(|(class, done, total)| {
                (
                    class.to_string(),
                    json!({"implemented": done, "total": total}),
                )
            })
            .collect();
        let doc = json!({"spec": version, "checkable": c.checkable(), "implemented": c.implemented(), "by_class": classes, "requirements": rows});
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
        return Ok(Exit::Clean);
    }
    let (n, m) = (c.checkable(), c.implemented());
    writeln!(
        out,
        "{version}: {m} of {n} checkable requirements implemented ({:.1} %)",
        percent(m, n)
    )?;
    for (class, done, total) in c.by_class() {
        let what = CLASSES
            .iter()
            .find(|(k, _)| *k == class)
            .map_or("", |(_, w)| w);
        if class == "offline" {
            writeln!(out, "  {class:<14} {total:>4} requirements {what}")?;
        } else {
            writeln!(
                out,
                "  {class:<14} {done:>4} of {total:>4} ({:>5.1} %)  {what}",
                percent(done, total)
            )?;
        }
    }
    let missing: Vec<_> = c
        .rows
        .iter()
        .filter(|(e, r)| e.checkable() && r.is_empty())
        .collect();
    if !missing.is_empty() {
        writeln!(out, "\nnot implemented:")?;
        for (e, _) in missing {
            writeln!(
                out,
                "  {:<20} {:<4} {:<14} {}",
                e.id, e.use_case, e.class, e.summary
            )?;
        }
    }
    Ok(Exit::Clean)
}

pub fn explain(
    registry: &Registry,
    name: &str,
    spec: Option<&str>,
    out: &mut dyn Write,
) -> io::Result<Exit> {
    if let Err(m) = known_release(registry, spec) {
        return fail(m);
    }
    if let Some(code) = crate::mesh::status::lookup(name) {
        explain_mesh_status(code, out)?;
        return Ok(Exit::Clean);
    }
    if let Some(code) = registry
        .profile
        .response_codes
        .iter()
        .find(|c| c.code == name)
    {
        explain_response_code(code, out)?;
        return Ok(Exit::Clean);
    }
    if is_retired_response_code(name) {
        writeln!(
            out,
            "{name}: a code of the retired ITK-Acknowledgement-1 system (41xxx business and 51xxx/RCxxx \
             infrastructure acknowledgements, before ITK3 2.3.0). ITK3 responses must use \
             ITK-ResponseCodes-1 (10001-30025) in an ITK-Response-OperationOutcome-1."
        )?;
        return Ok(Exit::Clean);
    }
    let rules = match registry.get(name) {
        Some(r) => vec![r],
        None => registry.by_requirement(name, spec),
    };
    if rules.is_empty() {
        return fail(format!("no rule named `{name}` and no rule implements a requirement `{name}`; `gpcm-validate rules` lists them"));
    }
    for (i, r) in rules.iter().enumerate() {
        if i > 0 {
            writeln!(out, "\n---\n")?;
        }
        writeln!(out, "{} ({})", r.meta.name, r.meta.severity.as_str())?;
        writeln!(out, "defined in: {}", r.source)?;
        if let Some(t) = &r.target() {
            writeln!(out, "target: {t}")?;
        }
        let reqs: Vec<_> = r
            .requirements
            .iter()
            .filter(|q| spec.is_none_or(|v| v == q.version))
            .collect();
        if !reqs.is_empty() {
            writeln!(out, "requirements:")?;
            for q in reqs {
                let uc = q
                    .use_case
                    .as_deref()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default();
                writeln!(out, "  {:<7} {}{uc}", q.version, q.id)?;
            }
        }
        writeln!(out, "\n{}", r.meta.docs.trim_end())?;
    }
    Ok(Exit::Clean)
}

/// `profiles`: validates every pack file against the schema and compiles it.
pub fn check_profiles(dir: Option<&Path>, out: &mut dyn Write) -> io::Result<Exit> {
    let loaded = match dir {
        Some(d) => Profile::from_dir(d),
        None => Profile::from_files(
            Profile::embedded_files()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
            true,
        ),
    };
    match loaded {
        Ok(p) => {
            writeln!(
                out,
                "ok: {} rules; requirement indexes for {} releases",
                p.rules.len(),
                p.requirements.len()
            )?;
            Ok(Exit::Clean)
        }
        Err(e) => {
            writeln!(out, "{e}")?;
            Ok(Exit::Findings)
        }
    }
}

/// 41xxx, 51xxx and RCxxx: the pre-ITK3-2.3.0 acknowledgement codes.
fn is_retired_response_code(name: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    (name.len() == 5 && (name.starts_with("41") || name.starts_with("51")) && digits(name, 5))
        || name.strip_prefix("RC").is_some_and(|rest| digits(rest, 3))
}

fn explain_response_code(c: &crate::profile::ResponseCode, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{} {} (ITK-ResponseCodes-1)", c.code, c.display)?;
    let kind = match c.outcome.as_str() {
        "positive" => "positive",
        "negative" => "negative: final, no further response follows",
        _ => "a status, neither success nor failure",
    };
    writeln!(out, "{} response, {kind}", c.level)?;
    if let (Some(rc), Some(sev)) = (&c.response_code, &c.severity) {
        writeln!(
            out,
            "carried as: MessageHeader.response.code `{rc}`; OperationOutcome issue.severity `{sev}`, issue.code {}",
            c.issue_codes.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(" or ")
        )?;
    }
    writeln!(out, "\nwhat the sender should do: {}", c.action)
}

fn explain_mesh_status(c: &crate::mesh::status::StatusCode, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{} {} (MESH status code)", c.code, c.name)?;
    let outcome = if c.outcome == "success" {
        "success: the message was delivered"
    } else {
        "error: the message was not delivered"
    };
    match c.event.as_str() {
        "" => writeln!(out, "{outcome}")?,
        event => writeln!(out, "{outcome}; reported by the MESH {event} event")?,
    }
    writeln!(out, "\n{}", c.meaning)?;
    writeln!(out, "\nwhat the sender should do: {}", c.action)
}
