/** A small seeded PRNG (mulberry32): the simulation must replay exactly from its seed. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Exponentially distributed with the given mean (queueing delay). */
  exponential(mean: number): number {
    return mean <= 0 ? 0 : -mean * Math.log(1 - this.next());
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}
