// The gRPC half of bench/storm.sh: CLIENTS clients (each its own connection) send OIP ModelInfer
// calls back to back for SECONDS, rotating: a 4096x4096 PNG as BYTES in raw_input_contents (depth
// as raw output), and a (1, 3, 2048, 2048) FP32 tensor (48 MiB message). Prints one JSON object:
// status codes per kind. Uses @grpc/grpc-js and @grpc/proto-loader from .ci/grpc-client.
//   node bench/storm_grpc.mjs <host:port> <model> <clients> <seconds>
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, crc32 } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(resolve(here, '../.ci/grpc-client/package.json'));
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const [target, model, clients, seconds] = process.argv.slice(2);

const definition = protoLoader.loadSync(['open_inference_grpc.proto'], {
  includeDirs: [resolve(here, '../proto')], keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true,
});
const Oip = grpc.loadPackageDefinition(definition).inference.GRPCInferenceService;

function chunk(kind, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(kind), data])) >>> 0);
  return Buffer.concat([len, Buffer.from(kind), data, crc]);
}
function png(h, w) {
  const row = Buffer.alloc(1 + 3 * w, 128); row[0] = 0;
  const raw = Buffer.alloc(row.length * h);
  for (let y = 0; y < h; y++) row.copy(raw, y * row.length);
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}
const big = png(4096, 4096);
const bytesElement = Buffer.concat([Buffer.alloc(4), big]); bytesElement.writeUInt32LE(big.length, 0);
const kinds = [
  ['grpc_png_4096', { model_name: model, parameters: { task: { string_param: 'depth' } },
    inputs: [{ name: 'image', datatype: 'BYTES', shape: [1] }], raw_input_contents: [bytesElement] }],
  ['grpc_fp32_2048', { model_name: model, parameters: { task: { string_param: 'depth' } },
    inputs: [{ name: 'image', datatype: 'FP32', shape: [1, 3, 2048, 2048] }], raw_input_contents: [Buffer.alloc(12 * 2048 * 2048)] }],
];
const counts = Object.fromEntries(kinds.map(([k]) => [k, {}]));
const end = Date.now() + Number(seconds) * 1000;
const options = { 'grpc.max_send_message_length': 64 << 20, 'grpc.max_receive_message_length': 256 << 20 };
async function client(index) {
  const oip = new Oip(target, grpc.credentials.createInsecure(), { ...options, 'grpc.channelz_subchannel_id': index });
  for (let i = index; Date.now() < end; i++) {
    const [kind, request] = kinds[i % kinds.length];
    const code = await new Promise((done) => oip.ModelInfer(request, { deadline: new Date(Date.now() + 120_000) },
      (error) => done(error ? grpc.status[error.code] ?? String(error.code) : 'OK')));
    counts[kind][code] = (counts[kind][code] ?? 0) + 1;
    if (code === 'RESOURCE_EXHAUSTED' || code === 'UNAVAILABLE') await new Promise((r) => setTimeout(r, 50));
  }
  oip.close();
}
await Promise.all(Array.from({ length: Number(clients) }, (_, i) => client(i)));
console.log(JSON.stringify({ grpc_counts: counts }));
