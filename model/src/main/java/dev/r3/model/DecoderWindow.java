package dev.r3.model;

/**
 * One forward call over {@code rows} x {@code width} token slots attending to {@code keys} key
 * columns (the width new ones last). Host-side inputs; see the two engines for how they fill it.
 */
final class DecoderWindow {
  final int rows;
  final int width;
  final int keys;
  final long[] ids; // rows*width token ids (any valid id on padding)
  final long[] positions; // rows*width position within the unpadded sequence (0 on padding)
  final boolean[]
      computed; // rows*width: false for padding and already-cached tokens (outputs unused)
  final float[] causal; // width*keys additive: 0 where key column <= query column, else MASKED
  final float[] keyMask; // rows*keys additive: 0 for a real key of that row, else MASKED

  /**
   * Per MoE layer: rows*width*k expert ids to replay (-1: route that slot by this model's top-k),
   * or null to route every slot by this model's top-k.
   */
  final int[][] replay;

  /**
   * Filled by forward: per MoE layer, the rows*width*k expert ids used (descending gate when
   * routed).
   */
  final int[][] used;

  DecoderWindow(
      int rows,
      int width,
      int keys,
      long[] ids,
      long[] positions,
      boolean[] computed,
      float[] causal,
      float[] keyMask,
      int layers) {
    this.rows = rows;
    this.width = width;
    this.keys = keys;
    this.ids = ids;
    this.positions = positions;
    this.computed = computed;
    this.causal = causal;
    this.keyMask = keyMask;
    this.replay = new int[layers][];
    this.used = new int[layers][];
  }

  /**
   * Causal mask for queries at columns {@code first .. first+width-1} over key columns 0..keys-1.
   */
  static float[] causal(int width, int keys, int first) {
    float[] m = new float[width * keys];
    for (int i = 0; i < width; i++) {
      for (int j = first + i + 1; j < keys; j++) {
        m[i * keys + j] = MoeDecoder.MASKED;
      }
    }
    return m;
  }
}
