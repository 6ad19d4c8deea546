package dev.r3.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The host side of one right-padded {@link Trainer} batch: each sequence of T tokens is fed as its
 * first T - 1 tokens from position 0, with its next tokens as targets and its loss mask; for REPLAY
 * and R2 the window carries the replayed expert ids, each record checked against its sequence
 * first.
 */
final class TrainingBatch {
  final List<Sequence> seqs;
  final int rows;
  final int width;
  final long[] targets;
  final float[] trained;
  final DecoderWindow window;
  private final ModelConfig config;

  /**
   * Checks the sequences (and, unless RECOMPUTE on a MoE model, one record per sequence) and lays
   * them out.
   *
   * @throws IllegalArgumentException on an empty batch, a sequence too long or a token outside the
   *     vocabulary, or a missing record list
   * @throws RoutingMismatchException when a record does not fit its sequence
   */
  static TrainingBatch of(
      ModelConfig config, List<Sequence> seqs, RoutingMode mode, List<RoutingRecord> replay) {
    if (seqs.isEmpty()) {
      throw new IllegalArgumentException("empty batch");
    }
    int width = 0;
    for (Sequence s : seqs) {
      if (s.length() - 1 > config.maxPositions()) {
        throw new IllegalArgumentException(
            "sequence '"
                + s.id()
                + "' has "
                + s.length()
                + " tokens; the model takes at most max_position_embeddings + 1 = "
                + (config.maxPositions() + 1));
      }
      for (int t : s.tokens()) {
        if (t < 0 || t >= config.vocabSize()) {
          throw new IllegalArgumentException(
              "sequence '"
                  + s.id()
                  + "' holds token "
                  + t
                  + " outside the vocabulary [0, "
                  + config.vocabSize()
                  + ")");
        }
      }
      width = Math.max(width, s.length() - 1);
    }
    TrainingBatch b = new TrainingBatch(config, seqs, width);
    if (config.isMoe() && mode != RoutingMode.RECOMPUTE) {
      b.fillReplay(mode, replay);
    }
    return b;
  }

  private TrainingBatch(ModelConfig config, List<Sequence> seqs, int width) {
    this.config = config;
    this.seqs = seqs;
    this.rows = seqs.size();
    this.width = width;
    long[] ids = new long[rows * width];
    long[] positions = new long[rows * width];
    boolean[] computed = new boolean[rows * width];
    float[] keyMask = new float[rows * width];
    this.targets = new long[rows * width];
    this.trained = new float[rows * width];
    for (int b = 0; b < rows; b++) {
      Sequence s = seqs.get(b);
      int fed = s.length() - 1;
      for (int t = 0; t < width; t++) {
        int i = b * width + t;
        if (t < fed) {
          ids[i] = s.tokens()[t];
          targets[i] = s.tokens()[t + 1];
          positions[i] = t;
          computed[i] = true;
          trained[i] = s.trained(t + 1) ? 1f : 0f;
        } else {
          keyMask[i] = MoeDecoder.MASKED;
        }
      }
    }
    this.window =
        new DecoderWindow(
            rows,
            width,
            width,
            ids,
            positions,
            computed,
            DecoderWindow.causal(width, width, 0),
            keyMask,
            config.numLayers());
  }

  /** Splits a (B, L) host array into per-sequence rows of T - 1 values. */
  float[][] rows(float[] flat) {
    float[][] out = new float[rows][];
    for (int b = 0; b < rows; b++) {
      out[b] = new float[seqs.get(b).length() - 1];
      System.arraycopy(flat, b * width, out[b], 0, out[b].length);
    }
    return out;
  }

  /** The routing the forward pass used, per sequence, positions 0..T-2. */
  List<RoutingRecord> records() {
    List<RoutingRecord> out = new ArrayList<>(rows);
    for (int b = 0; b < rows; b++) {
      int fed = seqs.get(b).length() - 1;
      if (!config.isMoe()) {
        out.add(RoutingRecord.empty(fed));
        continue;
      }
      int layers = config.numLayers();
      int k = config.topK();
      int[] flat = new int[fed * layers * k];
      for (int l = 0; l < layers; l++) {
        int[] used = window.used[l];
        for (int t = 0; t < fed; t++) {
          System.arraycopy(used, (b * width + t) * k, flat, (t * layers + l) * k, k);
        }
      }
      out.add(RoutingRecord.of(fed, layers, k, config.numExperts(), flat));
    }
    return out;
  }

  /**
   * Lays replayed records out per layer as the window's (B*L*k) id arrays, after checking each one.
   */
  private void fillReplay(RoutingMode mode, List<RoutingRecord> replay) {
    if (replay == null || replay.size() != rows) {
      throw new IllegalArgumentException(
          mode
              + " needs one routing record per sequence: got "
              + (replay == null ? "none" : replay.size())
              + " for "
              + rows
              + " sequences");
    }
    int layers = config.numLayers();
    int k = config.topK();
    for (int b = 0; b < rows; b++) {
      Sequence s = seqs.get(b);
      RoutingRecord r = replay.get(b);
      if (r == null) {
        throw new RoutingMismatchException(
            "routing record of sequence '" + s.id() + "' is missing");
      }
      r.checkAligned(s.id(), s.length(), layers, k);
      if (r.numExperts() != config.numExperts()) {
        throw new RoutingMismatchException(
            "routing record of sequence '"
                + s.id()
                + "' does not match it: "
                + "experts "
                + r.numExperts()
                + " != "
                + config.numExperts());
      }
    }
    for (int l = 0; l < layers; l++) {
      int[] ids = new int[rows * width * k];
      for (int i = 0; i < rows * width; i++) {
        for (int j = 0; j < k; j++) {
          ids[i * k + j] = j; // padding: any distinct valid ids, outputs unused
        }
      }
      window.replay[l] = ids;
    }
    for (int b = 0; b < rows; b++) {
      int[] flat = replay.get(b).toIntArray(); // [position][layer][slot]
      int fed = seqs.get(b).length() - 1;
      for (int t = 0; t < fed; t++) {
        for (int l = 0; l < layers; l++) {
          System.arraycopy(flat, (t * layers + l) * k, window.replay[l], (b * width + t) * k, k);
        }
      }
    }
  }
}
