// node fake_server.js PORT v41|v40 SECONDS
// A misbehaving NT4 server for testing our client: its clock runs 10^12 µs behind the wall clock
// (so time synchronisation must really work), it answers RTT messages, announces what clients
// publish, and to subscribers sends garbage before one good value (/fake/x = 42.5, stamped with
// its clock). Prints JSON lines: connected (subprotocol), value (what clients publish, with the
// server time), pings (WebSocket pings received), then exits after SECONDS.
'use strict';
const { WebSocket, msgpack, result, nowUs } = require('./lib');

const port = Number(process.argv[2]);
const mode = process.argv[3];
const seconds = Number(process.argv[4] || 10);
const OFFSET = 1e12;
const serverNow = () => nowUs() - OFFSET;
let pings = 0;

const wss = new WebSocket.Server({
  host: '127.0.0.1', port,
  handleProtocols: (protocols) => {
    const want = mode === 'v40' ? 'networktables.first.wpi.edu' : 'v4.1.networktables.first.wpi.edu';
    return protocols.has(want) ? want : false;
  },
}, () => process.stderr.write('node: listening\n'));

wss.on('connection', (ws) => {
  result({ event: 'connected', protocol: ws.protocol });
  ws.on('ping', () => { pings++; });
  const pubs = new Map();  // pubuid -> name
  let nextId = 100;
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      for (const m of JSON.parse(data.toString())) {
        if (m.method === 'publish') {
          pubs.set(m.params.pubuid, m.params.name);
          ws.send(JSON.stringify([{ method: 'announce', params: { name: m.params.name, id: nextId++,
            type: m.params.type, pubuid: m.params.pubuid, properties: {} } }]));
        } else if (m.method === 'subscribe') {
          ws.send('garbage that is not JSON');
          ws.send('{"not":"an array"}');
          ws.send(JSON.stringify([{ method: 'announce', params: { name: 5 } }, { method: 'weird', params: {} }, 7]));
          ws.send(Buffer.from([0xc1, 0xff, 0x00, 0x12]));
          ws.send(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]));
          ws.send(JSON.stringify([{ method: 'announce', params: { name: '/fake/x', id: 5, type: 'double', properties: {} } }]));
          ws.send(msgpack.encode([999, serverNow(), 1, 1.0]));           // unknown id
          ws.send(msgpack.encode([5, serverNow(), 4, 'not a double']));  // wrong type
          ws.send(msgpack.encode([5, serverNow(), 1, 42.5]));           // the good one
        }
      }
      return;
    }
    for (const m of msgpack.decodeMulti(data)) {
      if (m[0] === -1) {
        ws.send(msgpack.encode([-1, serverNow(), m[2], m[3]]));
      } else if (pubs.has(m[0])) {
        result({ event: 'value', topic: pubs.get(m[0]), ts: m[1], type: m[2], value: m[3], server_now: serverNow() });
      }
    }
  });
});

setTimeout(() => {
  result({ event: 'pings', count: pings });
  process.exit(0);
}, seconds * 1000);
