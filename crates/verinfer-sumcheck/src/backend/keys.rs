//! The sumcheck backend's keys and their byte forms. Keys come from a universal SRS: the
//! proving key is the SRS slice the node needs (`τ^i·G1`, `i < 2^vars`) and the verifying key
//! the SRS's `G1, G2, τ·G2`; both carry the node's statement and the weight commitments (what
//! registering the model commits). No per-model secret exists.
//!
//! Byte forms are arkworks' canonical encoding of the fields in order; a decoded key is
//! re-encoded and must give the same bytes, so a key has one byte form and any changed byte
//! is either refused or a different key.

use ark_bn254::G1Affine;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use verinfer_ir::{Bits, Requant};
use verinfer_prove::{Statement, Vis, Visibility, Widths};

use crate::contract::{matmul_contract, MatmulNode, WeightCommitments};
use crate::gkr::ChainSpec;
use crate::pcs::{CommitKey, Commitment, VerifierKey};

use super::BackendError;

/// The node's statement as the keys record it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    /// The node (shape, requantization, bias shift).
    pub node: MatmulNode,
}

impl NodeSpec {
    fn write(&self, out: &mut Vec<u8>) -> Result<(), BackendError> {
        let (m, k, n) = self.node.dims();
        let rq = self.node.requant();
        let dims = [m, k, n].map(|d| d as u64);
        // The multiplier as its two's-complement bits (arkworks has no signed encoding).
        #[allow(clippy::cast_sign_loss)]
        let mult = rq.mult as u64;
        let fields = (dims, mult, rq.shift, rq.bits.get(), self.node.bias_shift());
        ser(&fields, out, "key")
    }

    fn read(r: &mut &[u8]) -> Result<Self, BackendError> {
        type Fields = ([u64; 3], u64, u32, u32, Option<u32>);
        let (dims, mult, shift, bits, bias_shift) = de::<Fields>(r, "key")?;
        let [m, k, n] = dims.map(|d| usize::try_from(d).unwrap_or(usize::MAX));
        let bits = Bits::new(bits).map_err(|e| malformed("key", e.to_string()))?;
        #[allow(clippy::cast_possible_wrap)]
        let requant = Requant {
            mult: mult as i64,
            shift,
            bits,
        };
        let node = MatmulNode::from_contract(&matmul_contract((m, k, n), requant, bias_shift))
            .map_err(|e| malformed("key", e.to_string()))?;
        Ok(Self { node })
    }
}

/// The model a key is for and its weight commitments (what registering the model commits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelKey {
    /// One matrix-product node (the shape the Solidity verifier covers).
    Node {
        /// The node.
        spec: NodeSpec,
        /// `C_W`, `C_bias`.
        commitments: WeightCommitments,
    },
    /// A chain of layers proven by the layered proof (`crate::gkr`).
    Chain {
        /// The layers.
        spec: ChainSpec,
        /// One commitment per weight of the spec.
        commitments: Vec<Commitment>,
    },
}

impl ModelKey {
    fn write(&self, out: &mut Vec<u8>) -> Result<(), BackendError> {
        match self {
            Self::Node { spec, commitments } => {
                out.push(0);
                spec.write(out)?;
                write_commitments(commitments, out)
            }
            Self::Chain { spec, commitments } => {
                out.push(1);
                ser(&spec.to_bytes(), out, "key")?;
                ser(commitments, out, "key")
            }
        }
    }

    fn read(r: &mut &[u8]) -> Result<Self, BackendError> {
        let (&tag, rest) = r
            .split_first()
            .ok_or_else(|| malformed("key", "empty".into()))?;
        *r = rest;
        match tag {
            0 => {
                let spec = NodeSpec::read(r)?;
                let commitments = read_commitments(r)?;
                Ok(Self::Node { spec, commitments })
            }
            1 => {
                let bytes = de::<Vec<u8>>(r, "key")?;
                let spec =
                    ChainSpec::from_bytes(&bytes).map_err(|e| malformed("key", e.to_string()))?;
                let commitments = de::<Vec<Commitment>>(r, "key")?;
                if commitments.len() != spec.weights.len() {
                    return Err(malformed("key", "weight commitment count".into()));
                }
                Ok(Self::Chain { spec, commitments })
            }
            _ => Err(malformed("key", format!("model tag {tag}"))),
        }
    }
}

/// What the prover needs: the SRS slice, the model, the weight commitments, the visibility.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvingKey {
    /// `τ^i·G1` for `i < 2^vars` (the model's largest polynomial).
    pub commit_key: CommitKey,
    /// The model and its weight commitments.
    pub model: ModelKey,
    /// The statement's visibility.
    pub vis: Visibility,
}

/// What the verifier needs: `G1, G2, τ·G2`, the model, the weight commitments, the
/// visibility and the packing widths of the statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyingKey {
    /// The SRS's verifier part.
    pub srs: VerifierKey,
    /// The model and its weight commitments.
    pub model: ModelKey,
    /// The statement's visibility.
    pub vis: Visibility,
    /// Packing widths of the input and output classes (the model's bounds).
    pub widths: Widths,
}

fn malformed(what: &'static str, message: String) -> BackendError {
    BackendError::Malformed { what, message }
}

fn ser<T: CanonicalSerialize>(
    x: &T,
    out: &mut Vec<u8>,
    what: &'static str,
) -> Result<(), BackendError> {
    x.serialize_compressed(out)
        .map_err(|e| malformed(what, e.to_string()))
}

fn de<T: CanonicalDeserialize>(r: &mut &[u8], what: &'static str) -> Result<T, BackendError> {
    T::deserialize_with_mode(r, Compress::Yes, Validate::Yes)
        .map_err(|e| malformed(what, e.to_string()))
}

fn vis_byte(v: Vis) -> u8 {
    match v {
        Vis::Public => 0,
        Vis::Private => 1,
        Vis::Hashed => 2,
    }
}

fn write_vis(v: Visibility, out: &mut Vec<u8>) {
    out.extend([v.input, v.params, v.output].map(vis_byte));
    out.push(u8::from(v.statement == Statement::Digest));
}

fn read_vis(r: &mut &[u8]) -> Result<Visibility, BackendError> {
    let bad = || malformed("key", "bad visibility bytes".into());
    let (b, rest) = r.split_first_chunk::<4>().ok_or_else(bad)?;
    let vis = |x: u8| match x {
        0 => Ok(Vis::Public),
        1 => Ok(Vis::Private),
        2 => Ok(Vis::Hashed),
        _ => Err(bad()),
    };
    let statement = match b[3] {
        0 => Statement::Packed,
        1 => Statement::Digest,
        _ => return Err(bad()),
    };
    let v = Visibility {
        input: vis(b[0])?,
        params: vis(b[1])?,
        output: vis(b[2])?,
        statement,
    };
    *r = rest;
    Ok(v)
}

fn write_commitments(c: &WeightCommitments, out: &mut Vec<u8>) -> Result<(), BackendError> {
    ser(&(c.w, c.bias), out, "key")
}

fn read_commitments(r: &mut &[u8]) -> Result<WeightCommitments, BackendError> {
    let (w, bias) = de::<(Commitment, Option<Commitment>)>(r, "key")?;
    Ok(WeightCommitments { w, bias })
}

/// Decode all of `bytes` with `read`, then require that `write` gives the same bytes back.
fn strict<T>(
    what: &'static str,
    bytes: &[u8],
    read: impl FnOnce(&mut &[u8]) -> Result<T, BackendError>,
    write: impl FnOnce(&T) -> Result<Vec<u8>, BackendError>,
) -> Result<T, BackendError> {
    let mut r = bytes;
    let x = read(&mut r)?;
    if !r.is_empty() {
        return Err(malformed(what, format!("{} trailing bytes", r.len())));
    }
    if write(&x)? != bytes {
        return Err(malformed(what, "not the canonical encoding".into()));
    }
    Ok(x)
}

impl ProvingKey {
    /// The key's bytes (`proving.key`).
    ///
    /// # Errors
    /// A serialization failure.
    pub fn to_bytes(&self) -> Result<Vec<u8>, BackendError> {
        let mut out = Vec::new();
        self.model.write(&mut out)?;
        write_vis(self.vis, &mut out);
        // Not compressed: decompressing 2^vars points would dominate loading.
        self.commit_key
            .powers()
            .serialize_uncompressed(&mut out)
            .map_err(|e| malformed("proving key", e.to_string()))?;
        Ok(out)
    }

    /// [`ProvingKey::to_bytes`] back. The powers are checked to lie on the curve but not to be
    /// powers of one `τ` (that would cost a pairing per point): a corrupted proving key can
    /// only make proofs that fail verification.
    ///
    /// # Errors
    /// [`BackendError::Malformed`] for bytes that are not a key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BackendError> {
        let mut r = bytes;
        let model = ModelKey::read(&mut r)?;
        let vis = read_vis(&mut r)?;
        let powers = Vec::<G1Affine>::deserialize_with_mode(&mut r, Compress::No, Validate::Yes)
            .map_err(|e| malformed("proving key", e.to_string()))?;
        if !r.is_empty() {
            return Err(malformed("proving key", "trailing bytes".into()));
        }
        Ok(Self {
            commit_key: CommitKey::from_powers(powers),
            model,
            vis,
        })
    }
}

impl VerifyingKey {
    /// The key's bytes (`verifying.key`).
    ///
    /// # Errors
    /// A serialization failure.
    pub fn to_bytes(&self) -> Result<Vec<u8>, BackendError> {
        let mut out = Vec::new();
        self.model.write(&mut out)?;
        write_vis(self.vis, &mut out);
        ser(&(self.widths.input, self.widths.output), &mut out, "key")?;
        let VerifierKey { g1, g2, tau_g2 } = self.srs;
        ser(&(g1, g2, tau_g2), &mut out, "key")?;
        Ok(out)
    }

    /// [`VerifyingKey::to_bytes`] back, every point checked, the encoding canonical.
    ///
    /// # Errors
    /// [`BackendError::Malformed`] for bytes that are not a key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BackendError> {
        strict(
            "verifying key",
            bytes,
            |r| {
                let model = ModelKey::read(r)?;
                let vis = read_vis(r)?;
                let (input, output) = de::<(u32, u32)>(r, "key")?;
                let (g1, g2, tau_g2) = de(r, "key")?;
                Ok(Self {
                    srs: VerifierKey { g1, g2, tau_g2 },
                    model,
                    vis,
                    widths: Widths { input, output },
                })
            },
            Self::to_bytes,
        )
    }

    /// The node and its weight commitments, for a key of one matrix-product node (what
    /// `ContractNodeVerifier` holds; a layered key deploys `ModelVerifier`).
    ///
    /// # Errors
    /// [`BackendError::Unsupported`] for a key of a layered model.
    pub fn node(&self) -> Result<(&MatmulNode, &WeightCommitments), BackendError> {
        match &self.model {
            ModelKey::Node { spec, commitments } => Ok((&spec.node, commitments)),
            ModelKey::Chain { .. } => Err(verinfer_prove::Unsupported {
                backend: super::NAME,
                node: None,
                reason: "a layered (whole model) key has no single node: its Solidity \
                         verifier is the ModelVerifier (backend::onchain::deploy_model_verifier)"
                    .into(),
            }
            .into()),
        }
    }
}
