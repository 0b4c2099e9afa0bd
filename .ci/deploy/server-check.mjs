// Checks a started server the way a client would: API keys enforced, one inference call through
// the Open Inference Protocol, model memory reported in /q/metrics.
//   node server-check.mjs <base url> <model> <api key> <management base url>
const [base, model, key, management] = process.argv.slice(2);
let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) passed++; else { failed++; console.log(`FAIL ${what}`); }
}

const body = JSON.stringify({
  parameters: { task: "depth" },
  inputs: [{ name: "image", datatype: "UINT8", shape: [1, 2, 2, 3], data: [255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128] }],
});
const infer = (headers) => fetch(`${base}/v2/models/${model}/infer`, {
  method: "POST", headers: { "content-type": "application/json", ...headers }, body,
});

const anonymous = await infer({});
check(anonymous.status === 401, `inference without a key is refused with 401 (got ${anonymous.status})`);
const wrong = await infer({ authorization: "Bearer not-a-key" });
check(wrong.status === 401, `inference with a wrong key is refused with 401 (got ${wrong.status})`);

const response = await infer({ authorization: `Bearer ${key}` });
const answer = await response.json();
check(response.status === 200, `inference with the chart's key answers 200 (got ${response.status}: ${JSON.stringify(answer).slice(0, 200)})`);
const depth = (answer.outputs ?? []).find((o) => o.name === "depth");
check(depth && JSON.stringify(depth.shape) === "[1,2,2]", `depth output of shape [1,2,2] (got ${JSON.stringify(depth?.shape)})`);
check(depth && depth.data.length === 4 && depth.data.every(Number.isFinite), "four finite depth values");
console.log(`inference: depth ${JSON.stringify(depth?.data)}`);

const onApiPort = await fetch(`${base}/q/metrics`);
check(onApiPort.status === 404, `/q/metrics is not served on the API port (got ${onApiPort.status})`);
const metrics = await (await fetch(`${management}/q/metrics`)).text();
const resident = [...metrics.matchAll(/^sinewich_model_resident_bytes\{part="(\w+)"\} (\S+)$/gm)];
check(resident.length > 0, "sinewich_model_resident_bytes in /q/metrics");
const total = resident.reduce((sum, m) => sum + Number(m[2]), 0);
console.log(`model resident: ${resident.map((m) => `${m[1]}=${Number(m[2])}`).join(" ")} (total ${total} bytes)`);
const info = /^sinewich_model_info\{(.*)\} 1\.0$/m.exec(metrics);
check(info && /device="cpu"/.test(info[1]), `sinewich_model_info reports the device (${info?.[1]})`);

console.log(`server: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
