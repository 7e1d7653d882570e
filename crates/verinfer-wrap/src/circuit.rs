//! The circuit of a tape: one pass over its ops assigning halo2-base cells.

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::{GateChip, GateInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr as HFr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::poseidon::hasher::{spec::OptimizedPoseidonSpec, PoseidonHasher};
use halo2_base::AssignedValue;
use verinfer_tape::{poseidon, Op, Tape, Values};

use crate::convert::fr_to_halo2;
use crate::WrapError;

/// The Poseidon the circuit hashes with: width 3, rate 2, R_F = 8, R_P = 57, the first secure
/// MDS (`verinfer_tape::poseidon` natively).
pub(crate) fn poseidon_hasher() -> PoseidonHasher<HFr, { poseidon::T }, { poseidon::RATE }> {
    PoseidonHasher::new(OptimizedPoseidonSpec::new::<
        { poseidon::R_F },
        { poseidon::R_P },
        0,
    >())
}

/// Rows halo2 keeps for blinding at the bottom of each column (halo2-base's usual margin).
pub(crate) const MINIMUM_ROWS: usize = 20;

/// Assigns `tape` into `builder`'s first phase and exposes its publics in instance column 0;
/// returns the public inputs. `values = None` assigns zeros (key generation: the keys
/// depend only on the tape), an inverse of zero then being zero.
///
/// # Errors
/// [`WrapError::PublicCount`]/[`WrapError::Tape`] when `values` do not fit the tape.
pub(crate) fn assign(
    builder: &mut BaseCircuitBuilder<HFr>,
    tape: &Tape,
    values: Option<&Values>,
) -> Result<Vec<HFr>, WrapError> {
    if let Some(v) = values {
        if v.public.len() != tape.num_public() {
            return Err(WrapError::PublicCount {
                expected: tape.num_public(),
                got: v.public.len(),
            });
        }
        if v.witness.len() != tape.num_witness() {
            return Err(verinfer_tape::TapeError::CountMismatch {
                what: "witnesses",
                expected: tape.num_witness(),
                got: v.witness.len(),
            }
            .into());
        }
    }
    let gate = GateChip::<HFr>::default();
    let mut hasher = poseidon_hasher();
    let ctx = builder.main(0);
    hasher.initialize_consts(ctx, &gate);
    let mut cells: Vec<AssignedValue<HFr>> = Vec::with_capacity(tape.num_vars());
    let mut publics: Vec<AssignedValue<HFr>> = Vec::with_capacity(tape.num_public());
    let mut public_values = values.map(|v| v.public.iter());
    let mut witness_values = values.map(|v| v.witness.iter());
    for (i, op) in tape.ops().iter().enumerate() {
        // Operands precede their use on a builder-made tape; `cell` guards regardless.
        let cell = |v: &verinfer_tape::Var| {
            cells.get(v.index()).copied().ok_or(WrapError::Tape(
                verinfer_tape::TapeError::UnknownVar {
                    op: i,
                    var: v.index(),
                },
            ))
        };
        let out = match op {
            Op::Constant(c) => ctx.load_constant(fr_to_halo2(c)),
            Op::Public => {
                let x = ctx.load_witness(next_value(&mut public_values));
                publics.push(x);
                x
            }
            Op::Witness => ctx.load_witness(next_value(&mut witness_values)),
            Op::Add(a, b) => gate.add(ctx, cell(a)?, cell(b)?),
            Op::Sub(a, b) => gate.sub(ctx, cell(a)?, cell(b)?),
            Op::Mul(a, b) => gate.mul(ctx, cell(a)?, cell(b)?),
            Op::MulAdd(a, b, c) => gate.mul_add(ctx, cell(a)?, cell(b)?, cell(c)?),
            Op::Inv(a) => {
                let a = cell(a)?;
                let w = Option::<HFr>::from(a.value().invert());
                let w = match (w, values) {
                    (Some(w), _) => w,
                    (None, None) => HFr::ZERO,
                    (None, Some(_)) => {
                        return Err(verinfer_tape::TapeError::InverseOfZero { op: i }.into())
                    }
                };
                let w = ctx.load_witness(w);
                let one = gate.mul(ctx, a, w);
                gate.assert_is_const(ctx, &one, &HFr::ONE);
                w
            }
            Op::Hash(xs) => {
                let inputs = xs.iter().map(cell).collect::<Result<Vec<_>, _>>()?;
                hasher.hash_fix_len_array(ctx, &gate, &inputs)
            }
            Op::AssertEq(a, b) => {
                ctx.constrain_equal(&cell(a)?, &cell(b)?);
                continue;
            }
            Op::AssertZero(a) => {
                gate.assert_is_const(ctx, &cell(a)?, &HFr::ZERO);
                continue;
            }
        };
        cells.push(out);
    }
    let public_inputs = publics.iter().map(|c| *c.value()).collect();
    builder.assigned_instances = vec![publics];
    Ok(public_inputs)
}

/// The next value of `it`, zero when there are none (key generation).
fn next_value(it: &mut Option<std::slice::Iter<'_, ark_bn254::Fr>>) -> HFr {
    it.as_mut()
        .and_then(Iterator::next)
        .map(fr_to_halo2)
        .unwrap_or(HFr::ZERO)
}

/// The size of a tape's circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CircuitShape {
    /// Advice cells (halo2-base's vertical gate: four cells a gate).
    pub advice_cells: usize,
    /// Constants in fixed cells.
    pub fixed_cells: usize,
}

impl CircuitShape {
    /// The smallest `k` (2^k rows) fitting the advice in at most `max_advice` columns.
    pub fn k_for_columns(&self, max_advice: usize) -> u32 {
        let per_column = self.advice_cells.div_ceil(max_advice.max(1)) + MINIMUM_ROWS + 1;
        let need = per_column.max(self.fixed_cells + MINIMUM_ROWS + 1);
        need.next_power_of_two().trailing_zeros().max(6)
    }
}

/// Counts a tape's cells (one assignment pass with zeros).
///
/// # Errors
/// Never for a builder-made tape.
pub fn circuit_shape(tape: &Tape) -> Result<CircuitShape, WrapError> {
    let mut b = BaseCircuitBuilder::<HFr>::new(false).use_instance_columns(1);
    assign(&mut b, tape, None)?;
    let stats = b.statistics();
    Ok(CircuitShape {
        advice_cells: stats.gate.total_advice_per_phase.iter().sum(),
        fixed_cells: stats.gate.total_fixed,
    })
}
