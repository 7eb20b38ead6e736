// node garbage.js PORT MAX_MESSAGE_BYTES
// A hostile peer: sends ntserver malformed text and binary messages, an oversize message,
// non-HTTP bytes, plain HTTP, a wrong subprotocol and half-open connections. Prints one JSON line
// per observation; the shell test checks them and that the server still serves real clients.
'use strict';
const net = require('net');
const { RawClient, WebSocket, msgpack, result, die, sleep, until } = require('./lib');

const port = Number(process.argv[2]);
const max = Number(process.argv[3]);

function rttProbe(c, value) {
  c.rtt = undefined;
  c.ws.send(msgpack.encode([-1, 0, 2, value]));
  return until(() => c.rtt && c.rtt[3] === value, 5000, 'an RTT answer');
}

function rawTcp(bytes) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.on('connect', () => s.write(bytes));
    s.on('data', (d) => { data += d.toString('latin1'); });
    s.on('close', () => resolve(data));
    s.on('error', () => resolve(data));
    setTimeout(() => { s.destroy(); resolve(data); }, 8000);
  });
}

(async () => {
  // 1. Malformed messages on one connection: each is ignored, the connection keeps working.
  const a = new RawClient(port, 'garbage');
  await a.opened;
  const texts = [
    'not json', '{"method":"publish"}', '[1, "x", null]', '[{"method":"publish","params":{"name":5}}]',
    '[{"method":"nosuch","params":{}}]', '[{"method":"subscribe","params":{"topics":"x","subuid":1}}]',
    '[{"method":"publish","params":{"name":"$clients","pubuid":1,"type":"int","properties":{}}}]',
    '[{"method":"setproperties","params":{"name":"/nothing","update":{"persistent":true}}}]',
    '[{"method":"unsubscribe","params":{"subuid":99}}]', '[{"method":"unpublish","params":{"pubuid":99}}]',
    '['.repeat(30000) + ']'.repeat(30000), '\u0000\u0001\u0002',
  ];
  for (const t of texts) a.ws.send(t);
  const junk = Buffer.alloc(4096);
  let x = 12345;
  for (let i = 0; i < junk.length; i++) { x = (x * 1103515245 + 12345) >>> 0; junk[i] = x >>> 16; }
  a.ws.send(junk);
  a.ws.send(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]));               // an array of 4 billion
  a.ws.send(Buffer.from([0x94, 0x01, 0x01, 0x04, 0xdb, 0xff, 0xff, 0xff, 0xff]));  // a 4 GB string
  a.ws.send(msgpack.encode([77, 1000, 1, 1.5]));                        // unknown publisher id
  a.ws.send(msgpack.encode([1, 2, 3]));                                 // not 4 elements
  a.ws.send(msgpack.encode('hello'));                                   // not an array
  // A real topic, then a value of the wrong type and an undecodable one.
  a.sendText([{ method: 'publish', params: { name: '/g/x', pubuid: 1, type: 'double', properties: {} } }]);
  a.ws.send(msgpack.encode([1, 1000, 4, 'a string for a double']));
  a.ws.send(msgpack.encode([1, 1000, 1, 'a string with type double']));
  a.ws.send(msgpack.encode([1, 1000, 1, 2.5]));                         // finally a good one
  await rttProbe(a, 4242);
  result({ check: 'survived_malformed', open: a.closed === null });

  // 2. An oversize message closes that connection with 1009 (message too big).
  const b = new RawClient(port, 'oversize');
  await b.opened;
  b.ws.send(Buffer.alloc(max + 1000, 7));
  await until(() => b.closed !== null, 8000, 'the oversize connection to close');
  result({ check: 'oversize', code: b.closed.code });
  const b2 = new RawClient(port, 'oversize-text');
  await b2.opened;
  b2.ws.send('['.padEnd(max + 1000, ' ') + ']');
  await until(() => b2.closed !== null, 8000, 'the oversize text connection to close');
  result({ check: 'oversize_text', code: b2.closed.code });

  // 3. Bytes that are not HTTP, plain HTTP, an oversize HTTP header, an unknown path.
  const tcp = await rawTcp(Buffer.concat([junk, Buffer.from('\r\n\r\n')]));
  result({ check: 'tcp_garbage', response: tcp.split('\r\n')[0] });
  const plain = await rawTcp('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  result({ check: 'plain_http', response: plain.split('\r\n')[0], body: plain.split('\r\n\r\n')[1] });
  const huge = await rawTcp('GET /nt/x HTTP/1.1\r\nHost: x\r\nX-Big: ' + 'a'.repeat(100000) + '\r\n\r\n');
  result({ check: 'huge_header', response: huge.split('\r\n')[0] });
  const other = await rawTcp('GET /other HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  result({ check: 'wrong_path', response: other.split('\r\n')[0] });

  // 4. A WebSocket offering no NT subprotocol is refused.
  const refused = await new Promise((resolve) => {
    const w = new WebSocket(`ws://127.0.0.1:${port}/nt/wrong`, ['chat']);
    w.on('unexpected-response', (req, res) => resolve(res.statusCode));
    w.on('open', () => resolve('opened'));
    w.on('error', () => resolve('error'));
  });
  result({ check: 'wrong_subprotocol', status: refused });

  // 5. Fifty connections that send half a request and vanish.
  for (let i = 0; i < 50; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => { s.write('GET /nt/half HTTP/1.1\r\nHost: x\r\n'); setTimeout(() => s.destroy(), 50); });
    s.on('error', () => {});
  }
  await sleep(300);

  // The first connection still answers after all that.
  await rttProbe(a, 4343);
  result({ check: 'still_serving', open: a.closed === null });
  a.close();
  process.exit(0);
})().catch((e) => die(String(e && e.stack || e)));
