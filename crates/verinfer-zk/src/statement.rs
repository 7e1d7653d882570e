//! What a proof states: the public values of each tensor class under its [`Visibility`], the
//! [`Context`] it is bound to, and the circuit sections that bind them (inputs, weight
//! parameters, outputs).
//!
//! The class elements, in this order: the input class (its packed values, or its Poseidon
//! hash, or nothing), the parameter class (its hash, or nothing: public parameters are circuit
//! constants), the output class (packed values, hash, or nothing). Packing and hashing:
//! [`crate::packing`], [`crate::poseidon`]. The public inputs are the context word and these
//! elements (packed statement), or one SHA-256 digest of them all ([`crate::binding`]).

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field};
use ark_relations::gr1cs::{LinearCombination, Variable};
use verinfer_ir::Graph;

use crate::binding::{self, Context};
use crate::error::{VerifyError, ZkError};
use crate::gadgets::sha256::Element;
use crate::gadgets::{self, var, weighted, Builder, GResult, GadgetError};
use crate::packing::{self, PackError};
use crate::poseidon;
use crate::visibility::{model_params, Statement, Vis, Visibility};
use crate::wire::{fr, Lc, Wire};

/// The public values a proof attests, hashes as BN254 scalars (Poseidon's); the methods of
/// this backend are [`Bn254Values`]'s.
pub type PublicValues = verinfer_prove::PublicValues<Fr>;

pub use verinfer_prove::statement::{Lengths, TensorLen, Widths};

/// The Poseidon hash of `values` packed at width `w`.
pub(crate) fn class_hash(values: &[i32], w: u32) -> Result<Fr, ZkError> {
    let packed = packing::pack(values, w).map_err(|e| ZkError::BadWitness(e.to_string()))?;
    poseidon::hash(&packed).map_err(|e| ZkError::BadWitness(format!("Poseidon: {e}")))
}

/// What Groth16 reads from and writes into [`PublicValues`]: the conversions to and from the
/// backend-neutral form, the values of a trace, and the field elements the circuit's public
/// inputs are.
pub trait Bn254Values: Sized {
    /// The backend-neutral form (hashes as 32-byte words): what [`verinfer_prove`] callers
    /// see. [`Bn254Values::from_neutral`] inverts it.
    #[must_use]
    fn to_neutral(&self) -> verinfer_prove::PublicValues;

    /// The BN254 form of backend-neutral public values.
    ///
    /// # Errors
    /// [`VerifyError::BadPublicValues`] for a hash at or above the BN254 scalar modulus.
    fn from_neutral(p: &verinfer_prove::PublicValues) -> Result<Self, VerifyError>;

    /// The public values of a trace (every value of the graph, inputs first) under `vis`.
    ///
    /// # Errors
    /// [`ZkError::BadWitness`] when the trace does not fit the graph or a value leaves its
    /// class's packing width.
    fn from_trace(
        g: &Graph,
        vis: Visibility,
        ctx: Context,
        trace: &[Vec<i32>],
    ) -> Result<Self, ZkError>;

    /// The class elements in statement order: input class, hashed weights (if any), output
    /// class — the backend-neutral [`verinfer_prove::PublicValues::class_words`] as field
    /// elements.
    ///
    /// # Errors
    /// [`VerifyError::Statement`] for tensors that are not the model's (packing alone would
    /// accept a re-split or zero-padded list), a value outside its packing width or a missing
    /// hash.
    fn class_elements(&self) -> Result<ClassElements, VerifyError>;

    /// The digest statement's one public input (whatever statement the keys use).
    ///
    /// # Errors
    /// As [`Bn254Values::class_elements`].
    fn digest(&self) -> Result<Fr, VerifyError>;

    /// The field elements in the circuit's public-input order: the context word and the class
    /// elements (packed statement), or the digest alone.
    ///
    /// # Errors
    /// As [`Bn254Values::class_elements`].
    fn to_field_elements(&self) -> Result<Vec<Fr>, VerifyError>;
}

/// A word as a BN254 scalar, refused at or above the modulus (`what` names it).
fn word_fr(w: &alloy_primitives::B256, what: &str) -> Result<Fr, VerifyError> {
    binding::word_to_fr(w).ok_or_else(|| {
        VerifyError::BadPublicValues(format!("{what} {w} is not below the BN254 scalar modulus"))
    })
}

impl Bn254Values for PublicValues {
    fn to_neutral(&self) -> verinfer_prove::PublicValues {
        let w = |x: &Fr, _: &str| Ok::<_, std::convert::Infallible>(binding::fr_word(x).into());
        self.try_map_hashes(w)
            .unwrap_or_else(|never| match never {})
    }

    fn from_neutral(p: &verinfer_prove::PublicValues) -> Result<Self, VerifyError> {
        p.try_map_hashes(word_fr)
    }

    fn from_trace(
        g: &Graph,
        vis: Visibility,
        ctx: Context,
        trace: &[Vec<i32>],
    ) -> Result<Self, ZkError> {
        crate::circuit::check_trace(g, trace)?;
        let w = Widths::of(g);
        let inputs: Vec<Vec<i32>> = trace[..g.inputs.len()].to_vec();
        let outputs: Vec<Vec<i32>> = g
            .outputs
            .iter()
            .map(|o| trace[o.value.index()].clone())
            .collect();
        let flat = |v: &[Vec<i32>]| v.iter().flatten().copied().collect::<Vec<i32>>();
        let input_hash = match vis.input {
            Vis::Hashed => Some(class_hash(&flat(&inputs), w.input)?),
            _ => None,
        };
        let output_hash = match vis.output {
            Vis::Hashed => Some(class_hash(&flat(&outputs), w.output)?),
            _ => None,
        };
        let param_hash = match vis.params {
            Vis::Hashed => Some(param_hash(g)?),
            _ => None,
        };
        Ok(Self {
            context: ctx,
            lengths: Lengths::of(g),
            visibility: vis,
            input_width: w.input,
            output_width: w.output,
            inputs: if vis.input == Vis::Public {
                inputs
            } else {
                Vec::new()
            },
            input_hash,
            param_hash,
            outputs: if vis.output == Vis::Public {
                outputs
            } else {
                Vec::new()
            },
            output_hash,
        })
    }

    fn class_elements(&self) -> Result<ClassElements, VerifyError> {
        let c = self.to_neutral().class_words()?;
        let fr = |w: &alloy_primitives::B256| {
            binding::word_to_fr(w).ok_or_else(|| {
                VerifyError::BadPublicValues(format!("{w} is not below the BN254 scalar modulus"))
            })
        };
        Ok(ClassElements {
            inputs: c.inputs.iter().map(fr).collect::<Result<_, _>>()?,
            params: c.params.as_ref().map(fr).transpose()?,
            outputs: c.outputs.iter().map(fr).collect::<Result<_, _>>()?,
        })
    }

    fn digest(&self) -> Result<Fr, VerifyError> {
        let c = self.class_elements()?;
        Ok(binding::statement_digest(
            &self.context,
            &binding::class_digest(&c.inputs),
            c.params.as_ref(),
            &binding::class_digest(&c.outputs),
        ))
    }

    fn to_field_elements(&self) -> Result<Vec<Fr>, VerifyError> {
        let c = self.class_elements()?;
        Ok(binding::public_inputs(
            self.visibility.statement,
            &self.context,
            &c.inputs,
            c.params.as_ref(),
            &c.outputs,
        ))
    }
}

/// The class elements a statement digest hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassElements {
    /// Packed inputs, or their hash, or none.
    pub inputs: Vec<Fr>,
    /// The weights' hash when hashed.
    pub params: Option<Fr>,
    /// Packed outputs, or their hash, or none.
    pub outputs: Vec<Fr>,
}

/// The Poseidon hash of `g`'s weights and biases (the hashed-parameters commitment): each
/// weight or bias tensor packed at its own bit width (a tensor starts a new element), the
/// elements of all tensors chained in parameter order.
///
/// # Errors
/// [`ZkError::BadWitness`] when a parameter leaves its bit width.
pub fn param_hash(g: &Graph) -> Result<Fr, ZkError> {
    let mut elements = Vec::new();
    for p in model_params(g).into_iter().filter_map(|i| g.params.get(i)) {
        let packed = packing::pack(&p.data, p.info.bits.get())
            .map_err(|e| ZkError::BadWitness(format!("parameter {}: {e}", p.name)))?;
        elements.extend(packed);
    }
    poseidon::hash(&elements).map_err(|e| ZkError::BadWitness(format!("Poseidon: {e}")))
}

/// A witness integer of `bits` signed bits, range-checked by its bit decomposition
/// (`bits` constraints); the wire is the decomposition itself.
pub(crate) fn ranged(b: &Builder, x: i128, bits: verinfer_ir::Bits) -> GResult<Wire> {
    let (lo, hi) = (i128::from(bits.min_value()), i128::from(bits.max_value()));
    let bs = b.bits_free(x - lo, bits.get())?;
    let mut lc = weighted(&bs);
    lc.0.push((fr(lo), Variable::One));
    Ok(Wire { lc, val: x, lo, hi })
}

/// Packed linear combinations of `wires` at width `w` (each wire's bounds must lie inside the
/// signed `w`-bit range).
fn pack_lcs(wires: &[&Wire], w: u32) -> GResult<Vec<Lc>> {
    let half = 1i128 << (w - 1);
    let step = Fr::from(2u8).pow([u64::from(w)]);
    let k = packing::per_element(w);
    let mut out = Vec::new();
    for chunk in wires.chunks(k) {
        let mut lc = LinearCombination(Vec::new());
        let mut pow = Fr::ONE;
        for wire in chunk {
            if wire.lo < -half || wire.hi >= half {
                return Err(GadgetError::Malformed("a packed value exceeds its width"));
            }
            lc.0.extend(wire.lc.0.iter().map(|&(c, v)| (c * pow, v)));
            lc.0.push((fr(half) * pow, Variable::One));
            pow *= step;
        }
        lc.compactify();
        out.push(lc);
    }
    Ok(out)
}

/// Packed linear combinations of `wires` and the packed witness `values` at width `w`.
pub(crate) fn pack_class(wires: &[&Wire], values: &[i32], w: u32) -> GResult<(Vec<Lc>, Vec<Fr>)> {
    let lcs = pack_lcs(wires, w)?;
    let packed = packing::pack(values, w).or_else(|e| match e {
        // A dishonest witness: allocate zeros and let the constraints fail.
        PackError::OutOfRange { .. } => Ok(vec![Fr::ZERO; lcs.len()]),
        PackError::Width(_) => Err(GadgetError::Malformed("packing width")),
    })?;
    Ok((lcs, packed))
}

/// The statement elements of packed elements under `vis`: themselves, their hash, or none.
pub(crate) fn elements(
    b: &Builder,
    vis: Vis,
    lcs: Vec<Lc>,
    packed: Vec<Fr>,
) -> GResult<Vec<Element>> {
    Ok(match vis {
        Vis::Public => lcs
            .into_iter()
            .zip(packed)
            .map(|(lc, val)| Element {
                lc,
                val,
                packed: true,
            })
            .collect(),
        Vis::Hashed => {
            let (lc, val) = gadgets::poseidon::hash(b, &lcs, &packed)?;
            vec![Element {
                lc,
                val,
                packed: false,
            }]
        }
        Vis::Private => Vec::new(),
    })
}

/// The statement elements of one class packed at width `w` (see [`pack_class`], [`elements`]).
pub(crate) fn class_statement(
    b: &Builder,
    vis: Vis,
    wires: &[&Wire],
    values: &[i32],
    w: u32,
) -> GResult<Vec<Element>> {
    if vis == Vis::Private {
        return Ok(Vec::new());
    }
    let (lcs, packed) = pack_class(wires, values, w)?;
    elements(b, vis, lcs, packed)
}

/// Bind the context and the class elements to the public inputs: the context word and every
/// element (packed statement, the context unconstrained: the reduction's input constraint
/// binds it), or their digest (digest statement).
pub(crate) fn bind_statement(
    b: &Builder,
    statement: Statement,
    ctx: &Context,
    inputs: &[Element],
    params: Option<&Element>,
    outputs: &[Element],
) -> GResult<()> {
    match statement {
        Statement::Packed => {
            let _context = b.instance(binding::context_input(ctx))?;
            for e in inputs.iter().chain(params).chain(outputs) {
                let x = b.instance(e.val)?;
                b.enforce_eq(var(x), e.lc.clone())?;
            }
        }
        Statement::Digest => {
            let (lc, val) = gadgets::sha256::statement(b, ctx, inputs, params, outputs)?;
            let x = b.instance(val)?;
            b.enforce_eq(var(x), lc)?;
        }
    }
    Ok(())
}

/// A wire clamped into the signed `w`-bit range by a range check when its static bounds do not
/// already guarantee it (`w + 1` constraints then).
pub(crate) fn fit(b: &Builder, wire: &Wire, w: u32) -> GResult<Wire> {
    let half = 1i128 << (w - 1);
    if wire.lo >= -half && wire.hi < half {
        return Ok(wire.clone());
    }
    let mut u = wire.clone();
    u.add_const(half)?;
    b.bits(&u.lc, u.val, w)?;
    Ok(Wire {
        lo: -half,
        hi: half - 1,
        ..wire.clone()
    })
}
