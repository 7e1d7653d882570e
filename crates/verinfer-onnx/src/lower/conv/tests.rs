//! Hand-made checks of the convolution and pooling lowerings against naive loops.
