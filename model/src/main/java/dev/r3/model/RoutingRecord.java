package dev.r3.model;

import java.util.Arrays;

/**
 * The experts an engine chose for every position of one sequence, every MoE layer and every one of
 * the k slots: the thing R3 carries from the rollout engine to the trainer.
 *
 * <p>Positions: for a sequence of T tokens the engine runs tokens 0..T-2 (the last sampled token is
 * never fed back), so a complete record holds {@code T - 1} positions, as SGLang returns {@code [T
 * - 1, layers, k]}. Position p is the token at index p of the unpadded sequence (prompt first).
 *
 * <p>Storage: one byte per id when there are at most 256 experts, two otherwise (little-endian).
 * Ids within a (position, layer) are kept in the order the engine produced them (descending gate).
 * Immutable.
 */
public final class RoutingRecord {
  private final int positions;
  private final int layers;
  private final int k;
  private final int numExperts;
  private final byte[] ids;

  private RoutingRecord(int positions, int layers, int k, int numExperts, byte[] ids) {
    this.positions = positions;
    this.layers = layers;
    this.k = k;
    this.numExperts = numExperts;
    this.ids = ids;
  }

  /** From expert ids laid out {@code [position][layer][slot]} (flattened); copies the array. */
  public static RoutingRecord of(int positions, int layers, int k, int numExperts, int[] flatIds) {
    if (positions < 0 || layers < 0 || k < 0) {
      throw new IllegalArgumentException("negative routing record shape");
    }
    if (numExperts < 1 || numExperts > 65536) {
      throw new IllegalArgumentException("numExperts must be in [1, 65536], got " + numExperts);
    }
    long n = (long) positions * layers * k;
    if (flatIds.length != n) {
      throw new IllegalArgumentException(
          "routing ids: expected "
              + positions
              + "x"
              + layers
              + "x"
              + k
              + " = "
              + n
              + " values, got "
              + flatIds.length);
    }
    int width = bytesPerId(numExperts);
    byte[] b = new byte[flatIds.length * width];
    for (int i = 0; i < flatIds.length; i++) {
      int id = flatIds[i];
      if (id < 0 || id >= numExperts) {
        throw new IllegalArgumentException(
            "expert id " + id + " out of range [0, " + numExperts + ")");
      }
      if (width == 1) {
        b[i] = (byte) id;
      } else {
        b[2 * i] = (byte) id;
        b[2 * i + 1] = (byte) (id >>> 8);
      }
    }
    return new RoutingRecord(positions, layers, k, numExperts, b);
  }

  /** From the compact wire form (as returned by {@link #compactIds()}); copies and validates it. */
  public static RoutingRecord fromCompact(
      int positions, int layers, int k, int numExperts, byte[] compact) {
    int width = bytesPerId(numExperts);
    long n = (long) positions * layers * k * width;
    if (compact.length != n) {
      throw new IllegalArgumentException(
          "compact routing ids: expected " + n + " bytes, got " + compact.length);
    }
    RoutingRecord r = new RoutingRecord(positions, layers, k, numExperts, compact.clone());
    for (int i = 0; i < positions * layers * k; i++) {
      if (r.idAt(i) >= numExperts) {
        throw new IllegalArgumentException(
            "expert id " + r.idAt(i) + " out of range [0, " + numExperts + ")");
      }
    }
    return r;
  }

  /** An empty record (dense model or zero positions). */
  public static RoutingRecord empty(int positions) {
    return new RoutingRecord(positions, 0, 0, 1, new byte[0]);
  }

  static int bytesPerId(int numExperts) {
    return numExperts <= 256 ? 1 : 2;
  }

  public int positions() {
    return positions;
  }

  public int layers() {
    return layers;
  }

  public int k() {
    return k;
  }

  public int numExperts() {
    return numExperts;
  }

  /** The compact wire form: a copy of the id bytes. */
  public byte[] compactIds() {
    return ids.clone();
  }

  /** Bytes used by the ids. */
  public int byteSize() {
    return ids.length;
  }

  private int idAt(int flat) {
    if (bytesPerId(numExperts) == 1) {
      return ids[flat] & 0xFF;
    }
    return (ids[2 * flat] & 0xFF) | ((ids[2 * flat + 1] & 0xFF) << 8);
  }

  public int expert(int position, int layer, int slot) {
    if (position < 0
        || position >= positions
        || layer < 0
        || layer >= layers
        || slot < 0
        || slot >= k) {
      throw new IndexOutOfBoundsException(
          "("
              + position
              + ", "
              + layer
              + ", "
              + slot
              + ") outside "
              + positions
              + "x"
              + layers
              + "x"
              + k);
    }
    return idAt((position * layers + layer) * k + slot);
  }

  /** The k ids of one (position, layer). */
  public int[] experts(int position, int layer) {
    int[] out = new int[k];
    for (int s = 0; s < k; s++) {
      out[s] = expert(position, layer, s);
    }
    return out;
  }

  /** All ids flattened {@code [position][layer][slot]}. */
  public int[] toIntArray() {
    int[] out = new int[positions * layers * k];
    for (int i = 0; i < out.length; i++) {
      out[i] = idAt(i);
    }
    return out;
  }

  /** The ids of one layer for all positions, flattened {@code [position][slot]}. */
  public int[] layerIds(int layer) {
    int[] out = new int[positions * k];
    for (int p = 0; p < positions; p++) {
      for (int s = 0; s < k; s++) {
        out[p * k + s] = expert(p, layer, s);
      }
    }
    return out;
  }

  /**
   * True when (position, layer) selects the same set of experts in both records (order ignored).
   */
  public boolean sameSet(RoutingRecord other, int position, int layer) {
    int[] a = experts(position, layer);
    int[] b = other.experts(position, layer);
    Arrays.sort(a);
    Arrays.sort(b);
    return Arrays.equals(a, b);
  }

  /** The first {@code n} positions (a prefix-cache hit reuses the record of the shared prefix). */
  public RoutingRecord prefix(int n) {
    if (n < 0 || n > positions) {
      throw new IllegalArgumentException("prefix " + n + " outside [0, " + positions + "]");
    }
    int width = bytesPerId(numExperts);
    return new RoutingRecord(n, layers, k, numExperts, Arrays.copyOf(ids, n * layers * k * width));
  }

  /**
   * Positions {@code from .. to - 1} (what a multi-turn turn adds to the record of the turns
   * before).
   */
  public RoutingRecord slice(int from, int to) {
    if (from < 0 || from > to || to > positions) {
      throw new IllegalArgumentException(
          "slice [" + from + ", " + to + ") outside [0, " + positions + "]");
    }
    int per = layers * k * bytesPerId(numExperts);
    return new RoutingRecord(
        to - from, layers, k, numExperts, Arrays.copyOfRange(ids, from * per, to * per));
  }

  /** This record followed by {@code next} (same layers, k and expert count). */
  public RoutingRecord concat(RoutingRecord next) {
    if (next.layers != layers || next.k != k || next.numExperts != numExperts) {
      throw new IllegalArgumentException(
          "cannot concatenate routing records of shapes " + shape() + " and " + next.shape());
    }
    byte[] b = Arrays.copyOf(ids, ids.length + next.ids.length);
    System.arraycopy(next.ids, 0, b, ids.length, next.ids.length);
    return new RoutingRecord(positions + next.positions, layers, k, numExperts, b);
  }

  /**
   * Checks that this record fits a sequence of {@code tokens} tokens run through {@code layers} MoE
   * layers with top-{@code k}: it must hold {@code tokens - 1} positions.
   *
   * @throws RoutingMismatchException naming the sequence and every mismatch
   */
  public void checkAligned(String sequenceId, int tokens, int expectedLayers, int expectedK) {
    StringBuilder why = new StringBuilder();
    if (positions != tokens - 1) {
      why.append(" positions ")
          .append(positions)
          .append(" != tokens - 1 = ")
          .append(tokens - 1)
          .append(';');
    }
    if (layers != expectedLayers) {
      why.append(" layers ").append(layers).append(" != ").append(expectedLayers).append(';');
    }
    if (k != expectedK) {
      why.append(" k ").append(k).append(" != ").append(expectedK).append(';');
    }
    if (why.length() > 0) {
      throw new RoutingMismatchException(
          "routing record of sequence '"
              + sequenceId
              + "' does not match it:"
              + why.substring(0, why.length() - 1));
    }
  }

  public String shape() {
    return "[" + positions + ", " + layers + ", " + k + "]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RoutingRecord r
        && r.positions == positions
        && r.layers == layers
        && r.k == k
        && r.numExperts == numExperts
        && Arrays.equals(r.ids, ids);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(ids) * 31 + positions;
  }

  @Override
  public String toString() {
    return "RoutingRecord" + shape() + " of " + numExperts + " experts";
  }
}
