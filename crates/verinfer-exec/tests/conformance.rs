//! Every primitive's random one-node cases (the convolution with stride, padding, dilation and
//! groups included) through every interpretation `verinfer-testing` reaches: the executor
//! and the one-step reads, against the scalar reference.

use verinfer_testing::ops;

verinfer_testing::op_conformance! {
    conv_stride_padding_dilation_groups => ops::conv, 128;
    matmul => ops::matmul, 128;
    affine => ops::affine, 128;
    rescale => ops::rescale, 128;
    binary => ops::binary, 128;
    div => ops::div, 128;
    lookup => ops::lookup, 128;
    reduce => ops::reduce, 128;
    move_ => ops::move_, 128;
    gather => ops::gather, 128;
    isqrt => ops::isqrt, 256;
    argmax_first_maximum => ops::argmax, 256;
}
