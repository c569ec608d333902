/**
 * Hands out even/odd UDP port pairs (RTP on the even port, RTCP on the next) from a configured
 * range. The allocator only tracks what this process believes is free; the endpoint still binds
 * and reports back with `reject()` when the OS says a port is taken, so a port used by another
 * program is skipped instead of failing the call.
 */
export class PortAllocator {
  private readonly inUse = new Set<number>();
  private readonly min: number;
  private readonly max: number;
  private next: number;

  constructor(portMin: number, portMax: number) {
    this.min = portMin % 2 === 0 ? portMin : portMin + 1;
    this.max = portMax;
    if (this.min + 1 > this.max) throw new RangeError(`RTP port range ${portMin}-${portMax} holds no even/odd pair`);
    this.next = this.min;
  }

  get size(): number {
    return this.inUse.size;
  }

  get capacity(): number {
    return Math.floor((this.max - this.min + 1) / 2);
  }

  /** Next free even port (its odd neighbour is reserved with it); throws when the range is exhausted. */
  allocate(): number {
    const pairs = this.capacity;
    for (let i = 0; i < pairs; i++) {
      const port = this.next;
      this.next += 2;
      if (this.next + 1 > this.max) this.next = this.min;
      if (!this.inUse.has(port)) {
        this.inUse.add(port);
        return port;
      }
    }
    throw new Error('no free RTP port pair in range');
  }

  release(port: number): void {
    this.inUse.delete(port);
  }

  isInUse(port: number): boolean {
    return this.inUse.has(port);
  }
}
