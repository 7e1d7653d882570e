//! `--json` on every command: with it a command prints exactly one JSON object on stdout
//! (the `node` one object per line, per event) and its text lines are left out; without it
//! the text is unchanged. Transactions, progress and warnings go to stderr either way.

use serde_json::Value;

/// Where a command's result goes: its text lines, or one JSON object.
#[derive(Clone, Copy, Debug)]
pub struct Emit {
    pub json: bool,
}

impl Emit {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    /// A text line of the result: stdout without --json; left out with it (the object
    /// carries the same facts).
    pub fn line(&self, s: impl std::fmt::Display) {
        if !self.json {
            println!("{s}");
        }
    }

    /// The result object, printed on one line with --json only.
    pub fn object(&self, v: &Value) {
        if self.json {
            println!("{v}");
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every leaf subcommand takes `--json`: a command added without it fails here.
    #[test]
    fn every_leaf_command_takes_json() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let leaves: Vec<&clap::Command> = cmd.get_subcommands().collect();
            if leaves.is_empty() {
                if !cmd.get_arguments().any(|a| a.get_id() == "json") {
                    missing.push(path.to_string());
                }
                return;
            }
            for c in leaves {
                walk(c, &format!("{path} {}", c.get_name()), missing);
            }
        }
        let root = crate::Cli::command();
        let mut missing = Vec::new();
        walk(&root, "verinfer", &mut missing);
        assert!(
            missing.is_empty(),
            "commands without --json: {}",
            missing.join(", ")
        );
        // The walk sees the tree: the leaves it must reach are there.
        let count = root.get_subcommands().count();
        assert!(count > 30, "{count} top-level commands");
    }
}
