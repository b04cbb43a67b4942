//! A one-line progress bar on stderr for long directory runs. Hand-written (a dozen lines of
//! ANSI) rather than a crate, to keep the dependency tree small.
//!
//! It is drawn only when stderr is a terminal, the run is not `--quiet`, and the run is long:
//! more than [`MANY_FILES`] files, or still going after [`LONG_RUN`]. It redraws at most ten
//! times a second and is erased before anything else is written to the terminal and at the end.

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

/// Runs over this many files show progress from the start.
pub const MANY_FILES: usize = 50;
/// Shorter runs show progress once they have taken this long.
pub const LONG_RUN: Duration = Duration::from_secs(2);
const REDRAW: Duration = Duration::from_millis(100);
const WIDTH: usize = 30;

pub struct Progress {
    enabled: bool,
    total: usize,
    done: usize,
    start: Instant,
    last_draw: Option<Instant>,
    visible: bool,
}

impl Progress {
    pub fn new(total: usize, quiet: bool) -> Self {
        Progress {
            enabled: !quiet && io::stderr().is_terminal(),
            total,
            done: 0,
            start: Instant::now(),
            last_draw: None,
            visible: false,
        }
    }

    pub fn is_visible(&self) -> bool {
        self.visible
    }

    /// One more file done; redraws when due.
    pub fn tick(&mut self, files: usize) {
        self.done += files;
        if !self.enabled || !(self.total > MANY_FILES || self.start.elapsed() >= LONG_RUN) {
            return;
        }
        let due = self.last_draw.is_none_or(|t| t.elapsed() >= REDRAW) || !self.visible;
        if due {
            self.draw();
        }
    }

    fn draw(&mut self) {
        let total = self.total.max(1);
        let filled = (self.done.min(total) * WIDTH) / total;
        let mut err = io::stderr().lock();
        // Progress is a courtesy: a failed write to the terminal must not fail the run.
        let _ = write!(
            err,
            "\r\x1b[2K[{}{}] {}/{} files",
            "=".repeat(filled),
            " ".repeat(WIDTH - filled),
            self.done,
            self.total
        );
        let _ = err.flush();
        self.last_draw = Some(Instant::now());
        self.visible = true;
    }

    /// Erases the bar, so the terminal can take other output.
    pub fn clear(&mut self) {
        if self.visible {
            let mut err = io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.visible = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}
