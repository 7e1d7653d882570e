//! Proof files edited so that the packed public values stay the same but the stated tensors
//! are not the model's: packing flattens a class and maps the lowest value to 0, so an
//! appended minimum, a split tensor or a re-split padded input pack to the same field
//! elements. Verification through files.rs must refuse them by the keys' tensor lengths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_std::rand::{rngs::StdRng, SeedableRng};
use verinfer_zk::files::{KeyManifest, ProofFile, KEYS_FORMAT};
use verinfer_zk::{packing, Groth16, ProofSystem, Visibility, Widths};

/// Keys, an honest proof file and the manifest, for the digits MLP.
struct Fixture {
    dir: verinfer_testing::TestDir,
    vk: verinfer_zk::groth16::VerifyingKey,
    manifest: KeyManifest,
    file: ProofFile,
}

fn fixture(name: &str) -> Fixture {
    let (g, trace) = verinfer_testing::models::golden_mlp_trace();
    let mut rng = StdRng::seed_from_u64(17);
    let (pk, vk) = Groth16::setup(&g, &mut rng).unwrap();
    let model_id = alloy_primitives::B256::repeat_byte(0x42);
    let (proof, public) = Groth16::prove_with(
        &pk,
        &g,
        Visibility::default(),
        &verinfer_zk::Context::of_model(model_id),
        trace,
        &mut rng,
    )
    .unwrap();
    let w = Widths::of(&g);
    let len = |n: usize| g.value_info(g.outputs[n].value).unwrap().shape.numel();
    // Built from JSON so that this test reads the same before and after lengths were added.
    let manifest: KeyManifest = serde_json::from_value(serde_json::json!({
        "format": KEYS_FORMAT,
        "backend": "groth16",
        "model_id": format!("{model_id:#x}"),
        "visibility": Visibility::default().to_string(),
        "input_width": w.input,
        "output_width": w.output,
        "param_hash": null,
        "public_inputs": vk.gamma_abc_g1.len() - 1,
        "constraints": 0,
        "lengths": {
            "inputs": g.inputs.iter().map(|s| serde_json::json!({
                "name": s.name, "len": s.info.shape.numel()
            })).collect::<Vec<_>>(),
            "outputs": g.outputs.iter().enumerate().map(|(n, o)| serde_json::json!({
                "name": o.name, "len": len(n)
            })).collect::<Vec<_>>(),
        },
    }))
    .unwrap();
    let file = ProofFile::new(format!("{model_id:#x}"), &proof, &public).unwrap();
    let dir = verinfer_testing::TestDir::new("verinfer-zk-files", name);
    Fixture {
        dir,
        vk,
        manifest,
        file,
    }
}

/// Save `f`, load it back and verify it as `verinfer verify` does.
fn verify_file(fx: &Fixture, f: &ProofFile) -> Result<(), String> {
    let path = fx.dir.join("proof.json");
    f.save(&path).unwrap();
    let f = ProofFile::load(&path).map_err(|e| e.to_string())?;
    let public = f
        .public_values(&path, &fx.manifest)
        .map_err(|e| e.to_string())?;
    let proof = f.proof(&path).map_err(|e| e.to_string())?;
    Groth16::verify(&fx.vk, &public, &proof).map_err(|e| e.to_string())
}

fn lowest(w: u32) -> i32 {
    -(1i32 << (w - 1))
}

#[test]
fn honest_proof_file_verifies() {
    let fx = fixture("honest");
    verify_file(&fx, &fx.file).unwrap();
}

#[test]
fn attack_output_with_appended_minimum() {
    let fx = fixture("append");
    let mut f = fx.file.clone();
    let w = fx.manifest.output_width;
    let n = f.public.outputs[0].len();
    // The appended value lands in the last packed element as a zero digit.
    assert_ne!(n % packing::per_element(w), 0);
    f.public.outputs[0].push(lowest(w));
    let err = verify_file(&fx, &f).expect_err("an output with an extra value verified");
    assert!(
        err.contains("output tensor 0") && err.contains(&format!("{} values", n + 1)),
        "{err}"
    );
}

#[test]
fn attack_output_split_in_two() {
    let fx = fixture("split");
    let mut f = fx.file.clone();
    let out = f.public.outputs.remove(0);
    let (a, b) = out.split_at(out.len() / 2);
    f.public.outputs = vec![a.to_vec(), b.to_vec()];
    let err = verify_file(&fx, &f).expect_err("a split output verified");
    assert!(err.contains("2 output tensors stated"), "{err}");
}

#[test]
fn attack_inputs_resplit_with_padding() {
    let fx = fixture("resplit");
    let mut f = fx.file.clone();
    let w = fx.manifest.input_width;
    let x = f.public.inputs.remove(0);
    assert_ne!(x.len() % packing::per_element(w), 0);
    let (a, b) = x.split_at(x.len() / 2);
    let mut b = b.to_vec();
    b.push(lowest(w));
    f.public.inputs = vec![a.to_vec(), b];
    let err = verify_file(&fx, &f).expect_err("re-split padded inputs verified");
    assert!(err.contains("2 input tensors stated"), "{err}");
}
