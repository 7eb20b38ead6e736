// node publish.js PORT ROUNDS
// Publishes one topic of each type ntcore-ts-client supports under /dash/ and sets them ROUNDS
// times, 150 ms apart (round r: int 40+r, double r+0.5, ...). Prints "published" after the
// announcements come back.
// ntcore-ts-client 3.1.3 sends raw values as an empty MessagePack map (its encoder does not take
// an ArrayBuffer), which a server must reject; so /dash/raw comes from a plain ws + msgpack client.
'use strict';
const { RawClient, die, sleep } = require('./lib');
const { NetworkTables, NetworkTablesTypeInfos: I } = require('ntcore-ts-client');

const port = Number(process.argv[2]);
const rounds = Number(process.argv[3] || 3);
const topics = [
  ['/dash/bool', I.kBoolean, (r) => r % 2 === 1],
  ['/dash/int', I.kInteger, (r) => 40 + r],
  ['/dash/double', I.kDouble, (r) => r + 0.5],
  ['/dash/string', I.kString, (r) => 'round ' + r],
  ['/dash/bools', I.kBooleanArray, (r) => [true, r % 2 === 0]],
  ['/dash/ints', I.kIntegerArray, (r) => [1, 2, r]],
  ['/dash/doubles', I.kDoubleArray, (r) => [0.25, r + 0.5]],
  ['/dash/strings', I.kStringArray, (r) => ['x', 'y' + r]],
];

(async () => {
  const nt = NetworkTables.getInstanceByURI('127.0.0.1', port);
  const made = topics.map(([name, info, f]) => [nt.createTopic(name, info), f]);
  await Promise.all(made.map(([t]) => t.publish()));
  const raw = new RawClient(port, 'rawpub');
  await raw.opened;
  raw.sendText([{ method: 'publish', params: { name: '/dash/raw', pubuid: 1, type: 'raw', properties: {} } }]);
  process.stderr.write('node: published\n');
  for (let r = 1; r <= rounds; r++) {
    for (const [t, f] of made) t.setValue(f(r));
    raw.ws.send(require('./lib').msgpack.encode([1, 1000000 + r, 5, new Uint8Array([1, 2, r])]));
    await sleep(150);
  }
  await sleep(300);
  process.exit(0);
})().catch((e) => die(String(e && e.stack || e)));
