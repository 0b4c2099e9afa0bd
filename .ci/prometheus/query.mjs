// Sends requests to the server in two rounds (so that rate() sees an increase between scrapes) and
// queries Prometheus's HTTP API.
//   node query.mjs <server base URL> <Prometheus base URL> <server management base URL>
const [server, prometheus, management] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let failed = 0;
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failed++;
};

async function waitFor(url, what) {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not up yet */ }
    await sleep(500);
  }
  throw new Error(`${what} did not become ready at ${url}`);
}

const image = { name: "image", datatype: "UINT8", shape: [1, 4, 4, 3], data: Array.from({ length: 48 }, (_, i) => i * 5) };
async function infer(model, task, expect) {
  const r = await fetch(`${server}/v2/models/${model}/infer`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ parameters: { task }, inputs: [image] }),
  });
  await r.arrayBuffer();
  if (r.status !== expect) throw new Error(`infer ${task}: HTTP ${r.status}, expected ${expect}`);
}
async function predictMulti(model, tasks) {
  // an 8x8 grey PNG (8-bit RGB), so that no file is needed
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAD0lEQVR42mNowAEYhpYEAILzYAEllbNjAAAAAElFTkSuQmCC", "base64");
  const q = tasks.map((t) => `task=${t}`).join("&");
  const r = await fetch(`${server}/v1/models/${model}/predict?${q}`, { method: "POST", headers: { "Content-Type": "image/png" }, body: png });
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`predict ${q}: HTTP ${r.status}`);
}
async function query(expr) {
  const r = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = await r.json();
  if (body.status !== "success") throw new Error(`query ${expr}: ${JSON.stringify(body)}`);
  return body.data.result;
}
async function scrapedTwiceMore() {
  const first = await query('prometheus_target_interval_length_seconds_count{interval="1s"}');
  const n = (res) => res.reduce((a, s) => a + Number(s.value[1]), 0);
  const start = n(first);
  for (let i = 0; i < 40 && n(await query('prometheus_target_interval_length_seconds_count{interval="1s"}')) < start + 2; i++) await sleep(500);
  await sleep(1500);
}

await waitFor(`${management}/q/health/ready`, "the server");
await waitFor(`${prometheus}/-/ready`, "Prometheus");
const model = "sinewich-default";

for (let round = 0; round < 2; round++) {
  for (let i = 0; i < 6; i++) await infer(model, "depth", 200);
  await predictMulti(model, ["semseg", "depth"]);
  await predictMulti(model, ["semseg", "saliency"]);
  for (let i = 0; i < 3; i++) await infer(model, "no-such-task", 400);
  await scrapedTwiceMore();
}

const up = await query('up{job="sinewich"}');
check(up.length === 1 && up[0].value[1] === "1", "Prometheus scrapes the server (up == 1)");

const p50 = await query('histogram_quantile(0.5, sum by (le, task) (rate(sinewich_task_duration_seconds_bucket{task="semseg"}[1m])))');
const p50v = p50.length ? Number(p50[0].value[1]) : NaN;
check(p50.length === 1 && Number.isFinite(p50v) && p50v > 0,
  `p50 latency of task semseg, which only multi-task requests ran: ${p50v} s`);

const depth = await query('histogram_quantile(0.9, sum by (le) (rate(sinewich_request_duration_seconds_bucket{task="depth",outcome="success"}[1m])))');
const depthv = depth.length ? Number(depth[0].value[1]) : NaN;
check(Number.isFinite(depthv) && depthv > 0, `p90 latency of single-task depth requests: ${depthv} s`);

const failures = await query('sum(sinewich_failures_total{api="rest_oip",reason="invalid_input"})');
const failuresv = failures.length ? Number(failures[0].value[1]) : NaN;
check(failuresv === 6, `failure counter: ${failuresv} invalid_input failures on rest_oip (6 sent)`);

const rate = await query('sum(rate(sinewich_failures_total{reason="invalid_input"}[1m]))');
check(rate.length === 1 && Number(rate[0].value[1]) > 0, `failure rate > 0: ${rate.length ? rate[0].value[1] : "none"}`);

const zero = await query('sinewich_failures_total{api="grpc_native",reason="capacity"}');
check(zero.length === 1 && zero[0].value[1] === "0", "a failure series that never happened exists at 0");

process.exit(failed ? 1 : 0);
