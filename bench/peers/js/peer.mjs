// The AWS SDK for JavaScript v3 as a peer of ddb (bench/peers/run): GetItem
// with CONCURRENCY requests in flight (async loops on Node's one thread)
// against the canned nginx, or Query pages decoded. Defaults as documented,
// except the HTTP agent, which keeps its connections alive and may hold as many
// as requests in flight (the SDK's default agent allows 50 sockets).
//
//   node peer.mjs get-item URL SECONDS CONCURRENCY
//   node peer.mjs query URL SECONDS          (PAGE_BYTES in the environment)
//
// Prints one JSON line: operations and CPU seconds after a warm-up, peak RSS.
import http from "node:http";
import { DynamoDBClient, GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { NodeHttpHandler } from "@smithy/node-http-handler";

const [op, url, secondsText, concurrencyText] = process.argv.slice(2);
if (!op || !url || !secondsText) {
  console.error("usage: node peer.mjs get-item|query URL SECONDS [CONCURRENCY]");
  process.exit(1);
}
const seconds = Number(secondsText);
const concurrency = Number(concurrencyText ?? 1);

const client = new DynamoDBClient({
  region: "us-east-1",
  endpoint: url,
  credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  requestHandler: new NodeHttpHandler({
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: concurrency }),
  }),
});

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs `call` from `workers` loops: 2 s of warm-up, then `seconds` measured.
async function run(workers, call) {
  let measuring = false, stop = false, done = 0;
  const loop = async () => {
    while (!stop) {
      await call();
      if (measuring) done++;
    }
  };
  const loops = Array.from({ length: workers }, loop);
  const failed = Promise.race(loops.map((p) => p.then(() => new Promise(() => {}))));
  await Promise.race([sleep(2000), failed]);
  const cpu0 = cpuSeconds(), t0 = performance.now();
  measuring = true;
  await Promise.race([sleep(seconds * 1000), failed]);
  measuring = false;
  const n = done, cpu = cpuSeconds() - cpu0, wall = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(loops);
  return [n, cpu, wall];
}

let result, pageBytes = 0;
if (op === "get-item") {
  const cmd = new GetItemCommand({ TableName: "bench", Key: { pk: { S: "user#12345" } } });
  result = await run(concurrency, async () => {
    const out = await client.send(cmd);
    if (Object.keys(out.Item).length !== 4) throw new Error("GetItem: expected 4 attributes");
  });
} else if (op === "query") {
  pageBytes = Number(process.env.PAGE_BYTES);
  const cmd = new QueryCommand({
    TableName: "bench",
    KeyConditionExpression: "pk = :pk",
    ExpressionAttributeValues: { ":pk": { S: "user#12345" } },
  });
  result = await run(1, async () => {
    const out = await client.send(cmd);
    if (out.Items.length !== 1000) throw new Error(`Query: ${out.Items.length} items, expected 1000`);
  });
} else {
  console.error(`peer.mjs: unknown operation ${op}`);
  process.exit(1);
}
const [n, cpu, wall] = result;
console.log(JSON.stringify({
  peer: "js", op, ops: n, cpu_s: +cpu.toFixed(4), wall_s: +wall.toFixed(4), page_bytes: pageBytes,
  maxrss_kb: process.resourceUsage().maxRSS,
}));
client.destroy();
