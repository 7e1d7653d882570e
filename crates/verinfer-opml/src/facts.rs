//! What `InferenceGame.learnModel` needs to learn a model: its graph header and output nodes,
//! opened against the model id.

use verinfer_chain::bindings::InferenceGame;
use verinfer_commit::encode::{graph_digest, graph_tree, header_words, node_words};
use verinfer_commit::ModelCommitment;
use verinfer_ir::Graph;

use crate::convert::{b256, b256s, words};
use crate::error::{OpmlError, Result};

/// The opening of `graph`'s header and output nodes.
///
/// # Errors
/// A graph whose digest tree cannot answer a path (never for a valid graph).
pub fn model_opening(
    graph: &Graph,
    model: &ModelCommitment,
) -> Result<InferenceGame::ModelOpening> {
    let tree = graph_tree(graph);
    let path = |leaf: usize| {
        tree.path(leaf as u64)
            .map_err(|e| OpmlError::Mismatch(format!("graph digest tree: {e}")))
    };
    let mut output_words = Vec::new();
    let mut output_paths = Vec::new();
    for o in &graph.outputs {
        let v = o.value.index();
        if v < graph.inputs.len() {
            continue;
        }
        let n = v - graph.inputs.len();
        output_words.push(words(&node_words(graph, &graph.nodes[n])));
        output_paths.push(b256s(&path(1 + n)?));
    }
    Ok(InferenceGame::ModelOpening {
        graphDigest: b256(graph_digest(graph)),
        digestPath: b256s(&model.graph_digest_path()),
        headerWords: words(&header_words(graph)),
        headerPath: b256s(&path(0)?),
        outputNodeWords: output_words,
        outputNodePaths: output_paths,
    })
}
