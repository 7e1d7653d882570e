//! The initial phase-2 parameters (δ = 1) from a public powers-of-tau file instead of a local
//! phase 1: the key arkworks' generator would make for τ, α, β of the ceremony and γ = δ = 1
//! (as snarkjs `zkey new` does), computed from the file's points without anyone knowing τ.
//!
//! It must match what `ark_groth16::Groth16::<Bn254>` (LibsnarkReduction) proves with:
//!
//! * the domain is `GeneralEvaluationDomain::new(constraints + instance variables)`, radix-2
//!   of size n for BN254 (two-adicity 28), elements ωⁱ in natural order — the same ω and
//!   order as snarkjs's Lagrange blocks (both take the 2^28-th root 5^t and an inverse FFT in
//!   natural order; [`check_phase1`] verifies it for the file at hand);
//! * the A polynomial of instance variable i gets the extra row `constraints + i`;
//! * a, b (G1 and G2) queries are Σ coeff·Lᵣ(τ) over each variable's column;
//! * γ_abc (instance) and l (witness) are β·Aᵢ(τ) + α·Bᵢ(τ) + Cᵢ(τ), divided by γ = 1 and
//!   δ = 1;
//! * the prover evaluates h over a coset and multiplies it into `h_query`, whose element i is
//!   τⁱ·t(τ)/δ for i < n − 1, t(X) = Xⁿ − 1: that is τ^(i+n) − τⁱ, taken from the G1 powers.

use std::io::{Read, Seek};

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{batch_inversion, BigInteger, Field, One, PrimeField, UniformRand, Zero};
use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode, R1CS_PREDICATE_LABEL,
};
use rayon::prelude::*;
use verinfer_ir::Graph;

use super::ptau::{Ptau, PtauError, Section};
use super::{CeremonyError, Params};
use crate::circuit::GraphCircuit;
use crate::error::ZkError;
use crate::files::{to_hex, KeyManifest, Phase1};
use crate::groth16::{ProvingKey, VerifyingKey};
use crate::visibility::Visibility;

/// Each variable's column of one R1CS matrix: (row, coefficient).
type Columns = Vec<Vec<(usize, Fr)>>;

/// The R1CS of `g` under `vis` as arkworks' generator sees it: A, B, C by column, the number
/// of constraints and of instance variables (the constant one included).
fn r1cs(g: &Graph, vis: Visibility) -> Result<([Columns; 3], usize, usize), ZkError> {
    let circuit = GraphCircuit::blank_with_visibility(g, vis)?;
    let slot = circuit.error_slot();
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    circuit
        .generate_constraints(cs.clone())
        .map_err(|e| crate::groth16::stashed(&slot, e))?;
    cs.finalize();
    let (rows, inputs) = (cs.num_constraints(), cs.num_instance_variables());
    let vars = inputs + cs.num_witness_variables();
    let all = cs.to_matrices().map_err(ZkError::Synthesis)?;
    let m = all
        .get(R1CS_PREDICATE_LABEL)
        .ok_or_else(|| ZkError::BadWitness("the circuit has no R1CS constraints".into()))?;
    let mut cols: [Columns; 3] = std::array::from_fn(|_| vec![Vec::new(); vars]);
    for (k, col) in cols.iter_mut().enumerate() {
        let matrix = m
            .get(k)
            .ok_or_else(|| ZkError::BadWitness("an R1CS matrix is missing".into()))?;
        for (row, terms) in matrix.iter().enumerate() {
            for &(coeff, var) in terms {
                if let Some(c) = col.get_mut(var) {
                    c.push((row, coeff));
                }
            }
        }
    }
    // arkworks binds each instance variable i through A with an extra row `rows + i`.
    for (i, c) in cols[0].iter_mut().take(inputs).enumerate() {
        c.push((rows + i, Fr::one()));
    }
    Ok((cols, rows, inputs))
}

/// `Σ coeff·bases[row]`: an MSM for long columns, a cheap multiplication for the usual short
/// ones with ±1 or small coefficients.
fn combine<P: AffineRepr<ScalarField = Fr>>(bases: &[P], terms: &[(usize, Fr)]) -> P::Group {
    let at = |r: usize| bases.get(r).copied().unwrap_or_else(P::zero);
    if terms.len() >= 16 {
        let b: Vec<P> = terms.iter().map(|&(r, _)| at(r)).collect();
        let s: Vec<Fr> = terms.iter().map(|&(_, c)| c).collect();
        return P::Group::msm_unchecked(&b, &s);
    }
    let mut acc = P::Group::zero();
    for &(r, c) in terms {
        let p = at(r);
        let neg = -c;
        if c.is_one() {
            acc += p;
        } else if neg.is_one() {
            acc -= p;
        } else {
            let (pos, neg) = (c.into_bigint(), neg.into_bigint());
            if neg.num_bits() < pos.num_bits() {
                acc -= p.mul_bigint(neg);
            } else {
                acc += p.mul_bigint(pos);
            }
        }
    }
    acc
}

/// Random ρ's and `Σ ρ_j·xs[j]` for each slice given (all the same length).
fn random_sums<P: AffineRepr<ScalarField = Fr>>(sets: &[&[P]], rho: &[Fr]) -> Vec<P> {
    sets.iter()
        .map(|xs| P::Group::msm_unchecked(xs, rho).into_affine())
        .collect()
}

/// The points of the file a circuit of domain size n uses.
pub(crate) struct Phase1Points {
    /// τ^i·G1, i < 2n − 1.
    pub tau_g1: Vec<G1Affine>,
    /// G2 and τ·G2.
    pub tau_g2: Vec<G2Affine>,
    /// α·τ^i·G1, i < n.
    pub alpha_tau: Vec<G1Affine>,
    /// β·τ^i·G1, i < n.
    pub beta_tau: Vec<G1Affine>,
    /// β·G2.
    pub beta_g2: G2Affine,
    /// L_i(τ)·G1, α·L_i(τ)·G1, β·L_i(τ)·G1 and L_i(τ)·G2 for the size-n domain.
    pub l_g1: Vec<G1Affine>,
    pub l_alpha: Vec<G1Affine>,
    pub l_beta: Vec<G1Affine>,
    pub l_g2: Vec<G2Affine>,
}

impl Phase1Points {
    /// Read (and validate point by point) what a domain of size 2^`log_n` needs.
    pub(crate) fn read<R: Read + Seek>(p: &mut Ptau<R>, log_n: u32) -> Result<Self, PtauError> {
        let n = 1u64 << log_n;
        let beta_g2 = p
            .points::<G2Affine>(Section::BetaG2, 0, 1)?
            .first()
            .copied()
            .unwrap_or_else(G2Affine::zero);
        Ok(Self {
            tau_g1: p.points(Section::TauG1, 0, 2 * n - 1)?,
            tau_g2: p.points(Section::TauG2, 0, 2.min(1u64 << p.power()))?,
            alpha_tau: p.points(Section::AlphaTauG1, 0, n)?,
            beta_tau: p.points(Section::BetaTauG1, 0, n)?,
            beta_g2,
            l_g1: p.lagrange(Section::LTauG1, log_n)?,
            l_alpha: p.lagrange(Section::LAlphaTauG1, log_n)?,
            l_beta: p.lagrange(Section::LBetaTauG1, log_n)?,
            l_g2: p.lagrange(Section::LTauG2, log_n)?,
        })
    }
}

/// Check that the points describe one τ, α, β and that the Lagrange blocks are the Lagrange
/// transform of the powers over arkworks' domain `d` (so arkworks' ω and element order are
/// snarkjs's). Random linear combinations turn each family of equations into one pairing or
/// MSM comparison; a file that fails any of them would give keys that do not prove, or that
/// someone other than the ceremony's participants holds a trapdoor for.
///
/// # Errors
/// [`PtauError::Inconsistent`] naming the relation that fails.
pub(crate) fn check_phase1(
    pts: &Phase1Points,
    d: &GeneralEvaluationDomain<Fr>,
) -> Result<(), PtauError> {
    let bad = |what: &str| Err(PtauError::Inconsistent(what.to_string()));
    let n = d.size();
    let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
    if pts.tau_g1.first() != Some(&g1) || pts.tau_g2.first() != Some(&g2) {
        return bad("τ^0 is not the standard generator");
    }
    let tau2 = pts.tau_g2.get(1).copied().unwrap_or(g2);
    let mut rng = crate::groth16::os_rng();
    let e_eq = |a1: G1Affine, b1: G2Affine, a2: G1Affine, b2: G2Affine| {
        Bn254::multi_pairing([a1, -a2], [b1, b2]).is_zero()
    };
    // Successive powers differ by τ (τ as in τ·G2): e(Σρ·x_j, τ·G2) = e(Σρ·x_{j+1}, G2).
    for (name, xs) in [
        ("τ", &pts.tau_g1),
        ("α·τ", &pts.alpha_tau),
        ("β·τ", &pts.beta_tau),
    ] {
        if xs.len() < 2 {
            continue;
        }
        let k = xs.len() - 1;
        let rho: Vec<Fr> = (0..k).map(|_| Fr::rand(&mut rng)).collect();
        let s = random_sums(&[&xs[..k], &xs[1..]], &rho);
        if !e_eq(s[0], tau2, s[1], g2) {
            return bad(&format!(
                "the {name} powers in G1 are not successive powers of τ"
            ));
        }
    }
    let (Some(_), Some(&beta)) = (pts.alpha_tau.first(), pts.beta_tau.first()) else {
        return bad("α or β is missing");
    };
    if !e_eq(beta, g2, g1, pts.beta_g2) {
        return bad("β·G1 and β·G2 differ");
    }
    // Lagrange blocks: for f(X) = Σ_{j<n} r^j X^j, f(τ) = Σ_i f(ω^i)·L_i(τ) with
    // f(ω^i) = (r^n − 1)/(r·ω^i − 1).
    let r = Fr::rand(&mut rng);
    let rn = r.pow([n as u64]);
    let mut c: Vec<Fr> = d.elements().map(|w| r * w - Fr::one()).collect();
    if c.iter().any(Zero::is_zero) || rn.is_one() {
        return bad("unlucky random point (retry)");
    }
    batch_inversion(&mut c);
    c.iter_mut().for_each(|x| *x *= rn - Fr::one());
    let powers: Vec<Fr> = std::iter::successors(Some(Fr::one()), |p| Some(*p * r))
        .take(n)
        .collect();
    for (name, pw, l) in [
        ("τ", &pts.tau_g1, &pts.l_g1),
        ("α·τ", &pts.alpha_tau, &pts.l_alpha),
        ("β·τ", &pts.beta_tau, &pts.l_beta),
    ] {
        let lhs = G1Projective::msm_unchecked(pw.get(..n).unwrap_or(&[]), &powers);
        let rhs = G1Projective::msm_unchecked(l, &c);
        if pw.len() < n || l.len() != n || lhs != rhs {
            return bad(&format!(
                "the {name} Lagrange block for domain size {n} is not the Lagrange transform \
                 of the powers over arkworks' domain"
            ));
        }
    }
    // The G2 Lagrange block encodes the same scalars as the G1 one.
    let rho: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
    let a = G1Projective::msm_unchecked(&pts.l_g1, &rho).into_affine();
    let b = G2Projective::msm_unchecked(&pts.l_g2, &rho).into_affine();
    if pts.l_g2.len() != n || !e_eq(a, g2, g1, b) {
        return bad("the τ Lagrange block in G2 differs from the one in G1");
    }
    Ok(())
}

/// Groth16's phase-1 check on a `.ptau` (an extension of the shared reader, which knows
/// nothing of Groth16).
pub trait CheckDomain {
    /// Read and check every point a domain of size 2^`log_n` uses ([`check_phase1`]): what
    /// [`Params::from_ptau`] does before building a key, on its own.
    ///
    /// # Errors
    /// [`PtauError::TooSmall`] past the file's power, or what reading or checking finds.
    fn check_domain(&mut self, log_n: u32) -> Result<(), PtauError>;
}

impl<R: Read + Seek> CheckDomain for Ptau<R> {
    fn check_domain(&mut self, log_n: u32) -> Result<(), PtauError> {
        let d = (log_n <= self.power())
            .then(|| GeneralEvaluationDomain::<Fr>::new(1 << log_n))
            .flatten()
            .ok_or(PtauError::TooSmall {
                needed: log_n,
                rows: 1 << log_n.min(MAX_DOMAIN_LOG + 1),
                power: self.power(),
            })?;
        let pts = Phase1Points::read(self, log_n)?;
        check_phase1(&pts, &d)
    }
}

/// The Groth16 key (γ = δ = 1) for the R1CS columns from checked phase-1 points.
fn key(pts: &Phase1Points, cols: &[Columns; 3], inputs: usize, n: usize) -> ProvingKey {
    let [a, b, c] = cols;
    let g1 = |f: &(dyn Fn(usize) -> G1Projective + Sync)| -> Vec<G1Affine> {
        let v: Vec<G1Projective> = (0..a.len()).into_par_iter().map(f).collect();
        G1Projective::normalize_batch(&v)
    };
    let a_query = g1(&|v| combine(&pts.l_g1, &a[v]));
    let b_g1_query = g1(&|v| combine(&pts.l_g1, &b[v]));
    let b_g2: Vec<G2Projective> = (0..b.len())
        .into_par_iter()
        .map(|v| combine(&pts.l_g2, &b[v]))
        .collect();
    let abc = g1(&|v| {
        combine(&pts.l_beta, &a[v]) + combine(&pts.l_alpha, &b[v]) + combine(&pts.l_g1, &c[v])
    });
    let h: Vec<G1Projective> = (0..n.saturating_sub(1))
        .into_par_iter()
        .map(|i| {
            let hi = pts
                .tau_g1
                .get(i + n)
                .copied()
                .unwrap_or_else(G1Affine::zero);
            let lo = pts.tau_g1.get(i).copied().unwrap_or_else(G1Affine::zero);
            hi.into_group() - lo
        })
        .collect();
    let split = inputs.min(abc.len());
    ProvingKey {
        vk: VerifyingKey {
            alpha_g1: pts
                .alpha_tau
                .first()
                .copied()
                .unwrap_or_else(G1Affine::zero),
            beta_g2: pts.beta_g2,
            gamma_g2: G2Affine::generator(),
            delta_g2: G2Affine::generator(),
            gamma_abc_g1: abc[..split].to_vec(),
        },
        beta_g1: pts.beta_tau.first().copied().unwrap_or_else(G1Affine::zero),
        delta_g1: G1Affine::generator(),
        a_query,
        b_g1_query,
        b_g2_query: G2Projective::normalize_batch(&b_g2),
        h_query: G1Projective::normalize_batch(&h),
        l_query: abc[split..].to_vec(),
    }
}

impl Params {
    /// Initial parameters for `g` under `vis` from a prepared `.ptau` of a public phase-1
    /// ceremony (δ = γ = 1; nothing random is sampled, so anyone with the file and the model
    /// recomputes exactly these parameters). The file's BLAKE2b-512 and power are recorded in
    /// the manifest, hence in the circuit hash every contribution commits to.
    ///
    /// # Errors
    /// [`CeremonyError::Ptau`] for a malformed, inconsistent or too small file;
    /// [`CeremonyError::Setup`] for a graph without a circuit.
    pub fn from_ptau<R: Read + Seek>(
        g: &Graph,
        model_id: String,
        vis: Visibility,
        ptau: &mut Ptau<R>,
    ) -> Result<Self, CeremonyError> {
        let constraints: usize = crate::constraint_counts_with(g, vis)?
            .values()
            .map(|c| c.constraints)
            .sum();
        let (cols, rows, inputs) = r1cs(g, vis)?;
        let d = GeneralEvaluationDomain::<Fr>::new(rows + inputs).ok_or(PtauError::TooSmall {
            needed: MAX_DOMAIN_LOG + 1,
            rows: rows + inputs,
            power: ptau.power(),
        })?;
        let n = d.size();
        let log_n = n.trailing_zeros();
        if !n.is_power_of_two() || log_n > ptau.power() {
            return Err(PtauError::TooSmall {
                needed: log_n,
                rows: rows + inputs,
                power: ptau.power(),
            }
            .into());
        }
        let pts = Phase1Points::read(ptau, log_n)?;
        check_phase1(&pts, &d)?;
        let pk = key(&pts, &cols, inputs, n);
        let mut manifest = KeyManifest::new(g, model_id, vis, &pk.vk, constraints)?;
        manifest.phase1 = Some(Phase1 {
            ptau_blake2b: to_hex(&ptau.blake2b()?),
            power: ptau.power(),
            ceremony_power: ptau.ceremony_power(),
        });
        Ok(Self {
            manifest,
            pk,
            contributions: Vec::new(),
        })
    }
}

/// log2 of the largest domain (BN254's two-adicity).
const MAX_DOMAIN_LOG: u32 = super::ptau::MAX_POWER;
