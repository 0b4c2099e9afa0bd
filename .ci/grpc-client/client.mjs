// An independent gRPC client for Sinewich Serve, written against the repository's protos only
// (loaded at run time from the top-level proto/ directory, so a proto change that breaks the wire
// contract fails here). It checks both services of a running server: the Open Inference Protocol
// (inference.GRPCInferenceService) and the typed sinewich.v1.SinewichService.
//
//   node client.mjs HOST:PORT [--model NAME] [--tasks a,b,c] [--input HxW]
//
// Prints one line per check, then "N passed, M failed"; exits 1 when any check fails.

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const PROTO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../proto');
const CALL_SECONDS = 60;
const INVALID_ARGUMENT = 3;

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const args = { address: argv[0], model: 'sinewich-default', tasks: null, input: null };
  if (!args.address || args.address.startsWith('--')) {
    throw new Error('usage: node client.mjs HOST:PORT [--model NAME] [--tasks a,b,c] [--input HxW]');
  }
  for (let i = 1; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${argv[i]} needs a value`);
    if (argv[i] === '--model') args.model = value;
    else if (argv[i] === '--tasks') args.tasks = value.split(',');
    else if (argv[i] === '--input') args.input = value.split('x').map(Number);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return args;
}

// ---------------------------------------------------------------------------------------------
// Checks: each one runs, and a failure is reported without stopping the others.

const results = { passed: 0, failed: 0 };

class Mismatch extends Error {}

function expect(condition, message) {
  if (!condition) throw new Mismatch(message);
}

function expectEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  expect(a === e, `${what}: expected ${e}, found ${a}`);
}

async function check(name, body) {
  try {
    await body();
    results.passed++;
    console.log(`ok    ${name}`);
  } catch (e) {
    results.failed++;
    // grpc-js errors read "5 NOT_FOUND: message"; anything else is a bug in the client, so keep its type
    const why = e instanceof Mismatch || e.code !== undefined ? e.message : String(e);
    console.log(`FAIL  ${name}: ${why}`);
  }
}

// ---------------------------------------------------------------------------------------------
// gRPC plumbing

function loadServices() {
  const definition = protoLoader.loadSync(['open_inference_grpc.proto', 'sinewich/v1/sinewich.proto'], {
    includeDirs: [PROTO_ROOT],
    keepCase: true, // field names exactly as in the .proto files
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition);
  return { oip: loaded.inference.GRPCInferenceService, sinewich: loaded.sinewich.v1.SinewichService };
}

function deadline() {
  return new Date(Date.now() + CALL_SECONDS * 1000);
}

function unary(client, method, request) {
  return new Promise((resolvePromise, reject) => {
    client[method](request, { deadline: deadline() }, (error, response) => {
      if (error) reject(error);
      else resolvePromise(response);
    });
  });
}

/** Sends every frame, half-closes, and collects the answers until the server ends the stream. */
function stream(client, method, frames) {
  return new Promise((resolvePromise, reject) => {
    const answers = [];
    const call = client[method]({ deadline: deadline() });
    call.on('data', (answer) => answers.push(answer));
    call.on('error', reject);
    call.on('end', () => resolvePromise(answers));
    for (const frame of frames) call.write(frame);
    call.end();
  });
}

// ---------------------------------------------------------------------------------------------
// Images and tensors

/** CRC-32 (ISO-HDLC, as PNG chunks use). */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A minimal 8-bit RGB PNG encoder: one IDAT, filter type 0 on every row. */
function encodePng(height, width, rgb) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type RGB
  const rows = Buffer.alloc(height * (1 + 3 * width));
  for (let y = 0; y < height; y++) {
    rgb.copy(rows, y * (1 + 3 * width) + 1, y * 3 * width, (y + 1) * 3 * width);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Interleaved (h, w, 3) RGB bytes of a deterministic pattern. */
function pattern(height, width, seed) {
  const rgb = Buffer.alloc(height * width * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 37 + seed * 101 + Math.floor(i / 7)) % 256;
  return rgb;
}

/** The same pixels as planar (3, h, w) float32 little-endian values v / 255. */
function planarFloats(height, width, rgb) {
  const out = Buffer.alloc(3 * height * width * 4);
  for (let p = 0; p < height * width; p++) {
    for (let c = 0; c < 3; c++) out.writeFloatLE(rgb[3 * p + c] / 255, 4 * (c * height * width + p));
  }
  return out;
}

function floatsOf(buffer) {
  const values = [];
  for (let i = 0; i + 4 <= buffer.length; i += 4) values.push(buffer.readFloatLE(i));
  return values;
}

function intsOf(buffer) {
  const values = [];
  for (let i = 0; i + 4 <= buffer.length; i += 4) values.push(buffer.readInt32LE(i));
  return values;
}

function expectClose(actual, expected, tolerance, what) {
  expect(actual.length === expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    expect(Math.abs(actual[i] - expected[i]) <= tolerance, `${what}[${i}]: ${actual[i]} differs from ${expected[i]}`);
  }
}

function expectUnitNormals(values, plane, what) {
  for (let p = 0; p < plane; p++) {
    const n = Math.hypot(values[p], values[plane + p], values[2 * plane + p]);
    expect(Math.abs(n - 1) < 1e-4, `${what}: normal at pixel ${p} has length ${n}, expected 1`);
  }
}

// ---------------------------------------------------------------------------------------------
// The checks

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { oip: Oip, sinewich: Sinewich } = loadServices();
  const credentials = grpc.credentials.createInsecure();
  const options = { 'grpc.max_receive_message_length': 64 << 20 };
  const oip = new Oip(args.address, credentials, options);
  const sinewich = new Sinewich(args.address, credentials, options);
  const model = args.model;
  let info = null;

  // A small image shared by the checks: 5 x 7 pixels.
  const [h, w] = [5, 7];
  const rgb = pattern(h, w, 1);
  const floats = planarFloats(h, w, rgb);
  let oipNormals = null;

  await check('OIP ServerReady', async () => {
    const r = await unary(oip, 'ServerReady', {});
    expect(r.ready === true, `ready is ${r.ready}`);
  });

  await check('OIP ModelMetadata', async () => {
    const r = await unary(oip, 'ModelMetadata', { name: model });
    expectEqual(r.name, model, 'name');
    expectEqual(r.inputs.map((t) => [t.name, t.datatype]), [['image', 'FP32']], 'inputs');
    const outputs = r.outputs.map((t) => t.name);
    for (const name of ['labels', 'depth', 'normals']) {
      expect(outputs.includes(name), `outputs ${JSON.stringify(outputs)} lack '${name}'`);
    }
  });

  await check('OIP ModelInfer with raw_input_contents (FP32, task normals)', async () => {
    const r = await unary(oip, 'ModelInfer', {
      model_name: model,
      id: 'oip-1',
      parameters: { task: { string_param: 'normals' } },
      inputs: [{ name: 'image', datatype: 'FP32', shape: [1, 3, h, w] }],
      raw_input_contents: [floats],
    });
    expectEqual(r.id, 'oip-1', 'id');
    expectEqual(r.outputs.map((t) => [t.name, t.datatype, t.shape]), [['normals', 'FP32', [1, 3, h, w]]], 'outputs');
    expectEqual(r.raw_output_contents.length, 1, 'raw_output_contents entries');
    oipNormals = floatsOf(r.raw_output_contents[0]);
    expectEqual(oipNormals.length, 3 * h * w, 'normals values');
    expectUnitNormals(oipNormals, h * w, 'normals');
  });

  await check('sinewich.v1 ListModels and GetModel', async () => {
    const r = await unary(sinewich, 'ListModels', {});
    expectEqual(r.models.map((m) => m.name), [model], 'models');
    info = r.models[0];
    if (args.tasks) expectEqual(info.tasks.map((t) => t.name), args.tasks, 'tasks');
    if (args.input) expectEqual([info.input_height, info.input_width], args.input, 'input size');
    for (const t of info.tasks) {
      expect(t.kind !== 'TASK_KIND_UNSPECIFIED', `task ${t.name} has no kind`);
      expect(t.outputs.length > 0 && t.omega.length > 0, `task ${t.name} lacks outputs or omega`);
    }
    const one = await unary(sinewich, 'GetModel', { name: model });
    expectEqual(one, info, 'GetModel vs ListModels');
  });

  await check('sinewich.v1 Predict with a PNG (two tasks) equals the same pixels sent raw', async () => {
    const tasks = ['semseg', 'saliency'];
    const png = await unary(sinewich, 'Predict', {
      model_name: model, id: 'png-1', tasks, encoded: encodePng(h, w, rgb),
    });
    expectEqual(png.id, 'png-1', 'id');
    expectEqual(png.results.map((r) => [r.task, r.kind]), [['semseg', 'TASK_KIND_SEGMENTATION'],
      ['saliency', 'TASK_KIND_SALIENCY']], 'results');
    const [labels] = png.results[0].tensors;
    expectEqual([labels.name, labels.dtype, labels.shape], ['labels', 'DATA_TYPE_INT32', [h, w]], 'labels tensor');
    const classes = info ? info.tasks.find((t) => t.name === 'semseg').channels : Infinity;
    for (const v of intsOf(labels.data)) expect(v >= 0 && v < classes, `label ${v} outside [0, ${classes})`);
    const [saliency] = png.results[1].tensors;
    expectEqual([saliency.name, saliency.dtype, saliency.shape], ['saliency', 'DATA_TYPE_FLOAT32', [h, w]],
      'saliency tensor');
    for (const v of floatsOf(saliency.data)) expect(v >= 0 && v <= 1, `saliency ${v} outside [0, 1]`);

    const raw = await unary(sinewich, 'Predict', {
      model_name: model, tasks, uint8_image: { height: h, width: w, data: rgb },
    });
    expect(raw.results[0].tensors[0].data.equals(labels.data), 'labels differ between the PNG and the raw uint8 image');
    expectClose(floatsOf(raw.results[1].tensors[0].data), floatsOf(saliency.data), 1e-6, 'saliency (raw vs PNG)');
  });

  await check('sinewich.v1 Predict with a raw float image equals OIP ModelInfer', async () => {
    const r = await unary(sinewich, 'Predict', {
      model_name: model, tasks: ['normals'], float_image: { height: h, width: w, data: floats },
    });
    const [normals] = r.results[0].tensors;
    expectEqual([normals.name, normals.dtype, normals.shape], ['normals', 'DATA_TYPE_FLOAT32', [3, h, w]],
      'normals tensor');
    expect(oipNormals !== null, 'no OIP result to compare with');
    expectClose(floatsOf(normals.data), oipNormals, 1e-6, 'normals (sinewich.v1 vs OIP)');
  });

  await check('sinewich.v1 PredictStream: 3 frames answered in order, a bad frame gets its own error', async () => {
    const frames = [0, 1, 2].map((i) => ({
      model_name: i === 0 ? model : '', // later frames use the stream's model
      id: `frame-${i}`,
      tasks: ['depth'],
      encoded: i === 1 ? encodePng(h, w, pattern(h, w, i)).subarray(0, 40) : encodePng(h, w, pattern(h, w, i)),
    }));
    const answers = await stream(sinewich, 'PredictStream', frames);
    expectEqual(answers.map((a) => [a.sequence, a.id]), [[0, 'frame-0'], [1, 'frame-1'], [2, 'frame-2']], 'answers');
    for (const i of [0, 2]) {
      expect(answers[i].error === null, `frame ${i} failed: ${answers[i].error && answers[i].error.message}`);
      const [depth] = answers[i].results[0].tensors;
      expectEqual([depth.name, depth.shape], ['depth', [h, w]], `frame ${i} depth tensor`);
    }
    expect(answers[1].error !== null, 'the cut-off PNG of frame 1 was not reported');
    expectEqual(answers[1].error.code, INVALID_ARGUMENT, 'frame 1 error code');
    expectEqual(answers[1].results.length, 0, 'frame 1 results');
  });

  oip.close();
  sinewich.close();
  console.log(`${results.passed} passed, ${results.failed} failed`);
  return results.failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
  console.error(`client: ${e.message}`);
  process.exit(2);
});
