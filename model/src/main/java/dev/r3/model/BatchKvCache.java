package dev.r3.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * The KV cache of one {@link RolloutEngine#generate} call: per layer, keys and values of shape
 * (rows, nKV, capacity, hd), one row per prefilled prompt or live sequence, one column per token
 * slot of the shared (left-padded) column space. All arrays live in the call's manager.
 */
final class BatchKvCache {
  private final NDManager call;
  private final int layers;
  private final long nkv;
  private final long hd;
  private final NDArray[] keys;
  private final NDArray[] values;

  BatchKvCache(NDManager call, ModelConfig config, int rows, int capacity) {
    this.call = call;
    this.layers = config.numLayers();
    this.nkv = config.numKvHeads();
    this.hd = config.headDim();
    this.keys = new NDArray[layers];
    this.values = new NDArray[layers];
    Shape shape = new Shape(rows, nkv, capacity, hd);
    for (int l = 0; l < layers; l++) {
      keys[l] = call.zeros(shape);
      values[l] = call.zeros(shape);
    }
  }

  /** Columns per row. */
  long capacity() {
    return keys[0].getShape().get(2);
  }

  /** Writes a layer's new (rows, nKV, width, hd) entries at columns {@code from ..}. */
  void write(int layer, int from, NDArray kNew, NDArray vNew) {
    Nd.write(keys[layer], 2, from, kNew);
    Nd.write(values[layer], 2, from, vNew);
  }

  /** A layer's keys and values of columns {@code 0 .. columns - 1}: what the window attends. */
  NDArray[] columns(int layer, int columns, NDManager scope) {
    return new NDArray[] {
      Nd.slice(keys[layer], 2, 0, columns, scope), Nd.slice(values[layer], 2, 0, columns, scope)
    };
  }

  /**
   * Copies the first {@code length} positions of a stored prefix's layer {@code layer} (kv is
   * (layers, 2, nKV, n, hd)) into row {@code row} from column {@code column}.
   */
  void restore(int layer, int row, int column, NDArray kv, int length, NDManager scope) {
    for (int kind = 0; kind < 2; kind++) {
      NDArray src =
          Nd.view(
              kv,
              new long[] {layer, kind, 0, 0, 0},
              new long[] {layer + 1, kind + 1, nkv, length, hd},
              scope); // (1, 1, nKV, length, hd)
      NDArray dst = kind == 0 ? keys[layer] : values[layer];
      Nd.write(
          dst,
          new long[] {row, 0, column, 0},
          new long[] {row + 1, nkv, column + length, hd},
          src.reshape(1, nkv, length, hd));
    }
  }

  /**
   * A copy of row {@code row}'s entries of columns {@code column .. column + length - 1}, all
   * layers: (layers, 2, nKV, length, hd), owned by {@code into}.
   */
  NDArray copyRow(int row, int column, int length, NDManager into) {
    try (NDManager s = call.newSubManager()) {
      NDArray[] parts = new NDArray[2 * layers];
      for (int l = 0; l < layers; l++) {
        long[] min = {row, 0, column, 0};
        long[] max = {row + 1, nkv, column + length, hd};
        parts[2 * l] = Nd.view(keys[l], min, max, s);
        parts[2 * l + 1] = Nd.view(values[l], min, max, s);
      }
      NDArray kv = NDArrays.stack(new NDList(parts)).reshape(layers, 2, nkv, length, hd); // a copy
      kv.attach(into);
      return kv;
    }
  }

  /**
   * Rows {@code rows} of {@code source}, columns {@code from .. to - 1}, to be placed from column
   * {@code at} of a new cache ({@link #assemble}).
   */
  record Part(BatchKvCache source, long[] rows, int from, int to, int at) {}

  /**
   * A new cache of {@code width} columns in {@code into} holding the parts' rows, part after part;
   * every column no part fills is zero. Used by {@link ContinuousBatch} to add prefilled rows to a
   * running batch, drop finished rows, shift columns and grow the capacity, in one copy.
   */
  static BatchKvCache assemble(NDManager into, ModelConfig config, int width, List<Part> parts) {
    int total = 0;
    for (Part p : parts) {
      total += p.rows().length;
    }
    BatchKvCache out = new BatchKvCache(into, config, total, width);
    int row = 0;
    try (NDManager s = into.newSubManager()) {
      for (Part p : parts) {
        int n = p.rows().length;
        int w = p.to() - p.from();
        if (n > 0 && w > 0) {
          NDArray index = s.create(p.rows(), new Shape(n));
          long[] min = {row, 0, p.at(), 0};
          long[] max = {row + n, out.nkv, p.at() + w, out.hd};
          for (int l = 0; l < out.layers; l++) {
            Nd.write(out.keys[l], min, max, pick(p.source().keys[l], index, p.from(), p.to(), s));
            Nd.write(
                out.values[l], min, max, pick(p.source().values[l], index, p.from(), p.to(), s));
          }
        }
        row += n;
      }
    }
    return out;
  }

  /** Rows {@code index} of {@code cache}'s columns {@code from .. to - 1}, in {@code s}. */
  private static NDArray pick(NDArray cache, NDArray index, int from, int to, NDManager s) {
    Shape shape = cache.getShape();
    NDArray cols = Nd.slice(cache, 2, from, to, s); // (R, nKV, w, hd), a view
    NDArray flat = cols.reshape(shape.get(0), -1); // a copy when the view is not contiguous
    Nd.own(flat, s);
    return Nd.rows(flat, index)
        .reshape(index.getShape().get(0), shape.get(1), to - from, shape.get(3));
  }

  /** Frees the cache's arrays now (its manager may live on). */
  void close() {
    for (int l = 0; l < layers; l++) {
      keys[l].close();
      values[l].close();
    }
  }

  /** Keeps rows {@code idx} (in that order). */
  void selectRows(long[] idx) {
    NDArray index = call.create(idx, new Shape(idx.length));
    for (int l = 0; l < layers; l++) {
      keys[l] = gatherRows(keys[l], index);
      values[l] = gatherRows(values[l], index);
    }
    index.close();
  }

  private static NDArray gatherRows(NDArray cache, NDArray index) {
    Shape s = cache.getShape();
    NDArray flat = cache.reshape(s.get(0), -1); // (R, nKV*cap*hd)
    NDArray out =
        Nd.rows(flat, index).reshape(index.getShape().get(0), s.get(1), s.get(2), s.get(3));
    flat.close();
    cache.close();
    return out;
  }
}
