package dev.r3.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

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
