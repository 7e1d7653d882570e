// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";
import {ModelPlan} from "./ModelPlan.sol";
import {ModelLayerCall} from "./ModelLayerCall.sol";
import {ModelLayers} from "./ModelLayers.sol";
import {ModelWiring} from "./ModelWiring.sol";
import {ModelArith} from "./ModelArith.sol";
import {ModelAttn} from "./ModelAttn.sol";
import {ModelDiv} from "./ModelDiv.sol";

/// @title ModelLayerVerifier — the layers of a layered proof, last first (Rust: the layer loop of
///         `gkr::verify_model`)
/// @notice Created by `ModelVerifier`'s constructor and called by it once per proof with the
///         state the layers need (`ModelLayerCall`); holds no state. One library per layer
///         kind, named after the Rust module it mirrors; the dispatch on the plan's kind word is
///         here alone: 0 a matrix product and 1 a clip (`ModelLayers`), 2 a move and 3 a
///         `ReduceMax` (`ModelWiring`), 4 a two-operand layer, `Rescale` or sum (`ModelArith`,
///         `gkr::arith`), 5 a product of two activations (`ModelAttn`), 6 a division
///         (`ModelDiv`), 7 a lookup (nothing here: `ModelLookup`, after the range groups, in
///         `ModelVerifier`); any other kind is a plan this verifier cannot read (code 66).
contract ModelLayerVerifier {
    using ModelPlan for ModelPlan.Run;

    fallback(bytes calldata) external returns (bytes memory) {
        (ModelPlan.Run memory r, SumcheckTranscript.Transcript memory t, SumcheckFr.Cursor memory c) =
            ModelLayerCall.open();
        uint256 layers = r.next();
        for (uint256 i = 0; i < layers; i++) {
            (uint256 base, uint256 from) = (ModelPlan.mark(), r.nClaims);
            uint256 kind = r.next();
            if (kind == 0) ModelLayers.matmul(r, t, c);
            else if (kind == 1) ModelLayers.clip(r, t, c);
            else if (kind == 2) ModelWiring.move(r, t, c);
            else if (kind == 3) ModelWiring.reduceMax(r, t, c);
            else if (kind == 4) ModelArith.verify(r, t, c);
            else if (kind == 5) ModelAttn.verify(r, t, c);
            else if (kind == 6) ModelDiv.verify(r, t, c);
            else if (kind == 7) continue; // a lookup: its argument follows the range groups
            else revert SumcheckFr.SumcheckRejected(ModelPlan.CLAIMS);
            r.compact(t, base, from);
        }
        return ModelLayerCall.answer(r, t, c);
    }
}
