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
    const rec = {
      type: 'detections', cam: 'bench', seq, t_capture: t, t_done: t, w: 640, h: 480,
      tags: [{ id: 7, tx: 3.5, ty: -1.25, area: 2.5, center: [330, 250], ambiguity: 0.05,
        pose: { translation: { x: 2, y: 0, z: 0 }, rotation: { quaternion: { W: 0, X: 0, Y: 0, Z: 1 } } } }],
      field: {
        camera_pose: { translation: { x: 5, y: 3, z: 0.5 }, rotation: { quaternion: { W: 1, X: 0, Y: 0, Z: 0 } } },
        robot_pose: { translation: { x: 4.8, y: 3, z: 0 }, rotation: { quaternion: { W: 1, X: 0, Y: 0, Z: 0 } } },
        tag_ids: [7],
      },
    };
    if (!process.stdout.write(JSON.stringify(rec) + '\n')) { /* a full pipe: keep going */ }
    seq++;
  }
  if (seq >= count) { setTimeout(() => process.exit(0), 1500); return; }
  setTimeout(tick, Math.max(0, start + seq * period - performance.now() - 1));
}
process.stdout.on('error', () => process.exit(0));
tick();
