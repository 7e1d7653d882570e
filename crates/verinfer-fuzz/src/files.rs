//! Files read by path: zk key directories and proof files, and the JSON state files of the
//! in-process chain, the deployments record and the node.

use verinfer_zk::files::{
    load_manifest, load_proving_key, load_verifying_key, KeyManifest, ProofFile, KEYS_FORMAT,
};
use verinfer_zk::Bn254Values;

use crate::scratch::with_files;

/// `verifying.key` bytes through `load_verifying_key` (points checked).
pub fn zk_verifying_key(data: &[u8]) {
    if let Some(dir) = with_files(&[("verifying.key", data)]) {
        let _ = load_verifying_key(&dir);
    }
}

/// `proving.key` bytes through `load_proving_key` (points not subgroup-checked).
pub fn zk_proving_key(data: &[u8]) {
    if let Some(dir) = with_files(&[("proving.key", data)]) {
        let _ = load_proving_key(&dir);
    }
}

/// `keys.json` bytes through `load_manifest` and the statement shape it names.
pub fn zk_manifest(data: &[u8]) {
    if let Some(dir) = with_files(&[("keys.json", data)]) {
        if let Ok(m) = load_manifest(&dir) {
            let _ = m.widths();
            let _ = m.visibility();
        }
    }
}

/// A proof file through `ProofFile::load`, the proof's points, the public values under keys
/// of the file's own visibility, and their field elements (everything `verify` does before
/// the pairing check).
pub fn zk_proof_file(data: &[u8]) {
    let Some(dir) = with_files(&[("proof.json", data)]) else {
        return;
    };
    let path = dir.join("proof.json");
    let Ok(f) = ProofFile::load(&path) else {
        return;
    };
    let _ = f.proof(&path);
    // Lengths taken from the file itself, so that decoding goes past the length check.
    let lens = |ts: &[Vec<i32>], what: &str| -> Vec<verinfer_zk::statement::TensorLen> {
        ts.iter()
            .enumerate()
            .map(|(i, t)| verinfer_zk::statement::TensorLen {
                name: format!("{what}{i}"),
                len: t.len(),
            })
            .collect()
    };
    let manifest = KeyManifest {
        format: KEYS_FORMAT.to_string(),
        backend: f.backend.clone(),
        model_id: f.model_id.clone(),
        visibility: f.visibility.clone(),
        input_width: 16,
        output_width: 16,
        param_hash: None,
        public_inputs: f.public_inputs.len(),
        constraints: 0,
        lengths: verinfer_zk::statement::Lengths {
            inputs: lens(&f.public.inputs, "input"),
            outputs: lens(&f.public.outputs, "output"),
        },
        ceremony: None,
        phase1: None,
    };
    if let Ok(p) = f.public_values(&path, &manifest) {
        let _ = p.to_field_elements();
    }
}

/// The in-process chain's state file through `RevmChain::load`.
pub fn chain_state(data: &[u8]) {
    if let Some(dir) = with_files(&[("chain.json", data)]) {
        let _ = verinfer_chain::RevmChain::load(&dir.join("chain.json"));
    }
}

/// The deployments record through `Deployments::load`.
pub fn deployments(data: &[u8]) {
    if let Some(dir) = with_files(&[("deployments.json", data)]) {
        if let Ok(d) = verinfer_chain::Deployments::load(&dir.join("deployments.json")) {
            let _ = d.get(31337, "InferenceGame");
        }
    }
}

/// A node's `state.json` through `NodeState::load`.
pub fn node_state(data: &[u8]) {
    if let Some(dir) = with_files(&[("state.json", data)]) {
        let _ = verinfer_node::NodeState::load(&dir);
    }
}

/// A powers-of-tau `.ptau` through `Ptau::from_reader` (section table, header, sizes), then
/// the points of the small domains it claims and, for a domain of 2, the consistency checks
/// `ceremony new --ptau` runs.
pub fn zk_ptau(data: &[u8]) {
    use ark_bn254::{G1Affine, G2Affine};
    use verinfer_zk::ceremony::ptau::Section;
    use verinfer_zk::ceremony::CheckDomain;
    let Ok(mut p) = verinfer_zk::ceremony::Ptau::from_reader(std::io::Cursor::new(data)) else {
        return;
    };
    for s in Section::ALL {
        let _ = p.points::<G1Affine>(s, 0, 4);
        let _ = p.points::<G2Affine>(s, 1, 2);
    }
    for log_n in 0..=p.power().min(2) {
        let _ = p.lagrange::<G1Affine>(Section::LTauG1, log_n);
        let _ = p.lagrange::<G2Affine>(Section::LTauG2, log_n);
    }
    let _ = p.check_domain(1);
    let _ = p.blake2b();
}
