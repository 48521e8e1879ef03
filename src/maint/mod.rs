//! Operations on a whole store, run from the CLI: backup, restore, and the consistency
//! check. They sit above the domain (which says what an entry means) and the store (which
//! says how to read a live one), like `bootstrap`.

pub mod backup;
pub mod check;

use indicatif::{ProgressBar, ProgressStyle};

/// A spinner with a running count on stderr when it is a terminal; nothing otherwise, so
/// scripts and logs get only the final lines.
pub(crate) fn progress(what: &str) -> ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix} {pos} {msg} [{elapsed}]") {
        bar.set_style(style);
    }
    bar.set_prefix(what.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
