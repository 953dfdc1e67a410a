// Starts server.mjs as its own process, drives client_credentials requests at it and reports the
// CPU the SERVER process spent per issued token; this process's own CPU is never counted.
//
//   node load.mjs [--alg RS256|ES256] [--auth post|basic] [--requests 10000] [--warmup 5000]
//                 [--concurrency 4]
//
// Prints human-readable lines on stderr and one JSON result line on stdout (run.sh tabulates it).
import { execFileSync, spawn } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    alg: { type: 'string', default: 'RS256' },
    auth: { type: 'string', default: 'post' },
    requests: { type: 'string', default: '10000' },
    warmup: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '4' },
  },
});
// Warm-up: V8 keeps optimising the request path for a few thousand requests; after 1,000 the
// ES256 figure was still ~15% above the one after 5,000 or 20,000 (which agreed within noise).
const N = Number(opt.requests);
const WARMUP = Number(opt.warmup);
const CONCURRENCY = Number(opt.concurrency);
if (!['post', 'basic'].includes(opt.auth)) throw new Error(`--auth must be post or basic, not ${opt.auth}`);

const log = (...args) => console.error(...args);

// ---- the server, in production mode, in a process of its own
// SERVER_NODE_ARGS reaches only the server's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
const nodeArgs = (process.env.SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const server = spawn(process.execPath, [...nodeArgs, new URL('server.mjs', import.meta.url).pathname, opt.alg], {
  env: { ...process.env, NODE_ENV: 'production' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const stopServer = () => { if (server.exitCode === null) server.kill('SIGTERM'); };
process.on('exit', stopServer);
const ready = await new Promise((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`server exited (${code}) before it was ready`)));
  createInterface({ input: server.stdout }).once('line', (line) => resolve(JSON.parse(line)));
});
const { pid, port } = ready;
const client = ready.clients[opt.auth === 'post' ? 'client_secret_post' : 'client_secret_basic'];

// ---- HTTP: a few kept-alive connections, as a busy API client or a load balancer would hold
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function call(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, method, path, agent, headers,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const discovery = JSON.parse((await call('GET', '/.well-known/openid-configuration')).body);
const tokenPath = new URL(discovery.token_endpoint).pathname;
const form = new URLSearchParams({ grant_type: 'client_credentials', scope: ready.scope });
const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
if (opt.auth === 'post') {
  form.set('client_id', client.id);
  form.set('client_secret', client.secret);
} else {
  // RFC 6749 2.3.1: form-encode id and secret before base64 (ours need no escaping).
  headers.authorization = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
}
const body = form.toString();
headers['content-length'] = Buffer.byteLength(body);

let firstToken;
async function issue() {
  const res = await call('POST', tokenPath, body, headers);
  if (res.status !== 200) throw new Error(`token request answered ${res.status}: ${res.body}`);
  const token = JSON.parse(res.body).access_token;
  if (typeof token !== 'string' || token.split('.').length !== 3) {
    throw new Error(`not a JWS compact JWT: ${res.body}`);
  }
  firstToken ??= token;
}

async function run(count) {
  let next = 0;
  const worker = async () => { while (next++ < count) await issue(); };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

// ---- what the server process has spent, read from /proc
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString());
function serverCpu() {
  // schedstat field 1: ns on CPU, per thread (crypto and GC may run off the main thread).
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch { /* a thread that ended between readdir and read */ }
  }
  // stat fields 14 and 15 (utime, stime) in clock ticks, the whole process; comm may hold spaces.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { ns, ticks, threads: readdirSync(`/proc/${pid}/task`).length };
}
// The signature alone, same key type, same machine and moment: the floor any server pays per token.
function bareSignUs(alg, count) {
  const { privateKey } = alg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const input = Buffer.alloc(300, 'a');
  const once = () => sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  for (let i = 0; i < 100; i += 1) once();
  const t = process.cpuUsage();
  for (let i = 0; i < count; i += 1) once();
  const { user, system } = process.cpuUsage(t);
  return (user + system) / count;
}
const vmHwmKb = () => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB/m)[1]);

try {
  log(`node-oidc-provider ${ready.version} on Node ${ready.node}, NODE_ENV=${ready.env}, pid ${pid}, `
    + `port ${port}, ${opt.alg}, client_secret_${opt.auth}, ${CONCURRENCY} connections`);
  await run(WARMUP);

  // Once, outside the measured part: the token is a JWT of the expected alg, signed by the served key.
  const [h, p, s] = firstToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  if (header.alg !== opt.alg || header.typ !== 'at+jwt') throw new Error(`unexpected header ${JSON.stringify(header)}`);
  const jwks = JSON.parse((await call('GET', new URL(discovery.jwks_uri).pathname)).body);
  const key = createPublicKey({ key: jwks.keys.find((k) => k.kid === header.kid), format: 'jwk' });
  const signed = verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  if (!signed) throw new Error('the access token does not verify against the served JWKS');
  log(`warm-up: ${WARMUP} tokens; header ${JSON.stringify(header)}; claims ${Object.keys(claims).join(',')}; signature verified`);

  const before = serverCpu();
  const t0 = process.hrtime.bigint();
  await run(N);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const after = serverCpu();

  const result = {
    provider: `node-oidc-provider ${ready.version}`,
    node: ready.node,
    alg: opt.alg,
    auth: `client_secret_${opt.auth}`,
    requests: N,
    warmup: WARMUP,
    concurrency: CONCURRENCY,
    cpu_us_per_token: (after.ns - before.ns) / 1e3 / N,
    cpu_us_per_token_ticks: ((after.ticks - before.ticks) * 1e6) / CLK_TCK / N,
    tokens_per_s: N / wallS,
    peak_rss_mb: vmHwmKb() / 1024,
    server_threads: after.threads,
  };
  stopServer();
  result.bare_sign_us = bareSignUs(opt.alg, opt.alg === 'RS256' ? 1000 : 10000);
  log(`${N} tokens in ${wallS.toFixed(2)} s: ${result.tokens_per_s.toFixed(0)} tokens/s; server CPU `
    + `${result.cpu_us_per_token.toFixed(1)} µs/token (schedstat, ${after.threads} threads), `
    + `${result.cpu_us_per_token_ticks.toFixed(1)} µs/token (utime+stime at ${CLK_TCK} Hz); `
    + `VmHWM ${result.peak_rss_mb.toFixed(1)} MB; bare node:crypto ${opt.alg} signature `
    + `${result.bare_sign_us.toFixed(1)} µs`);
  console.log(JSON.stringify(result));
} finally {
  agent.destroy();
  stopServer();
}
