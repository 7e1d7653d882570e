//! Kernels of the small dense models (convolutions, a transformer block): register tiles
//! of `i16` operands ([`tile`]), vector requantization of `i32` values ([`scale`]) and the
//! elementwise loops compiled for the vector unit ([`lanes`]), each
//! under this module's rules ([`super`]) and stating why it is sound.

pub(crate) mod lanes;
pub(crate) mod scale;
pub(crate) mod tile;
