/**
 * Every RTP socket of this thread read through one native batch receiver (media/native/udp-recv.c):
 * one wake-up and one call into JavaScript carry the datagrams of all ready sockets, where dgram
 * takes two reads, a C++ callback and an address object per datagram. Each datagram is copied out
 * of the shared ring into its own Buffer (from Node's pool), so a sink may keep it (jitter buffer,
 * recorder) past the batch. Sources are handed over as NetAddress objects that stay the same object
 * while the source does, so the latch compares them cheaply.
 */
import type dgram from 'node:dgram';
import type { NetAddress } from './rtp-latch.js';
import { socketFd, stopDgramReading, udpNative, type NativeReceiver, type UdpNative } from './udp-native.js';

export type DatagramSink = (msg: Buffer, from: NetAddress) => void;

/** A datagram larger than this is dropped (RTP audio is a few hundred bytes). */
const SLOT_BYTES = 2048;
const SLOTS = 256;
const META_INTS = 8;

export class BatchReceiver {
  private readonly ring = Buffer.allocUnsafeSlow(SLOTS * SLOT_BYTES);
  private readonly metaBuf = Buffer.allocUnsafeSlow(SLOTS * META_INTS * 4);
  private readonly meta = new Int32Array(this.metaBuf.buffer, this.metaBuf.byteOffset, SLOTS * META_INTS);
  private readonly handle: NativeReceiver;
  private readonly sinks: Array<Registration | undefined> = [];
  private readonly freeIds: number[] = [];
  /** Ids removed during a batch: later datagrams of that batch may still carry them. */
  private retired: number[] = [];
  private inBatch = false;
  private closed = false;

  constructor(private readonly native: UdpNative) {
    this.handle = native.recvOpen(this.onBatch, this.ring, this.metaBuf, SLOT_BYTES);
  }

  /** Datagrams on `sock` go to `sink` from now on (and no longer to dgram's 'message'); undefined if it cannot be read natively. */
  add(sock: dgram.Socket, sink: DatagramSink): Registration | undefined {
    if (this.closed) return undefined;
    const fd = socketFd(sock);
    if (fd < 0) return undefined;
    const id = this.freeIds.pop() ?? this.sinks.length;
    if (this.native.recvAdd(this.handle, fd, id) !== 0) {
      this.freeIds.push(id);
      return undefined;
    }
    if (!stopDgramReading(sock)) {
      this.native.recvRemove(this.handle, fd);
      this.freeIds.push(id);
      return undefined;
    }
    const reg = new Registration(this, fd, id, sink);
    this.sinks[id] = reg;
    return reg;
  }

  /** Sockets read now (diagnostics, tests). */
  get size(): number {
    return this.sinks.length - this.freeIds.length - this.retired.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.recvClose(this.handle);
  }

  /** @internal */
  remove(reg: Registration): void {
    if (this.sinks[reg.id] !== reg) return;
    this.sinks[reg.id] = undefined;
    if (!this.closed) this.native.recvRemove(this.handle, reg.fd);
    if (this.inBatch) this.retired.push(reg.id);
    else this.freeIds.push(reg.id);
  }

  /** @internal the source of the datagram whose meta starts at `m` */
  addressAt(m: number): NetAddress {
    const bytes = this.metaBuf.subarray((m + 4) * 4, (m + 4) * 4 + (this.meta[m + 3] === 4 ? 4 : 16));
    return { address: this.native.ntop(bytes), port: this.meta[m + 2] };
  }

  private readonly onBatch = (count: number): void => {
    const { meta, ring, sinks } = this;
    this.inBatch = true;
    let failure: unknown;
    for (let i = 0; i < count; i++) {
      const m = i * META_INTS;
      const reg = sinks[meta[m]];
      if (reg === undefined) continue;
      const len = meta[m + 1];
      const msg = Buffer.allocUnsafe(len);
      ring.copy(msg, 0, i * SLOT_BYTES, i * SLOT_BYTES + len);
      try {
        reg.deliver(msg, meta, m);
      } catch (err) {
        // As a throwing 'message' listener would: uncaught, but after the rest of the batch.
        failure ??= err;
      }
    }
    this.inBatch = false;
    if (this.retired.length > 0) {
      this.freeIds.push(...this.retired);
      this.retired = [];
    }
    if (failure !== undefined)
      process.nextTick(() => {
        throw failure;
      });
  };
}

export class Registration {
  private from: NetAddress | undefined;
  private fromKey = [0, 0, 0, 0, 0, 0];

  constructor(
    private readonly receiver: BatchReceiver,
    readonly fd: number,
    readonly id: number,
    private readonly sink: DatagramSink,
  ) {}

  /** Stops reading the socket; call before closing it. */
  remove(): void {
    this.receiver.remove(this);
  }

  /** @internal */
  deliver(msg: Buffer, meta: Int32Array, m: number): void {
    const k = this.fromKey;
    // port, family, address words: the same source keeps its NetAddress object
    if (
      this.from === undefined ||
      k[0] !== meta[m + 2] ||
      k[1] !== meta[m + 3] ||
      k[2] !== meta[m + 4] ||
      k[3] !== meta[m + 5] ||
      k[4] !== meta[m + 6] ||
      k[5] !== meta[m + 7]
    ) {
      for (let j = 0; j < 6; j++) k[j] = meta[m + 2 + j];
      this.from = this.receiver.addressAt(m);
    }
    this.sink(msg, this.from);
  }
}

let shared: BatchReceiver | null | undefined;

/**
 * This thread's receiver, made on first use; null without the addon or with
 * SWITCHBOARD_UDP_BATCH_RECV=0 (A/B runs), when sockets are read through dgram.
 */
export function batchReceiver(): BatchReceiver | null {
  if (shared === undefined) {
    const native = process.env.SWITCHBOARD_UDP_BATCH_RECV === '0' ? undefined : udpNative;
    shared = native ? new BatchReceiver(native) : null;
  }
  return shared;
}
