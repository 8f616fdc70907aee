// A V-Net with the layer structure of /work/shared/bench/torch_vnet_step.py, written with plain tf ops so
// the speed benchmarks do not depend on the project's model code. NDHWC layout (tfjs conv3d is channels-last).
// `batchNormTrain`, when given (src/nn/kernels' fused op), replaces the op-by-op batch norm + ReLU.
export function buildVNet(tf, { filters = 8, classes = 2, inChannels = 1, batchNormTrain } = {}) {
  const c = [filters, 2 * filters, 4 * filters, 8 * filters, 16 * filters];
  const vars = [];
  // PyTorch's default conv init (uniform, bound 1/sqrt(fan_in)); the exact values do not matter for timing.
  const conv = (k, cin, cout, transposed = false) => {
    const fanIn = (transposed ? cout : cin) * k * k * k;
    const b = 1 / Math.sqrt(fanIn);
    const shape = transposed ? [k, k, k, cout, cin] : [k, k, k, cin, cout];
    const w = tf.variable(tf.randomUniform(shape, -b, b));
    const bias = tf.variable(tf.randomUniform([cout], -b, b));
    vars.push(w, bias);
    return { w, bias, cout };
  };
  const bn = (ch) => {
    const g = tf.variable(tf.ones([ch]));
    const beta = tf.variable(tf.zeros([ch]));
    vars.push(g, beta);
    return { g, beta };
  };
  const stage = (n, cin, cout) => Array.from({ length: n }, (_, i) => ({ conv: conv(3, i === 0 ? cin : cout, cout), bn: bn(cout) }));
  const enc = [stage(1, inChannels, c[0]), stage(2, c[1], c[1]), stage(3, c[2], c[2]), stage(3, c[3], c[3]), stage(3, c[4], c[4])];
  const downs = [0, 1, 2, 3].map((i) => ({ conv: conv(2, c[i], c[i + 1]), bn: bn(c[i + 1]) }));
  const ups = [0, 1, 2, 3].map((i) => ({ conv: conv(2, c[4 - i], c[3 - i], true), bn: bn(c[3 - i]) }));
  const dec = [stage(3, c[3], c[3]), stage(3, c[2], c[2]), stage(2, c[1], c[1]), stage(1, c[0], c[0])];
  const head = conv(1, c[0], classes);

  const batchNormRelu = (x, p) => {
    // Written out with elementwise ops: tfjs's FusedBatchNorm gradient assumes rank-4 inputs and fails on 5-D.
    const { mean, variance } = tf.moments(x, [0, 1, 2, 3]);
    const scale = tf.mul(tf.rsqrt(tf.add(variance, 1e-5)), p.g);
    return tf.relu(tf.add(tf.mul(tf.sub(x, mean), scale), p.beta));
  };
  const bnRelu = (y, l) =>
    batchNormTrain ? batchNormTrain(y, l.bn.g, l.bn.beta, { bias: l.conv.bias, relu: true }).y : batchNormRelu(tf.add(y, l.conv.bias), l.bn);
  const convBnRelu = (x, l, stride = 1, pad = 'same') => bnRelu(tf.conv3d(x, l.conv.w, stride, pad), l);
  const upBnRelu = (x, l) => {
    const [n, d, h, w] = x.shape;
    return bnRelu(tf.conv3dTranspose(x, l.conv.w, [n, 2 * d, 2 * h, 2 * w, l.conv.cout], 2, 'valid'), l);
  };
  const dropout3d = (x, training) => (training ? tf.dropout(x, 0.5, [x.shape[0], 1, 1, 1, x.shape[4]]) : x);

  function forward(x, training = true) {
    const skips = [];
    for (let i = 0; i < 5; i++) {
      for (const l of enc[i]) x = convBnRelu(x, l);
      if (i < 4) {
        skips.push(x);
        x = convBnRelu(x, downs[i], 2, 'valid');
      }
    }
    x = dropout3d(x, training);
    for (let i = 0; i < 4; i++) {
      x = tf.add(upBnRelu(x, ups[i]), skips[3 - i]);
      for (const l of dec[i]) x = convBnRelu(x, l);
    }
    x = dropout3d(x, training);
    return tf.add(tf.conv3d(x, head.w, 1, 'valid'), head.bias);
  }
  return { vars, forward };
}

/** Forward GFLOP of the conv layers, counted like torch_vnet_step.py (2 * MACs). */
export function vnetForwardFlops([n, d, h, w], filters, classes = 2) {
  const c = [filters, 2 * filters, 4 * filters, 8 * filters, 16 * filters];
  const depthsEnc = [1, 2, 3, 3, 3];
  const depthsDec = [3, 3, 2, 1];
  let flops = 0;
  const vox = (lvl) => n * (d >> lvl) * (h >> lvl) * (w >> lvl);
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < depthsEnc[i]; j++) flops += 2 * vox(i) * (j === 0 && i === 0 ? 1 : c[i]) * 27 * c[i];
    if (i < 4) flops += 2 * vox(i + 1) * c[i] * 8 * c[i + 1];
  }
  for (let i = 0; i < 4; i++) {
    flops += 2 * vox(4 - i) * c[4 - i] * 8 * c[3 - i]; // transposed conv: inputs x out channels x k
    flops += depthsDec[i] * 2 * vox(3 - i) * c[3 - i] * 27 * c[3 - i];
  }
  flops += 2 * vox(0) * c[0] * classes;
  return flops;
}

/** One SGD-momentum training step function (softmax cross entropy). */
export function makeTrainStep(tf, net, lr = 0.01) {
  const opt = tf.train.momentum(lr, 0.9);
  return (x, onehot) => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(onehot, net.forward(x, true)), true, net.vars);
    const v = loss.dataSync()[0];
    loss.dispose();
    return v;
  };
}
