//! Per-phase prover timers, printed to stderr when `VERINFER_PROFILE` is set (to anything).
//!
//! Why: the prover's phases (commitments, layer sumchecks, logUp, the batched opening) are
//! timed to decide what to speed up; on a machine shared with other builds wall-clock alone
//! misleads, so each phase also reports the process's CPU time (all threads, from
//! `/proc/self/task/*/schedstat`). Off by default: one environment lookup, cached.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("VERINFER_PROFILE").is_some())
}

/// CPU nanoseconds of every thread of this process so far (0 where `/proc` is unreadable).
fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// A running phase: prints `name`, wall and CPU milliseconds when dropped.
pub(crate) struct Phase {
    name: &'static str,
    wall: Instant,
    cpu: u64,
}

/// Start timing `name` (`None`, and no cost, unless `VERINFER_PROFILE` is set).
pub(crate) fn phase(name: &'static str) -> Option<Phase> {
    enabled().then(|| Phase {
        name,
        wall: Instant::now(),
        cpu: cpu_ns(),
    })
}

impl Drop for Phase {
    fn drop(&mut self) {
        let cpu = cpu_ns().saturating_sub(self.cpu);
        eprintln!(
            "profile: {:<34} wall {:>8.1} ms  cpu {:>8.1} ms",
            self.name,
            self.wall.elapsed().as_secs_f64() * 1e3,
            cpu as f64 / 1e6
        );
    }
}
