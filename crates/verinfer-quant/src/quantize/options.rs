//! The settings of quantization: widths, table size, headroom, wide inputs.

/// Quantization settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantOptions {
    /// Bit bound of activations and weights (`B`).
    pub bits: u32,
    /// Lookup tables have `2^table_bits` entries.
    pub table_bits: u32,
    /// Activation ranges are taken as `2^headroom_bits` times the calibrated range, so inputs
    /// somewhat outside the calibration set do not saturate.
    pub headroom_bits: u32,
    /// Hold an input whose features span many orders of magnitude at the radicand width
    /// (see `quantize/wide_input.rs`). Off for language-model step graphs: their state inputs
    /// (the KV cache) must stay at the scale and width of the rows each step appends.
    pub wide_inputs: bool,
}

impl Default for QuantOptions {
    fn default() -> Self {
        Self {
            bits: 16,
            table_bits: 12,
            headroom_bits: 1,
            wide_inputs: true,
        }
    }
}

impl QuantOptions {
    /// These options with the widths a caller gave (`None` keeps this one's) and its headroom:
    /// how the CLI and the Python API apply their options to the ONNX and the language-model
    /// defaults alike.
    #[must_use]
    pub fn overridden(
        self,
        bits: Option<u32>,
        table_bits: Option<u32>,
        headroom_bits: u32,
    ) -> Self {
        Self {
            bits: bits.unwrap_or(self.bits),
            table_bits: table_bits.unwrap_or(self.table_bits),
            headroom_bits,
            ..self
        }
    }
}
