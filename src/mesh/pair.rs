//! Which files of a run are validated together, and validating such a group.
//!
//! Files pair within a *scope*: the files named on one command line, or the files of one
//! directory found by walking. In a scope
//! - `<stem>.ctl` (MESH client) and `<stem>.headers` (MESH API) pair with the message
//!   `<stem>.dat`, else `<stem>.xml`, else `<stem>.json` (what each file is comes from its
//!   content, whatever its name);
//! - an ITK3 response pairs with the request whose `MessageHeader.id` its
//!   `MessageHeader.response.identifier` names.
//!
//! `--ctl`, `--headers` and `--response` pair files with the one message given instead.
//! [`plan`] decides the groups from names and a look at the first bytes of each file;
//! [`validate_group`] parses the group, confirms the pairs from content and validates each file
//! with its peers. Each file gets exactly one report, in group order.

use super::Peers;
use crate::document::{InputBytes, Span};
use crate::finding::static_rule;
use crate::input::{self, InputKind, ParsedInput};
use crate::rules::{Registry, SpecContext};
use crate::validate::{self, Detected, FileReport, Options};
use memchr::memmem;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

static_rule!(
    MESH_CONTROL_UNPAIRED,
    "mesh-control-unpaired",
    Error,
    "A MESH control file (`<stem>.ctl`) must travel with its data file (`<stem>.dat`).",
    "Put the message in `<stem>.dat` beside the control file (same base name, same case), or remove the control file",
    "The MESH client sends a `.ctl` only together with the `.dat` of the same base name; a control file alone is never sent, and the client reports it as an error (MESH code 02).",
    "OUT/report-17.ctl   (no OUT/report-17.dat)",
    "OUT/report-17.ctl + OUT/report-17.dat",
    "- MESH client folders: mesh.md §3.1 (gpcm-validate's MESH notes)\n",
    "- MESH error code 02 (MissingDataFile)\n"
);

static_rule!(
    MESH_DATA_UNPAIRED,
    "mesh-data-unpaired",
    Error,
    "A MESH data file (`<stem>.dat`) must travel with its control file (`<stem>.ctl`) or MESH API headers (`<stem>.headers`).",
    "Write the control file `<stem>.ctl` beside the data file (same base name, same case)",
    "The MESH client picks up a `.dat` only when its `.ctl` is there: without one the message is never sent, and nothing says who it is for.",
    "OUT/report-17.dat   (no OUT/report-17.ctl)",
    "OUT/report-17.dat + OUT/report-17.ctl",
    "- MESH client folders: mesh.md §3.1 (gpcm-validate's MESH notes)\n"
);

/// How a file of a group is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Found by name: paired by stem and content.
    Auto,
    /// The one message given with `--ctl`, `--headers` or `--response`.
    Message,
    /// `--ctl` / `--headers`: the message's MESH metadata.
    Metadata,
    /// `--response`: a response to the message.
    Response,
}

/// What a group needs to know of the run around it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupOptions {
    /// Report a `.ctl` without its data file: the scope (a directory, or a command line) also
    /// holds messages, so it looks like a MESH client folder rather than a set of control files.
    pub unpaired_control: bool,
    /// Report a `.dat` without its `.ctl` or `.headers`: the scope also holds MESH metadata.
    pub unpaired_data: bool,
    /// The scope held requests, so a response that answers none of them is worth a notice.
    pub requests_searched: bool,
}

/// One file of a group, read.
pub struct GroupFile {
    pub path: String,
    pub bytes: InputBytes,
    pub role: Role,
}

const METADATA_EXTENSIONS: &[&str] = &["ctl", "headers"];
/// Message extensions in order of preference when several share a metadata file's stem.
const MESSAGE_EXTENSIONS: &[&str] = &["dat", "xml", "json"];

fn stem_ext(path: &str) -> (String, String) {
    let p = Path::new(path);
    let stem = p
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = p
        .extension()
        .map(|s| s.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    (stem, ext)
}

/// For each metadata-named file, the message-named file of the same stem it pairs with by name.
fn name_partners(paths: &[&str]) -> Vec<Option<usize>> {
    let named: Vec<(String, String)> = paths.iter().map(|p| stem_ext(p)).collect();
    named
        .iter()
        .map(|(stem, ext)| {
            if !METADATA_EXTENSIONS.contains(&ext.as_str()) {
                return None;
            }
            MESSAGE_EXTENSIONS
                .iter()
                .find_map(|want| named.iter().position(|(s, e)| s == stem && e == want))
        })
        .collect()
}

/// Validates the files of a group together. Returns one report per file, in the given order.
pub fn validate_group(
    registry: &Registry,
    options: &Options,
    files: Vec<GroupFile>,
    group: GroupOptions,
) -> Vec<FileReport> {
    let roles: Vec<Role> = files.iter().map(|f| f.role).collect();
    let paths: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    let mut parsed: Vec<ParsedInput> = files
        .into_iter()
        .map(|f| input::parse(f.path, f.bytes))
        .collect();
    let n = parsed.len();
    let kinds: Vec<InputKind> = parsed.iter().map(|p| p.kind).collect();
    let kind = |i: usize| kinds[i];
    let is_message = |k: InputKind| matches!(k, InputKind::Message | InputKind::Response);
    let is_metadata = |k: InputKind| k.is_mesh_metadata();

    // Which message each metadata file travels with, and which request each response answers.
    let mut meta_of: Vec<Option<usize>> = vec![None; n];
    let mut answers: Vec<Option<usize>> = vec![None; n];
    let explicit = roles.iter().any(|r| *r != Role::Auto);
    if explicit {
        let message = roles.iter().position(|r| *r == Role::Message);
        for i in 0..n {
            let Some(m) = message else { break };
            match roles[i] {
                Role::Metadata if is_metadata(kind(i)) && is_message(kind(m)) => {
                    meta_of[i] = Some(m)
                }
                Role::Response
                    if kind(i) == InputKind::Response && kind(m) == InputKind::Message =>
                {
                    answers[i] = Some(m)
                }
                _ => {}
            }
        }
    } else {
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let partners = name_partners(&refs);
        for i in 0..n {
            if let Some(m) = partners[i].filter(|&m| is_metadata(kind(i)) && is_message(kind(m))) {
                meta_of[i] = Some(m);
            }
        }
        unpaired_findings(&mut parsed, &paths, &partners, group);
        let ids: Vec<Option<String>> = parsed
            .iter()
            .map(|p| {
                let doc = p.document.as_ref()?;
                let node = match p.kind {
                    InputKind::Message => super::responses::header_id(doc),
                    InputKind::Response => super::responses::response_identifier(doc),
                    _ => None,
                }?;
                Some(doc.value(node)?.trim().to_string()).filter(|s| !s.is_empty())
            })
            .collect();
        for r in (0..n).filter(|&i| kind(i) == InputKind::Response) {
            answers[r] = (0..n)
                .find(|&q| kind(q) == InputKind::Message && ids[q].is_some() && ids[q] == ids[r]);
        }
    }

    // Release and use case: a request's own; a response its request's; metadata its message's.
    let mut specs: Vec<Option<SpecContext>> = vec![None; n];
    let mut detected: Vec<Option<Detected>> = (0..n).map(|_| None).collect();
    let inherit = |spec: &Option<SpecContext>| {
        spec.clone().map(|spec| Detected {
            spec,
            shown: true,
            notices: Vec::new(),
        })
    };
    let order: Vec<usize> = (0..n)
        .filter(|&i| kind(i) == InputKind::Message)
        .chain((0..n).filter(|&i| kind(i) == InputKind::Response))
        .chain((0..n).filter(|&i| !is_message(kind(i))))
        .collect();
    for i in order {
        let from = answers[i].or(meta_of[i]);
        let d = match from.map(|f| inherit(&specs[f])) {
            Some(Some(d)) => Some(d),
            _ => validate::detect(registry, options, &parsed[i]),
        };
        specs[i] = d.as_ref().map(|d| d.spec.clone());
        detected[i] = d;
    }

    let docs: Vec<Option<&crate::document::Document>> =
        parsed.iter().map(|p| p.document.as_ref()).collect();
    let metas_of = |m: usize| -> Vec<&crate::document::Document> {
        (0..n)
            .filter(|&i| meta_of[i] == Some(m))
            .filter_map(|i| docs[i])
            .collect()
    };
    let mut reports = Vec::with_capacity(n);
    for (i, d) in detected.into_iter().enumerate() {
        let peers = if let Some(m) = meta_of[i] {
            let request = if kind(m) == InputKind::Response {
                answers[m]
            } else {
                None
            };
            docs[m].map(|doc| Peers {
                message: Some((doc, kind(m))),
                request: request.and_then(|q| docs[q]),
                request_meta: request.map(metas_of).unwrap_or_default(),
                ..Peers::default()
            })
        } else if kind(i) == InputKind::Response {
            let q = answers[i];
            Some(Peers {
                request: q.and_then(|q| docs[q]),
                request_meta: q.map(metas_of).unwrap_or_default(),
                earlier_responses: (0..i)
                    .filter(|&e| q.is_some() && answers[e] == q)
                    .filter_map(|e| docs[e])
                    .collect(),
                explicit: explicit && q.is_some(),
                requests_searched: explicit || group.requests_searched,
                ..Peers::default()
            })
        } else {
            None
        };
        reports.push(validate::check(
            registry,
            options,
            &parsed[i],
            d,
            peers.as_ref(),
        ));
    }
    reports
}

/// Adds the file-level findings for a `.ctl` or `.dat` without its partner.
fn unpaired_findings(
    parsed: &mut [ParsedInput],
    paths: &[String],
    partners: &[Option<usize>],
    group: GroupOptions,
) {
    let named: Vec<(String, String)> = paths.iter().map(|p| stem_ext(p)).collect();
    for i in 0..parsed.len() {
        let (stem, ext) = &named[i];
        let finding = match ext.as_str() {
            // A report (`MessageType` `Report`, or a bare StatusRecord) arrives without data.
            "ctl"
                if group.unpaired_control
                    && partners[i].is_none()
                    && parsed[i].kind != InputKind::MeshReport =>
            {
                Some(MESH_CONTROL_UNPAIRED.finding(format!(
                    "no `{stem}.dat` (or `.xml` / `.json`) beside this control file"
                )))
            }
            "dat"
                if group.unpaired_data
                    && !named.iter().zip(partners).any(|((s, e), p)| {
                        s == stem && METADATA_EXTENSIONS.contains(&e.as_str()) && p.is_some()
                    }) =>
            {
                Some(MESH_DATA_UNPAIRED.finding(format!(
                    "no `{stem}.ctl` (or `{stem}.headers`) beside this data file"
                )))
            }
            _ => None,
        };
        if let Some(f) = finding {
            // About the file as a whole: shown at its start.
            parsed[i].findings.push(f.at(Span::at(0)).label("unpaired"));
        }
    }
}

/// Where a file of the run was named.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    CommandLine,
    Directory(PathBuf),
}

/// A group of inputs to validate together, as indices into the run's inputs.
#[derive(Debug, PartialEq, Eq)]
pub struct Planned {
    pub members: Vec<usize>,
    /// `None`: a file validated alone, exactly as without pairing.
    pub group: Option<GroupOptions>,
}

/// Bytes of each file looked at to find responses and requests before the run.
const SNIFF: usize = 32 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Sniffed {
    Response(String),
    Request,
    Other,
}

fn response_identifier_patterns() -> &'static [regex::bytes::Regex; 2] {
    static RE: std::sync::OnceLock<[regex::bytes::Regex; 2]> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        [
            regex::bytes::Regex::new(
                r#"<(?:[A-Za-z_][\w.-]*:)?response>\s*<(?:[A-Za-z_][\w.-]*:)?identifier\s+value\s*=\s*["']([^"']+)["']"#,
            )
            .expect("valid regex"),
            regex::bytes::Regex::new(r#""response"\s*:\s*\{[^{}]*?"identifier"\s*:\s*"([^"]+)""#)
                .expect("valid regex"),
        ]
    })
}

/// A look at the start of a file: is it a response (and what does it answer), or a request?
/// Only a guess to group files; [`validate_group`] confirms from the parsed content.
fn sniff(path: &Path) -> Sniffed {
    let Some(head) = read_head(path) else {
        return Sniffed::Other;
    };
    if memmem::find(&head, b"MessageHeader").is_none() {
        return Sniffed::Other;
    }
    if memmem::find(&head, b"response").is_some() {
        for re in response_identifier_patterns() {
            if let Some(c) = re.captures(&head) {
                return Sniffed::Response(String::from_utf8_lossy(&c[1]).trim().to_string());
            }
        }
    }
    Sniffed::Request
}

/// Groups a run's inputs. `inputs[i]` is a file's path and scope, or `None` for standard
/// input. Groups come in the order of their first member; members keep the run's order.
pub fn plan(inputs: &[Option<(PathBuf, Scope)>]) -> Vec<Planned> {
    let n = inputs.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while parent[r] != r {
            r = parent[r];
        }
        let mut i = i;
        while parent[i] != r {
            let next = parent[i];
            parent[i] = r;
            i = next;
        }
        r
    }
    let union = |parent: &mut Vec<usize>, a: usize, b: usize| {
        let (ra, rb) = (find(parent, a), find(parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    };
    let mut scopes: Vec<(Scope, Vec<usize>)> = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        if let Some((_, scope)) = input {
            match scopes.iter_mut().find(|(s, _)| s == scope) {
                Some((_, members)) => members.push(i),
                None => scopes.push((scope.clone(), vec![i])),
            }
        }
    }
    let mut options: Vec<Option<GroupOptions>> = vec![None; n];
    let mut needs_group = vec![false; n];
    for (_, members) in &scopes {
        let path = |i: usize| {
            inputs[i]
                .as_ref()
                .map(|(p, _)| p.as_path())
                .unwrap_or(Path::new(""))
        };
        let has = |exts: &[&str]| {
            members
                .iter()
                .any(|&i| exts.contains(&stem_ext(&path(i).to_string_lossy()).1.as_str()))
        };
        // A scope that mixes MESH metadata and messages is taken for a MESH client folder; in a
        // folder of control files only (or of messages only) nothing is expected to pair.
        let (unpaired_control, unpaired_data) = (has(MESSAGE_EXTENSIONS), has(METADATA_EXTENSIONS));
        // Stem groups with a metadata file.
        let mut by_stem: HashMap<String, Vec<usize>> = HashMap::new();
        for &i in members {
            let (stem, ext) = stem_ext(&path(i).to_string_lossy());
            if METADATA_EXTENSIONS.contains(&ext.as_str())
                || MESSAGE_EXTENSIONS.contains(&ext.as_str())
            {
                by_stem.entry(stem).or_default().push(i);
            }
        }
        for group in by_stem.values() {
            let has_metadata = group.iter().any(|&i| {
                METADATA_EXTENSIONS.contains(&stem_ext(&path(i).to_string_lossy()).1.as_str())
            });
            if has_metadata && group.len() > 1 {
                for w in group.windows(2) {
                    union(&mut parent, w[0], w[1]);
                }
            }
        }
        // Responses with the request they answer.
        let message_files: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| {
                MESSAGE_EXTENSIONS.contains(&stem_ext(&path(i).to_string_lossy()).1.as_str())
            })
            .collect();
        let mut requests_searched = false;
        if message_files.len() > 1 {
            let sniffed: Vec<(usize, Sniffed)> =
                message_files.iter().map(|&i| (i, sniff(path(i)))).collect();
            requests_searched = sniffed.iter().any(|(_, s)| *s == Sniffed::Request);
            let mut responses: Vec<(usize, &str)> = Vec::new();
            for (r, s) in &sniffed {
                if let Sniffed::Response(id) = s {
                    needs_group[*r] = requests_searched;
                    // Too short to be an id worth searching for.
                    if id.len() >= 8 {
                        responses.push((*r, id));
                    }
                }
            }
            // Each response goes with the first request whose head holds the id it answers.
            for (q, _) in sniffed.iter().filter(|(_, s)| *s == Sniffed::Request) {
                if responses.is_empty() {
                    break;
                }
                let Some(head) = read_head(path(*q)) else {
                    continue;
                };
                responses.retain(|(r, id)| {
                    let found = memmem::find(&head, id.as_bytes()).is_some();
                    if found {
                        union(&mut parent, *r, *q);
                    }
                    !found
                });
            }
        }
        for &i in members {
            options[i] = Some(GroupOptions {
                unpaired_control,
                unpaired_data,
                requests_searched,
            });
            let ext = stem_ext(&path(i).to_string_lossy()).1;
            if (unpaired_control && ext == "ctl") || (unpaired_data && ext == "dat") {
                needs_group[i] = true;
            }
        }
    }
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut index_of: HashMap<usize, usize> = HashMap::new();
    for i in 0..n {
        let root = find(&mut parent, i);
        match index_of.get(&root) {
            Some(&g) => groups[g].1.push(i),
            None => {
                index_of.insert(root, groups.len());
                groups.push((i, vec![i]));
            }
        }
    }
    groups
        .into_iter()
        .map(|(_, members)| {
            let grouped = members.len() > 1 || members.iter().any(|&i| needs_group[i]);
            let group = if grouped { options[members[0]] } else { None };
            Planned { members, group }
        })
        .collect()
}

/// The first bytes of a file. Searched as bytes: the cut may split a character, and making
/// 32 KiB of each file text again cost a directory run a quarter of its time per message.
fn read_head(path: &Path) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(SNIFF);
    std::fs::File::open(path)
        .and_then(|f| f.take(SNIFF as u64).read_to_end(&mut head))
        .ok()?;
    Some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_reads_bytes_even_where_the_head_is_cut_mid_character() {
        let dir = tempfile::tempdir().unwrap();
        let response = "<Bundle><entry><resource><MessageHeader><response>\n  <identifier value=\"3f2a8c1e-0001\"/>";
        // `é` is two bytes; an odd filler puts the 32 KiB cut inside one.
        let text = format!("{response}<!--x{}-->", "é".repeat(SNIFF));
        let path = dir.path().join("r.xml");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(sniff(&path), Sniffed::Response("3f2a8c1e-0001".into()));
        let request = dir.path().join("q.xml");
        std::fs::write(&request, [b"<MessageHeader>\xFF".as_slice(), b"x"].concat()).unwrap();
        assert_eq!(sniff(&request), Sniffed::Request);
        std::fs::write(&request, b"<Patient/>").unwrap();
        assert_eq!(sniff(&request), Sniffed::Other);
    }

    #[test]
    fn metadata_pairs_with_the_preferred_message_of_its_stem() {
        let p = name_partners(&[
            "a.ctl",
            "a.json",
            "a.dat",
            "b.headers",
            "b.xml",
            "c.ctl",
            "c.txt",
        ]);
        assert_eq!(p, [Some(2), None, None, Some(4), None, None, None]);
    }
}
