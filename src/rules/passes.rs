//! The multi-rule passes the registry runs after the single rules. Add a pass here.

use super::Pass;

pub static PASSES: &[&dyn Pass] = &[&crate::structural::PASS];
