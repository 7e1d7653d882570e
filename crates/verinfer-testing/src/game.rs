//! One tensor claim played out on a fresh in-process chain (feature `opml`): a submitter
//! (account 0, optionally lying) against a challenger (account 1, honest execution) — the
//! setup the dispute-game matrices of the opML tests share.

use verinfer_chain::{Chain, U256};
use verinfer_ir::Graph;
use verinfer_opml::{
    lying_execution, simulate, Challenger, ChallengerStrategy, Execution, SimReport, Submitter,
    SubmitterStrategy, TraceLie,
};

/// What a played claim left: the report, then what the game owes the submitter and the
/// challenger.
pub type Played = (SimReport, U256, U256);

/// `g` on `inputs` claimed by a submitter playing `sub` (its trace told with `lie`), disputed
/// by a challenger playing `cha` (with `force`, even where it agrees), played to the end
/// ([`simulate`]) on a chain with the game deployed ([`crate::chain::deployed_opml`]).
pub fn play_claim(
    g: &Graph,
    inputs: &[Vec<i32>],
    lie: Option<TraceLie>,
    (sub, cha): (SubmitterStrategy, ChallengerStrategy),
    force: bool,
) -> Played {
    let (mut chain, c) = crate::chain::deployed_opml();
    let a = chain.accounts();
    let exec = match lie {
        Some(l) => lying_execution(g.clone(), inputs, l).unwrap(),
        None => Execution::run(g.clone(), inputs).unwrap(),
    };
    let mut submitter = Submitter::new(exec, a[0], sub);
    let mut challenger = Challenger::new(Execution::run(g.clone(), inputs).unwrap(), a[1], cha);
    let report = simulate(&mut chain, &c, &mut submitter, &mut challenger, force).unwrap();
    let owed_sub = c.game.owed(&mut chain, a[0]).unwrap();
    let owed_cha = c.game.owed(&mut chain, a[1]).unwrap();
    (report, owed_sub, owed_cha)
}
