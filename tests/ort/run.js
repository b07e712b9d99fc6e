// Run ONNX models in ONNX Runtime (CPU) for the parity tests.
//   node tests/ort/run.js JOBS.json
// JOBS.json: [{"model": path, "inputs": [{"name", "dims", "dtype", "file"}],
//              "out_prefix": path}] — each input file holds raw little-endian
// data; each output k is written to out_prefix + k + ".bin" with a JSON
// line {"job", "outputs": [{"name", "dims", "dtype", "file"}]} on stdout.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require(path.join(__dirname, 'node_modules', 'onnxruntime-node'));

const TYPES = {
  float32: Float32Array, int64: BigInt64Array, int32: Int32Array,
  float64: Float64Array, uint8: Uint8Array, bool: Uint8Array,
};

function load(input) {
  const buf = fs.readFileSync(input.file);
  const Type = TYPES[input.dtype];
  const data = new Type(buf.buffer, buf.byteOffset, buf.byteLength / Type.BYTES_PER_ELEMENT);
  return new ort.Tensor(input.dtype, data, input.dims);
}

async function main() {
  const jobs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  let session = null, loaded = null; // consecutive jobs of one model share its session
  for (let j = 0; j < jobs.length; j++) {
    const job = jobs[j];
    if (job.model !== loaded) {
      session = await ort.InferenceSession.create(job.model,
        { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
      loaded = job.model;
    }
    const feeds = {};
    for (const input of job.inputs) feeds[input.name] = load(input);
    const results = await session.run(feeds);
    const outputs = session.outputNames.map((name, k) => {
      const t = results[name];
      const file = `${job.out_prefix}${k}.bin`;
      fs.writeFileSync(file, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      return { name, dims: t.dims, dtype: t.type, file };
    });
    process.stdout.write(JSON.stringify({ job: j, outputs }) + '\n');
  }
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
