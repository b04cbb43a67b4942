//! Running the inputs of a check: each [`Job`] is validated by [`run_job`], on as many threads as
//! `--jobs` allows, and the results are handed back strictly in job order, so the output is
//! byte-for-byte the same whatever the thread count.
//!
//! Memory stays bounded on large directory runs: a worker only starts job `i` once job
//! `i - WINDOW_PER_THREAD × threads` has been emitted, so at most that many finished reports wait
//! in the reorder buffer however slow one early file is.

use super::Input;
use crate::document::InputBytes;
use crate::mesh::pair::{self, GroupFile, GroupOptions, Role};
use crate::rules::Registry;
use crate::validate::{self, FileReport, Options};
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};

/// Jobs a worker may run ahead of the emitter, per thread.
const WINDOW_PER_THREAD: usize = 4;

/// A unit of work: the inputs validated together. Usually one file; a message with the MESH
/// control file or headers that travel with it, or a request with its responses, form one job
/// (see [`crate::mesh::pair`]), which gives one report per file.
pub struct Job {
    pub inputs: Vec<Input>,
    /// How each input is taken (empty: all [`Role::Auto`]).
    pub roles: Vec<Role>,
    /// `None`: a file validated alone. `Some`: the inputs are validated as a group.
    pub group: Option<GroupOptions>,
}

/// What became of one input of a job.
pub enum Outcome {
    Report(FileReport),
    /// The input could not be read: the run goes on and exits 2.
    Unreadable {
        display: String,
        error: io::Error,
    },
}

/// Validates one job's inputs, in order.
pub fn run_job(registry: &Registry, options: &Options, job: &Job) -> Vec<Outcome> {
    let Some(group) = job.group else {
        return job
            .inputs
            .iter()
            .map(|input| match read_input(input) {
                Ok((display, bytes)) => {
                    Outcome::Report(validate::validate_bytes(registry, options, display, bytes))
                }
                Err((display, error)) => Outcome::Unreadable { display, error },
            })
            .collect();
    };
    // Read everything first: the group is validated together; an unreadable file keeps its
    // place in the output.
    let mut files = Vec::new();
    let mut slots = Vec::new();
    for (i, input) in job.inputs.iter().enumerate() {
        match read_input(input) {
            Ok((path, bytes)) => {
                slots.push(None);
                files.push(GroupFile {
                    path,
                    bytes,
                    role: job.roles.get(i).copied().unwrap_or(Role::Auto),
                });
            }
            Err((display, error)) => slots.push(Some(Outcome::Unreadable { display, error })),
        }
    }
    let mut reports = pair::validate_group(registry, options, files, group).into_iter();
    slots
        .into_iter()
        .filter_map(|slot| match slot {
            Some(unreadable) => Some(unreadable),
            None => reports.next().map(Outcome::Report),
        })
        .collect()
}

fn read_input(input: &Input) -> Result<(String, InputBytes), (String, io::Error)> {
    match input {
        Input::Stdin => {
            let mut bytes = Vec::new();
            io::stdin()
                .read_to_end(&mut bytes)
                .map(|_| ("<stdin>".to_string(), bytes.into()))
                .map_err(|e| ("<stdin>".to_string(), e))
        }
        Input::File(path) => {
            let display = path.display().to_string();
            InputBytes::read_file(path)
                .map(|b| (display.clone(), b))
                .map_err(|e| (display, e))
        }
    }
}

/// Runs every job on up to `threads` threads and calls `emit` with each job's outcomes in job
/// order. An error from `emit` (a closed pipe, a full disk) stops the run: no new job starts
/// and the error is returned.
pub fn run_all(
    registry: &Registry,
    options: &Options,
    jobs: &[Job],
    threads: usize,
    mut emit: impl FnMut(Vec<Outcome>) -> io::Result<()>,
) -> io::Result<()> {
    let threads = threads.min(jobs.len());
    // One thread, or one job (the common single-file run): no thread is worth starting.
    if threads <= 1 {
        for job in jobs {
            emit(run_job(registry, options, job))?;
        }
        return Ok(());
    }
    let window = WINDOW_PER_THREAD * threads;
    let gate = Gate {
        state: Mutex::new(GateState {
            next: 0,
            emitted: 0,
            stop: false,
        }),
        changed: Condvar::new(),
    };
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, Vec<Outcome>)>();
        for _ in 0..threads {
            let tx = tx.clone();
            let gate = &gate;
            scope.spawn(move || {
                while let Some(i) = gate.take(jobs.len(), window) {
                    let outcomes = run_job(registry, options, &jobs[i]);
                    if tx.send((i, outcomes)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, Vec<Outcome>> = BTreeMap::new();
        let mut next = 0;
        let mut result = Ok(());
        'receive: for (i, outcomes) in rx {
            pending.insert(i, outcomes);
            while let Some(outcomes) = pending.remove(&next) {
                if let Err(e) = emit(outcomes) {
                    result = Err(e);
                    break 'receive;
                }
                next += 1;
                gate.emitted(next);
            }
        }
        // Whether finished or failed: release waiting workers so the scope can end.
        gate.stop();
        result
    })
}

struct GateState {
    /// The next job to start.
    next: usize,
    /// Jobs emitted so far.
    emitted: usize,
    stop: bool,
}

/// Hands out job indices, holding workers back while they are too far ahead of the emitter.
struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

impl Gate {
    fn take(&self, total: usize, window: usize) -> Option<usize> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if st.stop || st.next >= total {
                return None;
            }
            if st.next < st.emitted + window {
                st.next += 1;
                return Some(st.next - 1);
            }
            st = self.changed.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn emitted(&self, n: usize) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).emitted = n;
        self.changed.notify_all();
    }

    fn stop(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).stop = true;
        self.changed.notify_all();
    }
}
