// Checks the running image over HTTP (MANAGEMENT_URL: its management interface, for readiness;
// READY_URL: another readiness URL, e.g. the OIP /v2/health/ready a KServe probe uses; MODEL: the
// model name, default sinewich-default).
//   node check.mjs <base url> [--inflight N:MARKER_FILE]
//   without --inflight: waits for readiness (up to 180 s), then one OIP REST inference;
//   with --inflight: requests in flight across a SIGTERM the caller sends (see below).
const [base, flag, count] = process.argv.slice(2);
const management = process.env.MANAGEMENT_URL ?? base; // health probes live on the management port
const readyUrl = process.env.READY_URL ?? `${management}/q/health/ready`;
const model = process.env.MODEL ?? "sinewich-default";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const body = JSON.stringify({
  parameters: { task: "depth" },
  inputs: [{ name: "image", datatype: "UINT8", shape: [1, 256, 256, 3], data: Array.from({ length: 256 * 256 * 3 }, (_, i) => i % 251) }],
});
const infer = async () => {
  const r = await fetch(`${base}/v2/models/${model}/infer`, { method: "POST", headers: { "content-type": "application/json" }, body });
  const json = await r.json();
  return { status: r.status, depth: (json.outputs ?? []).find((o) => o.name === "depth") };
};
if (flag === "--inflight") {
  // N clients send requests back to back; once the first answer is in, "started" is printed and
  // the caller sends SIGTERM and writes its time (ms since the epoch) to the file named after N.
  // Every request sent before that time must get an answer (200, or 503 once the server refuses
  // new work), never a broken connection; and at least one request that was in flight at SIGTERM
  // must have been answered 200 after it.
  const [n, marker] = count.split(":");
  const { existsSync, readFileSync } = await import("node:fs");
  const results = [];
  let stop = false;
  let announced = false;
  const client = async () => {
    while (!stop) {
      const sent = Date.now();
      let status;
      try {
        status = (await infer()).status;
      } catch (e) {
        status = `error: ${e.cause?.code ?? e.message}`;
      }
      results.push({ sent, done: Date.now(), status });
      if (!announced && status === 200) { announced = true; console.log("started"); }
      if (status !== 200) stop = true;
    }
  };
  const deadline = setTimeout(() => { stop = true; }, 60_000);
  await Promise.all(Array.from({ length: Number(n) }, client));
  clearTimeout(deadline);
  for (let i = 0; i < 100 && !existsSync(marker); i++) await sleep(100);
  const killed = Number(readFileSync(marker, "utf8"));
  const before = results.filter((r) => r.sent < killed);
  const lost = before.filter((r) => r.status !== 200 && r.status !== 503);
  const inFlight = before.filter((r) => r.done > killed && r.status === 200);
  console.log(`${lost.length === 0 ? "ok  " : "FAIL"} ${before.length} requests sent before SIGTERM: `
    + `${before.filter((r) => r.status === 200).length} × 200, ${before.filter((r) => r.status === 503).length} × 503, `
    + `${lost.length} lost (${lost.map((r) => r.status).join(", ")})`);
  console.log(`${inFlight.length > 0 ? "ok  " : "FAIL"} ${inFlight.length} requests in flight at SIGTERM answered 200 after it`);
  process.exit(lost.length === 0 && inFlight.length > 0 ? 0 : 1);
}
const start = Date.now();
for (;;) {
  try {
    if ((await fetch(readyUrl)).ok) break;
  } catch { /* not up yet */ }
  if (Date.now() - start > 180_000) { console.log("FAIL the container did not become ready in 180 s"); process.exit(1); }
  await sleep(500);
}
console.log(`ok   ready in ${((Date.now() - start) / 1000).toFixed(1)} s`);
const a = await infer();
const good = a.status === 200 && a.depth && JSON.stringify(a.depth.shape) === "[1,256,256]" && a.depth.data.every(Number.isFinite);
console.log(`${good ? "ok  " : "FAIL"} REST inference: HTTP ${a.status}, depth ${JSON.stringify(a.depth?.shape)}`);
process.exit(good ? 0 : 1);
