// node scripts/bench-nt-gen.js RATE COUNT: COUNT detections records at RATE per second on stdout,
// each stamped (t_capture) with the wall clock in µs just before it is written. Used by bench-nt.
'use strict';
const rate = Number(process.argv[2] || 100);
const count = Number(process.argv[3] || 1000);
const now = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const period = 1000 / rate;
const start = performance.now() + 500;  // let ntpub connect first
let seq = 0;
function tick() {
  while (seq < count && performance.now() >= start + seq * period) {
    const t = now();
    // As detect writes it (docs/records.md).
    const pose = (x, y, z, W, X, Y, Z) => ({ translation: { x, y, z }, rotation: { quaternion: { W, X, Y, Z } } });
    const rec = {
      type: 'detections', cam: 'bench', seq, t_capture: t, w: 640, h: 480,
      tags: [{ id: 7, hamming: 0, margin: 120, corners: [[300, 280], [360, 280], [360, 220], [300, 220]],
        center: [330, 250], tx: 3.5, ty: -1.25, area: 2.5, distance: 2, ambiguity: 0.05,
        poses: [{ camera_to_tag: pose(2, 0, 0, 0, 0, 0, 1), error: 0.1 }, { camera_to_tag: pose(2, 0, 0, 0.1, 0, 0, 0.995), error: 2 }] }],
      field_pose: { method: 'single-tag', tags: [7], camera: pose(5, 3, 0.5, 1, 0, 0, 0), robot: pose(4.8, 3, 0, 1, 0, 0, 0),
        error: 0.1, ambiguity: 0.05, distance: 2, std_devs: [0.1, 0.1, 0.1] },
      t_done: t,
    };
    if (!process.stdout.write(JSON.stringify(rec) + '\n')) { /* a full pipe: keep going */ }
    seq++;
  }
  if (seq >= count) { setTimeout(() => process.exit(0), 1500); return; }
  setTimeout(tick, Math.max(0, start + seq * period - performance.now() - 1));
}
process.stdout.on('error', () => process.exit(0));
tick();
