//! The generation-claim process tests on a real node: the tiny LLaMA compiled (context 16)
//! in a fresh directory, an anvil with a block a second, `verinfer` child processes against
//! it (killed with SIGKILL to crash them), and a wait on `game status --generation`.

use std::path::PathBuf;
use std::time::Duration;

use verinfer_chain::Anvil;
use verinfer_testing::TestDir;

use super::{outcome, root, tmpdir, Reaper};

/// The generation tests' prompt: 4 tokens, BOS first.
pub const PROMPT: &str = "1,5,9,13";

/// `claim VM --prompt-ids PROMPT --max-new-tokens 6` followed by `extra`: the tests' claim
/// (T = 9 steps).
pub fn claim_args<'a>(vm: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["claim", vm, "--prompt-ids", PROMPT, "--max-new-tokens", "6"];
    a.extend_from_slice(extra);
    a
}

/// `challenge 0 --generation --model VM --force`: a lying challenger of claim 0 (bisection
/// to the middle step, its sub-claim challenged at random).
pub fn forced_challenge(vm: &str) -> Vec<&str> {
    vec!["challenge", "0", "--generation", "--model", vm, "--force"]
}

/// A fresh directory with the tiny LLaMA compiled into it, and an anvil (a block a second)
/// whose deployments are recorded in that directory.
pub struct AnvilGen {
    /// The test's directory (removed when dropped).
    pub dir: TestDir,
    /// The compiled tiny LLaMA, as an argument.
    pub vm: String,
    /// The node.
    pub anvil: Anvil,
    /// Where the CLI records the contracts it deploys.
    pub deployments: PathBuf,
}

impl AnvilGen {
    /// Compiles the model and starts the node.
    pub fn new(name: &str) -> Self {
        let dir = tmpdir(name);
        let (_, vm) = super::compile_tiny_llama(&dir, "16");
        let anvil = Anvil::spawn(&root().join("contracts"), &["--block-time", "1"]).expect("anvil");
        let deployments = dir.join("deployments.json");
        Self {
            dir,
            vm,
            anvil,
            deployments,
        }
    }

    /// The options that point any chain command at this node.
    pub fn chain(&self) -> [&str; 4] {
        [
            "--rpc-url",
            self.anvil.url(),
            "--deployments",
            self.deployments.to_str().unwrap(),
        ]
    }

    /// `head` followed by [`AnvilGen::chain`] and a 50 ms poll: a command that plays or waits
    /// (`claim --defend`, `defend`, `challenge`).
    pub fn playing<'a>(&'a self, head: &[&'a str]) -> Vec<&'a str> {
        let mut args = head.to_vec();
        args.extend(self.chain());
        args.extend(["--poll-ms", "50"]);
        args
    }

    /// [`claim_args`] on this chain with window and clock 20 s, then `extra`.
    pub fn claim<'a>(&'a self, extra: &[&'a str]) -> Vec<&'a str> {
        let mut head = vec!["--window", "20", "--clock", "20"];
        head.extend_from_slice(extra);
        self.playing(&claim_args(&self.vm, &head))
    }

    /// Polls `game status CLAIM --generation --json` (every 100 ms, at most 60 s) until the
    /// claim's first game is in play and `ready` holds for it; its phase. A status command
    /// that fails for another reason than the generation game or claim not there yet (an
    /// option it refuses, say) fails the test at once.
    pub fn wait_for_game(&self, claim: &str, ready: impl Fn(&serde_json::Value) -> bool) -> String {
        let mut args = vec!["game", "status", claim, "--generation", "--json"];
        args.extend(self.chain());
        let mut last = String::new();
        for _ in 0..600 {
            let (ok, out, err) = outcome(&args);
            assert!(ok || err.contains("GenerationGame"), "{args:?}: {err}");
            if ok {
                let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                let g = &v["games"][0];
                let phase = g["phase"].as_str().unwrap_or_default().to_string();
                let over = ["SubmitterWon", "ChallengerWon", "Moot"].contains(&phase.as_str());
                assert!(!over, "the game ended before the crash: {v}");
                if !g.is_null() && ready(g) {
                    return phase;
                }
            }
            last = err;
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the game on claim {claim} never reached the crash point (last error: {last})");
    }
}

/// `verinfer ARGS` as a child process (its output piped), killed if the test ends first.
pub fn spawn(args: &[&str]) -> Reaper {
    use std::process::{Command, Stdio};
    let child = Command::new(env!("CARGO_BIN_EXE_verinfer"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    Reaper(Some(child))
}

/// Waits for a process to exit; checks it succeeded and printed `want`.
pub fn finish(mut p: Reaper, want: &str) {
    let out = p.0.take().unwrap().wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains(want), "{stdout}\n{stderr}");
}

/// SIGKILL (no shutdown path, as in a crash).
pub fn crash(p: &mut Reaper) {
    if let Some(mut c) = p.0.take() {
        c.kill().unwrap();
        c.wait().unwrap();
    }
}
