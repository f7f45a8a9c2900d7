// Runs the seed notebook's first cell against gradd as ONE Run request:
//
//   w = tf.Variable(tf.random.normal((3, 2)), name='w'); b = tf.Variable(tf.zeros(2))
//   x = [[1., 2., 3.]]
//   with tf.GradientTape() as tape:
//       y = x @ w + b
//       loss = tf.reduce_mean(y**2)
//   [dl_dw, dl_db] = tape.gradient(loss, [w, b])
//
// Usage: GRADD_ADDR=host:port node seed.js   (default localhost:50051)
'use strict';

const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO = path.join(__dirname, '..', '..', 'proto', 'gradd', 'v1', 'gradd.proto');

function loadGradd() {
  const def = protoLoader.loadSync(PROTO, {
    keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true,
  });
  return grpc.loadPackageDefinition(def).gradd.v1;
}

function client(addr) {
  const gradd = loadGradd();
  return new gradd.Gradd(addr, grpc.credentials.createInsecure());
}

function call(stub, method, request, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    stub[method](request, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

// A float32 tensor with row-major values in the typed field.
function f32(shape, values) {
  return { dtype: 'DTYPE_FLOAT32', shape, float_val: values };
}

// Decodes a result Tensor (typed field or little-endian raw bytes) to {shape, values}.
function decode(t) {
  const shape = t.shape.map(Number);
  let values;
  if (t.raw && t.raw.length) {
    const buf = Buffer.from(t.raw);
    values = [];
    for (let i = 0; i < buf.length; i += 4) values.push(buf.readFloatLE(i));
  } else {
    values = Array.from(t.float_val);
  }
  return { shape, values };
}

// Box-Muller normal samples (the client's tf.random.normal).
function randomNormal(n) {
  const out = [];
  while (out.length < n) {
    const u = 1 - Math.random();
    const v = Math.random();
    out.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return out;
}

// Runs the cell in a new session; returns {w, dl_dw, dl_db, loss, runs}.
async function runSeedCell(addr = process.env.GRADD_ADDR || 'localhost:50051') {
  const stub = client(addr);
  const session = await call(stub, 'CreateSession', {});
  const sid = session.session_id;
  const w = randomNormal(6);
  try {
    const steps = [
      { variable: { ref: 'w', value: f32([3, 2], w), trainable: true } },
      { variable: { ref: 'b', value: f32([2], [0, 0]), trainable: true } },
      { constant: { ref: 'x', value: f32([1, 3], [1, 2, 3]) } },
      { constant: { ref: 'two', value: f32([], [2]) } },
      { tape: { tape: 'tape', persistent: false, watch_accessed_variables: true } },
      { op: { op: 'MatMul', inputs: ['x', 'w'], outputs: ['xw'] } },
      { op: { op: 'AddV2', inputs: ['xw', 'b'], outputs: ['y'] } },
      { op: { op: 'Pow', inputs: ['y', 'two'], outputs: ['y2'] } },
      { op: { op: 'Mean', inputs: ['y2'], outputs: ['loss'] } },
      { stop: { tape: 'tape' } },
      { gradient: { tape: 'tape', targets: ['loss'], sources: ['w', 'b'], outputs: ['dl_dw', 'dl_db'], fetch: true } },
      { fetch: { refs: ['loss'] } },
    ];
    const res = await call(stub, 'Run', { session_id: sid, steps, raw_results: true });
    const grads = res.results[10].values;
    if (grads.some((v) => v.none)) throw new Error('unexpected None gradient');
    return {
      w,
      dl_dw: decode(grads[0].tensor),
      dl_db: decode(grads[1].tensor),
      loss: decode(res.results[11].values[0].tensor).values[0],
      runs: 1,
    };
  } finally {
    await call(stub, 'DeleteSession', { session_id: sid }).catch(() => {});
    stub.close();
  }
}

function format({ shape, values }) {
  if (shape.length === 1) return `[${values.map((v) => v.toPrecision(8)).join(' ')}]`;
  const rows = [];
  for (let i = 0; i < shape[0]; i++) {
    rows.push(`[${values.slice(i * shape[1], (i + 1) * shape[1]).map((v) => v.toPrecision(8)).join(' ')}]`);
  }
  return `[${rows.join('\n ')}]`;
}

module.exports = { runSeedCell, decode, loadGradd };

if (require.main === module) {
  runSeedCell().then((r) => {
    console.log(`dl_dw =\n${format(r.dl_dw)}, shape=(${r.dl_dw.shape.join(', ')})`);
    console.log(`dl_db = ${format(r.dl_db)}, shape=(${r.dl_db.shape.join(',')},)`);
    console.log(`loss = ${r.loss} (one Run)`);
  }).catch((err) => {
    console.error(`gradd: ${err.message}`);
    process.exit(1);
  });
}
