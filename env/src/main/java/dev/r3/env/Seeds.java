package dev.r3.env;

/** Stable 64-bit mixing for deriving independent random streams from (seed, index) pairs. */
public final class Seeds {
  private Seeds() {}

  /** The splitmix64 finaliser: a bijection that spreads every input bit over the output. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /**
   * A seed for stream {@code index} under {@code seed}; distinct indices give unrelated streams.
   */
  public static long derive(long seed, long index) {
    return mix(mix(seed) + 0x9e3779b97f4a7c15L * (index + 1));
  }
}
