//! Tensors as the contracts see them: `int32[][]` lists, their Merkle roots, and the
//! `abi.encode(int32[][])` bytes that ERC-7007 calls `prompt` and `aigcData`.

use alloy_primitives::{keccak256, Bytes, B256, U256};
use alloy_sol_types::SolValue;
use verinfer_commit::tensor_root;
use verinfer_ir::Graph;

use crate::error::{OracleError, Result};

/// The tensor root of each tensor (`MerkleLib.tensorRoot`).
pub fn tensor_roots(tensors: &[Vec<i32>]) -> Vec<B256> {
    tensors
        .iter()
        .map(|t| B256::from(tensor_root(t).to_bytes()))
        .collect()
}

/// `keccak256(abi.encode(roots))`: a claim's `inputsHash` / `outputsHash` and a request's
/// `inputsHash`.
pub fn roots_hash(tensors: &[Vec<i32>]) -> B256 {
    keccak256(tensor_roots(tensors).abi_encode())
}

/// `abi.encode(int32[][])` of `tensors`: the canonical ERC-7007 `prompt` / `aigcData`.
pub fn encode_tensors(tensors: &[Vec<i32>]) -> Bytes {
    Bytes::from(tensors.to_vec().abi_encode())
}

/// Decodes `abi.encode(int32[][])` (refusing non-canonical encodings, as the contract does).
///
/// # Errors
/// [`OracleError::Protocol`] for bytes that are not a canonical encoding.
pub fn decode_tensors(data: &[u8]) -> Result<Vec<Vec<i32>>> {
    let t = <Vec<Vec<i32>>>::abi_decode(data)
        .map_err(|e| OracleError::protocol("int32[][] encoding", e.to_string()))?;
    if encode_tensors(&t).as_ref() != data {
        return Err(OracleError::protocol(
            "int32[][] encoding",
            "not the canonical encoding",
        ));
    }
    Ok(t)
}

/// The ERC-7007 token id of a prompt: `uint256(keccak256(abi.encode(prompt)))`.
pub fn token_id(prompt: &[Vec<i32>]) -> U256 {
    U256::from_be_bytes(keccak256(encode_tensors(prompt)).0)
}

/// Element counts of a graph's input and output tensors: the shapes an `AIGC` collection of
/// the model is deployed with.
///
/// # Errors
/// [`OracleError::Protocol`] for an output value the graph does not describe (an invalid
/// graph).
pub fn model_shapes(graph: &Graph) -> Result<(Vec<usize>, Vec<usize>)> {
    let inputs = graph.inputs.iter().map(|i| i.info.shape.numel()).collect();
    let outputs = graph
        .outputs
        .iter()
        .map(|o| {
            graph
                .value_info(o.value)
                .map(|info| info.shape.numel())
                .ok_or_else(|| {
                    OracleError::protocol("graph outputs", format!("no value {}", o.value.index()))
                })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((inputs, outputs))
}
