// Shared helpers of the NetworkTables tests (run by tests/pipeline/nt_*.sh).
// Two real peers: ntcore-ts-client (an NT4 client written by others), and for what it cannot
// decode (struct and raw topics) a plain WebSocket client: the `ws` package and
// @msgpack/msgpack, which ntcore-ts-client itself is built on.
'use strict';

// ntcore-ts-client chats on the console; results go to stdout, everything else to stderr.
for (const k of ['log', 'info', 'warn', 'error', 'debug']) {
  console[k] = (...a) => process.stderr.write('[' + k + '] ' + a.map(String).join(' ') + '\n');
}

const WebSocket = require('ws');
const msgpack = require('@msgpack/msgpack');

function result(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function die(msg) {
  process.stderr.write('node: ' + msg + '\n');
  process.exit(1);
}

// A minimal NT4 client: subscribes, collects announcements and values, answers nothing.
class RawClient {
  constructor(port, name, protocols = ['v4.1.networktables.first.wpi.edu']) {
    this.topics = new Map();  // id -> announce params
    this.byName = new Map();  // name -> announce params
    this.values = new Map();  // name -> [ [timestamp, typeId, value], ... ]
    this.closed = null;
    this.textHandlers = [];
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/nt/${name}`, protocols);
    this.ws.binaryType = 'nodebuffer';
    this.opened = new Promise((resolve, reject) => {
      this.ws.on('open', resolve);
      this.ws.on('error', reject);
    });
    this.ws.on('close', (code, reason) => { this.closed = { code, reason: reason.toString() }; });
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        for (const m of JSON.parse(data.toString())) {
          if (m.method === 'announce') {
            this.topics.set(m.params.id, m.params);
            this.byName.set(m.params.name, m.params);
          }
          for (const h of this.textHandlers) h(m);
        }
        return;
      }
      for (const m of msgpack.decodeMulti(data)) {
        if (m[0] === -1) { this.rtt = m; continue; }
        const t = this.topics.get(m[0]);
        if (!t) continue;
        if (!this.values.has(t.name)) this.values.set(t.name, []);
        this.values.get(t.name).push([m[1], m[2], m[3]]);
      }
    });
  }
  sendText(msgs) { this.ws.send(JSON.stringify(msgs)); }
  subscribe(topics, options = {}, subuid = 1) {
    this.sendText([{ method: 'subscribe', params: { topics, subuid, options } }]);
  }
  last(name) {
    const v = this.values.get(name);
    return v ? v[v.length - 1] : undefined;
  }
  close() { this.ws.close(); }
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

// Polls cond() until true or the deadline (ms) passes.
async function until(cond, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return;
    await sleep(10);
  }
  if (!cond()) die('timed out waiting for ' + (typeof what === 'function' ? what() : what));
}

// Wall-clock microseconds (the clock records' t_capture uses).
function nowUs() {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

module.exports = { RawClient, result, die, sleep, until, nowUs, msgpack, WebSocket };
