//! libFuzzer entry point: runs the target body named by `VERINFER_FUZZ_TARGET`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

static TARGET: OnceLock<verinfer_fuzz::Target> = OnceLock::new();

fn pick() -> verinfer_fuzz::Target {
    let name = std::env::var("VERINFER_FUZZ_TARGET").unwrap_or_default();
    match verinfer_fuzz::target(&name) {
        Some(t) => t,
        None => {
            let names: Vec<&str> = verinfer_fuzz::TARGETS.iter().map(|(n, _)| *n).collect();
            eprintln!("set VERINFER_FUZZ_TARGET to one of: {}", names.join(" "));
            std::process::exit(2);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    (TARGET.get_or_init(pick))(data);
});
