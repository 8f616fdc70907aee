import { create, globals } from 'webgpu';
import { createRequire } from 'node:module';
const { pump } = createRequire(import.meta.url)('./pump.node');
Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice();
function readSync(src, size) {
  const staging = device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, staging, 0, size);
  device.queue.submit([enc.finish()]);
  let done = false, err;
  staging.mapAsync(GPUMapMode.READ).then(() => { done = true; }, (e) => { err = e; done = true; });
  let spins = 0;
  while (staging.mapState !== 'mapped' && !err) { pump(); spins++; if (spins > 1e6) throw new Error('stuck'); }
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap(); staging.destroy();
  return [out, spins, done];
}
const buf = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
device.queue.writeBuffer(buf, 0, new Float32Array([1, 2, 3, 4]));
for (let i = 0; i < 3; i++) console.log(readSync(buf, 16));
let t = performance.now(); for (let i = 0; i < 100; i++) readSync(buf, 16); console.log('ms/read', (performance.now() - t) / 100);
setTimeout(() => console.log('timer ok'), 10);
