//! What the node shows: the `GET /status` JSON and the `GET /` page that renders it.

use serde::Serialize;

/// A model held.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ModelView {
    /// Model id.
    pub id: String,
    /// File stem.
    pub name: String,
    /// Whether requests on it are answered with proofs (`--mode zk` and usable keys).
    pub zk: bool,
}

/// One of our claims.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClaimView {
    /// Claim id.
    pub claim: u64,
    /// Model id.
    pub model: String,
    /// `pending`, `finalized`, `rejected`.
    pub status: String,
    /// Requests it answered.
    pub requests: Vec<u64>,
    /// Requests settled through it.
    pub settled: Vec<u64>,
    /// Posted as a lie (`--lie`).
    pub lie: bool,
    /// The trace file it is defended from.
    pub trace_file: String,
}

/// One of our games as challenger.
#[derive(Clone, Debug, Default, Serialize)]
pub struct GameView {
    /// Game id.
    pub game: u64,
    /// The claim challenged.
    pub claim: u64,
    /// Phase last seen.
    pub phase: String,
    /// Whether it is over.
    pub over: bool,
}

/// A request on a model we hold.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RequestView {
    /// Request id.
    pub request: u64,
    /// Model id.
    pub model: String,
    /// `todo`, `claimed`, `fulfilled`, `cancelled`, `skipped`.
    pub state: String,
    /// Claim answering it (while claimed).
    pub claim: Option<u64>,
    /// Whether we answered it.
    pub ours: bool,
    /// Through a proof.
    pub via_proof: bool,
    /// Why it was skipped, or the last problem.
    pub note: Option<String>,
}

/// Someone else's claim we checked.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CheckView {
    /// Claim id.
    pub claim: u64,
    /// Its submitter.
    pub submitter: String,
    /// Our verdict.
    pub verdict: String,
    /// Our game against it.
    pub game: Option<u64>,
    /// Note.
    pub note: Option<String>,
}

/// A problem, most recent last: shown as `state.json` keeps it.
pub type ProblemView = crate::state::Problem;

/// Everything `GET /status` returns.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NodeStatus {
    /// Our account.
    pub address: String,
    /// Chain id.
    pub chain_id: u64,
    /// `optimistic` or `zk`.
    pub mode: String,
    /// Whether this node lies (`--lie`).
    pub lie: bool,
    /// Balance (wei, decimal).
    pub balance_wei: String,
    /// Withdrawable from the game (bonds, wei).
    pub owed_game_wei: String,
    /// Withdrawable from the oracle (fees, wei).
    pub owed_oracle_wei: String,
    /// The oracle.
    pub oracle: String,
    /// The game.
    pub game: String,
    /// The latest block seen.
    pub last_block: u64,
    /// Logs are read from this block on.
    pub next_block: u64,
    /// Ticks run since start.
    pub ticks: u64,
    /// Transactions sent (since the state was created).
    pub transactions: u64,
    /// Their gas.
    pub gas_used: u64,
    /// Why the node refuses to act, if it does.
    pub halted: Option<String>,
    /// The last tick's error, if it failed (cleared by a good tick).
    pub last_error: Option<String>,
    /// Models held.
    pub models: Vec<ModelView>,
    /// Our claims.
    pub claims: Vec<ClaimView>,
    /// Our games as challenger.
    pub games: Vec<GameView>,
    /// Requests on our models.
    pub requests: Vec<RequestView>,
    /// Other people's claims we checked.
    pub checked: Vec<CheckView>,
    /// Recent problems.
    pub problems: Vec<ProblemView>,
    /// Text requests, generation claims and games (as `state.json` has them), when the node
    /// serves a text oracle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<crate::gen_state::GenState>,
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return "<p class=none>none</p>".into();
    }
    let mut t = String::from("<table><tr>");
    for h in head {
        t.push_str(&format!("<th>{}</th>", esc(h)));
    }
    t.push_str("</tr>");
    for r in rows {
        t.push_str("<tr>");
        for c in r {
            t.push_str(&format!("<td>{}</td>", esc(c)));
        }
        t.push_str("</tr>");
    }
    t.push_str("</table>");
    t
}

fn opt<T: ToString>(x: &Option<T>) -> String {
    x.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn eth(wei: &str) -> String {
    // Decimal wei → ether with 6 decimals, without floats.
    let digits = wei.trim_start_matches('0');
    let padded = format!("{digits:0>19}");
    let (int, frac) = padded.split_at(padded.len() - 18);
    format!("{int}.{} ETH", &frac[..6])
}

impl NodeStatus {
    /// A self-contained HTML page (no external assets) showing the status, reloading itself
    /// every 3 seconds.
    pub fn html(&self) -> String {
        let mut b = String::new();
        b.push_str(
            "<!doctype html><html><head><meta charset=utf-8>\
             <meta http-equiv=refresh content=3><title>verinfer node</title><style>\
             body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}\
             h1{font-size:1.3em}h2{font-size:1.05em;margin-top:1.4em}\
             table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;\
             font-family:ui-monospace,monospace;font-size:12px;text-align:left}\
             th{background:#f3f3f3}.none{color:#888}.halt{color:#b00;font-weight:bold}\
             </style></head><body>",
        );
        b.push_str(&format!("<h1>verinfer node {}</h1>", esc(&self.address)));
        if let Some(h) = &self.halted {
            b.push_str(&format!("<p class=halt>HALTED: {}</p>", esc(h)));
        }
        if let Some(e) = &self.last_error {
            b.push_str(&format!("<p class=halt>last tick failed: {}</p>", esc(e)));
        }
        let summary = vec![
            vec!["chain id".into(), self.chain_id.to_string()],
            vec![
                "mode".into(),
                format!("{}{}", self.mode, if self.lie { " (LYING)" } else { "" }),
            ],
            vec!["balance".into(), eth(&self.balance_wei)],
            vec!["owed by the game".into(), eth(&self.owed_game_wei)],
            vec!["owed by the oracle".into(), eth(&self.owed_oracle_wei)],
            vec!["oracle".into(), self.oracle.clone()],
            vec!["game".into(), self.game.clone()],
            vec!["last block".into(), self.last_block.to_string()],
            vec!["ticks".into(), self.ticks.to_string()],
            vec![
                "transactions".into(),
                format!("{} ({} gas)", self.transactions, self.gas_used),
            ],
        ];
        b.push_str(&table(&["", ""], &summary));
        b.push_str("<h2>Models</h2>");
        let rows: Vec<Vec<String>> = self
            .models
            .iter()
            .map(|m| {
                vec![
                    m.name.clone(),
                    m.id.clone(),
                    if m.zk { "zk" } else { "optimistic" }.into(),
                ]
            })
            .collect();
        b.push_str(&table(&["name", "id", "answers"], &rows));
        b.push_str("<h2>Our claims</h2>");
        let rows: Vec<Vec<String>> = self
            .claims
            .iter()
            .map(|c| {
                vec![
                    c.claim.to_string(),
                    c.status.clone(),
                    format!("{:?}", c.requests),
                    format!("{:?}", c.settled),
                    if c.lie { "lie" } else { "" }.into(),
                ]
            })
            .collect();
        b.push_str(&table(
            &["claim", "status", "requests", "settled", ""],
            &rows,
        ));
        b.push_str("<h2>Our games (as challenger)</h2>");
        let rows: Vec<Vec<String>> = self
            .games
            .iter()
            .map(|g| vec![g.game.to_string(), g.claim.to_string(), g.phase.clone()])
            .collect();
        b.push_str(&table(&["game", "claim", "phase"], &rows));
        b.push_str("<h2>Requests</h2>");
        let rows: Vec<Vec<String>> = self
            .requests
            .iter()
            .map(|r| {
                vec![
                    r.request.to_string(),
                    r.state.clone(),
                    opt(&r.claim),
                    if r.ours { "us" } else { "" }.into(),
                    if r.via_proof { "proof" } else { "" }.into(),
                    opt(&r.note),
                ]
            })
            .collect();
        b.push_str(&table(
            &["request", "state", "claim", "answered by", "via", "note"],
            &rows,
        ));
        b.push_str("<h2>Claims checked</h2>");
        let rows: Vec<Vec<String>> = self
            .checked
            .iter()
            .map(|c| {
                vec![
                    c.claim.to_string(),
                    c.submitter.clone(),
                    c.verdict.clone(),
                    opt(&c.game),
                    opt(&c.note),
                ]
            })
            .collect();
        b.push_str(&table(
            &["claim", "submitter", "verdict", "our game", "note"],
            &rows,
        ));
        b.push_str("<h2>Recent problems</h2>");
        let rows: Vec<Vec<String>> = self
            .problems
            .iter()
            .rev()
            .map(|p| vec![p.block.to_string(), p.what.clone(), p.error.clone()])
            .collect();
        b.push_str(&table(&["block", "what", "error"], &rows));
        b.push_str("<p class=none>JSON: <a href=\"/status\">/status</a></p></body></html>\n");
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ether_formatting_without_floats() {
        assert_eq!(eth("0"), "0.000000 ETH");
        assert_eq!(eth("1000000000000000000"), "1.000000 ETH");
        assert_eq!(eth("9000000000000000"), "0.009000 ETH");
        assert_eq!(eth("12345678901234567890123"), "12345.678901 ETH");
    }

    #[test]
    fn html_escapes_and_renders() {
        let s = NodeStatus {
            address: "0xab".into(),
            halted: Some("<script>".into()),
            balance_wei: "5".into(),
            owed_game_wei: "0".into(),
            owed_oracle_wei: "0".into(),
            ..NodeStatus::default()
        };
        let h = s.html();
        assert!(h.contains("&lt;script&gt;"));
        assert!(!h.contains("<script>"));
        assert!(h.contains("0xab"));
    }
}
