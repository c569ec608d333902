/**
 * The media plane's per-packet work around the codecs, without the network: a PCMU ⇄ Opus bridge
 * of two real RTP endpoints is fed pre-built speech-like packets straight into their datagram
 * handlers, and what they would send is counted instead of sent. Prints the CPU per call per 20 ms
 * frame (both directions), the codec share of it (the same codec calls timed alone), and the rest:
 * parsing, latching, statistics, jitter buffer, bridge, packetizer, header writing. CPU time, so
 * the figure holds on a shared machine; run with --cpu-prof to see where the rest goes.
 *
 * `node dist/test/bench/hot-path-bench.js [calls=50] [frames=3000] [--net]`
 *
 * --net: the endpoints really send, through their sockets (the UDP send addon, or dgram with
 * SWITCHBOARD_UDP_NATIVE=0), to a sink in another process (udp-sink.c): the send path's CPU,
 * syscalls included, on top of the figure above. Receiving stays simulated.
 */
import type { RemoteInfo } from 'node:dgram';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createDecoder, createEncoder, encodeMulaw } from '../../media/codecs/index.js';
import { Bridge } from '../../media/bridge.js';
import { RtpEndpoint } from '../../media/endpoints/rtp-endpoint.js';
import { PortAllocator } from '../../media/port-allocator.js';
import type { CodecSpec } from '../../media/types.js';
import { speechLike } from './codec-bench.js';
import { udpNative } from '../../media/endpoints/udp-native.js';

// The C source lives beside this file's TypeScript source (dist/test/bench -> test/bench).
const SINK_SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'bench', 'udp-sink.c');

/** The sink process: its port, and how many datagrams it read once told to stop. */
async function startSink(): Promise<{ port: number; stop: () => Promise<number> }> {
  const dir = mkdtempSync(join(tmpdir(), 'udp-sink-'));
  const bin = join(dir, 'udp-sink');
  execFileSync('cc', ['-O2', '-o', bin, SINK_SRC]);
  const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const m = /^ready (\d+)/.exec(((await lines.next()).value as string) ?? '');
  if (!m) throw new Error('udp sink did not start');
  return {
    port: Number(m[1]),
    stop: async () => {
      child.stdin.end();
      const count = Number((await lines.next()).value);
      child.kill();
      rmSync(dir, { recursive: true, force: true });
      return count;
    },
  };
}

const OPUS: CodecSpec = { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 };
const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };

/** What the hot path reaches on an endpoint: its datagram handler and its one send. */
interface Reachable {
  onDatagram(msg: Buffer, rinfo: RemoteInfo): void;
  sendDatagram(head: Buffer, payload: Buffer): void;
}

function offer(port: number, codec: 'PCMU' | 'opus'): string {
  const m =
    codec === 'PCMU'
      ? [`m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000']
      : [`m=audio ${port} RTP/AVP 111`, 'a=rtpmap:111 opus/48000/2'];
  return ['v=0', 'o=gen 1 1 IN IP4 127.0.0.1', 's=gen', 'c=IN IP4 127.0.0.1', 't=0 0', ...m, 'a=sendrecv', ''].join('\r\n');
}

function rtpPacket(pt: number, seq: number, ts: number, ssrc: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(12 + payload.length);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ts >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  payload.copy(b, 12);
  return b;
}

function cpuUs(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const net = process.argv.includes('--net');
  const calls = Number(args[0] ?? 50);
  const frames = Number(args[1] ?? 3000);
  const sink = net ? await startSink() : undefined;
  const pcm8 = speechLike(8000, 100);
  const pcm48 = speechLike(48000, 100);
  const mulaw = pcm8.map(encodeMulaw);
  const enc48 = createEncoder(OPUS, { pcmRate: 48000 });
  const opus = pcm48.map((x) => enc48.encode(x));
  enc48.close();

  // A range of its own: other benches and tests on this machine bind 40000 and up.
  const base = 20000 + 2 * Math.floor(Math.random() * 9000);
  const ports = new PortAllocator(base, base + 4 * calls + 100);
  const ctx = (id: string) => ({ id, ports, address: '127.0.0.1', advertisedAddress: '127.0.0.1' }) as never;
  const legs: Array<{ a: Reachable; b: Reachable; close: () => void }> = [];
  let sent = 0;
  for (let i = 0; i < calls; i++) {
    const a = new RtpEndpoint(ctx(`a${i}`));
    const b = new RtpEndpoint(ctx(`b${i}`));
    await a.answer(offer(sink?.port ?? 30000 + 2 * i, 'PCMU'));
    await b.answer(offer(sink?.port ?? 31000 + 2 * i, 'opus'));
    const bridge = new Bridge(a, b);
    const ra = a as unknown as Reachable;
    const rb = b as unknown as Reachable;
    if (!net) {
      ra.sendDatagram = () => void sent++;
      rb.sendDatagram = () => void sent++;
    }
    const close = (): void => {
      bridge.close();
      a.close();
      b.close();
    };
    legs.push({ a: ra, b: rb, close });
  }
  // With --net every leg latches onto the sink (and connects its socket to it).
  const fromA = (i: number): RemoteInfo => ({
    address: '127.0.0.1',
    family: 'IPv4',
    port: sink?.port ?? 30000 + 2 * i,
    size: 172,
  });
  const fromB = (i: number): RemoteInfo => ({
    address: '127.0.0.1',
    family: 'IPv4',
    port: sink?.port ?? 31000 + 2 * i,
    size: 100,
  });
  const rinfoA = legs.map((_, i) => fromA(i));
  const rinfoB = legs.map((_, i) => fromB(i));

  const drive = (from: number, count: number): void => {
    for (let f = from; f < from + count; f++) {
      const k = f % 100;
      for (let i = 0; i < legs.length; i++) {
        legs[i].a.onDatagram(rtpPacket(0, f, f * 160, 1000 + i, mulaw[k]), rinfoA[i]);
        legs[i].b.onDatagram(rtpPacket(111, f, f * 960, 5000 + i, opus[k]), rinfoB[i]);
      }
    }
  };
  drive(0, 200); // warm up the JIT and the latches
  if (net) await new Promise((r) => setTimeout(r, 200)); // the latched sockets' connects land
  sent = 0;
  const totalUs = cpuUs(() => drive(200, frames));
  const perCallFrame = totalUs / (frames * calls);

  // The same codec calls, alone, on as many streams (codec state per call, as in the bridge).
  const codecs = legs.map(() => ({
    pcmuDec: createDecoder(PCMU, { pcmRate: 8000 }),
    opusEnc: createEncoder(OPUS, { pcmRate: 8000 }),
    opusDec: createDecoder(OPUS, { pcmRate: 8000 }),
    pcmuEnc: createEncoder(PCMU, { pcmRate: 8000 }),
  }));
  const codecRun = (count: number): void => {
    for (let f = 0; f < count; f++) {
      const k = f % 100;
      for (const c of codecs) {
        c.opusEnc.encode(c.pcmuDec.decode(mulaw[k]));
        c.pcmuEnc.encode(c.opusDec.decode(opus[k]));
      }
    }
  };
  codecRun(200);
  const codecUs = cpuUs(() => codecRun(frames)) / (frames * calls);
  const rest = perCallFrame - codecUs;
  const line = (k: string, v: string): void => void process.stdout.write(`${k.padEnd(44)}${v}\n`);
  if (sink) {
    await new Promise((r) => setTimeout(r, 200)); // the sink drains its socket
    sent = (await sink.stop()) - 2 * calls * 200; // less the warm-up's
    line('sends', `${udpNative ? 'UDP send addon' : 'dgram'} (real sockets, to a sink process)`);
  }
  line('calls × frames', `${calls} × ${frames} (sent ${sent} of ${2 * calls * frames} expected)`);
  line('hot path, µs per call per 20 ms', perCallFrame.toFixed(1));
  line('  codec calls alone', codecUs.toFixed(1));
  line(
    net ? '  the rest (sends included)' : '  the rest (no syscalls)',
    `${rest.toFixed(1)} (${((rest / perCallFrame) * 100).toFixed(0)}%)`,
  );
  line(net ? 'calls per core, receiving left out' : 'calls per core, network I/O left out', (20000 / perCallFrame).toFixed(0));
  for (const l of legs) l.close();
}

void main();
