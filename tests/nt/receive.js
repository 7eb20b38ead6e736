// node receive.js PORT SPEC.json
// Subscribes to topics and prints one JSON line per topic once it has a value:
//   {"topic", "type", "value", "via"}   ("via": "ntcore-ts-client" or "raw")
// SPEC: {"ts": [NAME...], "raw": [NAME...], "timeout_ms": N}. Exits 1 if some never arrive.
// "ts" topics go through ntcore-ts-client (what a dashboard written with it sees); "raw" topics
// through a plain ws + msgpack client (struct and raw topics, which ntcore-ts-client rejects).
'use strict';
const { RawClient, result, die, until } = require('./lib');
const { NetworkTables, NetworkTablesTypeInfos } = require('ntcore-ts-client');
const fs = require('fs');

const port = Number(process.argv[2]);
const spec = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const timeout = spec.timeout_ms || 15000;
const got = new Map();

(async () => {
  const nt = NetworkTables.getInstanceByURI('127.0.0.1', port);
  for (const name of spec.ts || []) {
    // The type info given here only matters for publishing; announcements carry the real type.
    const topic = nt.createTopic(name, NetworkTablesTypeInfos.kDouble);
    topic.subscribe((value, params) => {
      if (got.has(name) || value === null) return;
      got.set(name, true);
      result({ topic: name, type: params.type, value, js: Array.isArray(value) ? 'array' : typeof value,
               via: 'ntcore-ts-client' });
    }, { all: true });
  }
  let raw;
  if ((spec.raw || []).length) {
    raw = new RawClient(port, 'rawcheck');
    await raw.opened;
    raw.subscribe(spec.raw, { all: true });
  }
  process.stderr.write('node: subscribed\n');
  await until(() => {
    for (const name of spec.raw || []) {
      if (got.has(name)) continue;
      const v = raw.last(name);
      if (!v) continue;
      got.set(name, true);
      const params = raw.byName.get(name);
      const value = v[2];
      const isBytes = value instanceof Uint8Array;
      result({ topic: name, type: params.type, typeId: v[1], timestamp: v[0],
               value: isBytes ? Buffer.from(value).toString('base64') : value,
               text: isBytes ? Buffer.from(value).toString('utf8') : undefined,
               doubles: isBytes && value.length % 8 === 0
                 ? Array.from({ length: value.length / 8 }, (_, i) => Buffer.from(value).readDoubleLE(8 * i))
                 : undefined,
               via: 'raw' });
    }
    return [...(spec.ts || []), ...(spec.raw || [])].every((n) => got.has(n));
  }, timeout, () => 'topics: ' + [...(spec.ts || []), ...(spec.raw || [])].filter((n) => !got.has(n)).join(' '));
  process.exit(0);
})().catch((e) => die(String(e && e.stack || e)));
