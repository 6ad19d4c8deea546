package dev.r3.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How Hugging Face tensors sit on the device, for both engines. Differences from the host layout:
 *
 * <ul>
 *   <li>{@code self_attn.qkv_fused ((nH + 2 nKV) hd, H)}: q_proj, k_proj and v_proj rows stacked,
 *       one GEMM;
 *   <li>{@code mlp.gate_up_stacked (E*2I, H)}: expert e's gate_proj rows then its up_proj rows,
 *       block e;
 *   <li>{@code mlp.down_stacked (E*I, H)}: block e is down_proj_e transposed, (I, H), so that an
 *       expert's output is {@code act (n, I) @ block} and all experts are one batched GEMM with (E,
 *       I, H);
 *   <li>dense twin: {@code mlp.gate_up_stacked (2I, H)} and {@code mlp.down_proj.weight (H, I)} as
 *       is.
 * </ul>
 *
 * Every other tensor keeps its Hugging Face name and shape. Conversions happen on the host, in
 * Java.
 */
final class DeviceLayout {
  private DeviceLayout() {}

  static String qkv(int layer) {
    return TensorNames.layer(layer, "self_attn.qkv_fused");
  }

  static String gateUp(int layer) {
    return TensorNames.layer(layer, "mlp.gate_up_stacked");
  }

  static String down(int layer) {
    return TensorNames.layer(layer, "mlp.down_stacked");
  }

  /** Device tensors in {@code m}, in a fixed order (embedding, layers, final norm, head). */
  static Map<String, NDArray> upload(ModelWeights w, NDManager m) {
    ModelConfig c = w.config();
    int h = c.hiddenSize();
    Map<String, NDArray> p = new LinkedHashMap<>();
    p.put(TensorNames.EMBED, create(m, w.get(TensorNames.EMBED)));
    for (int i = 0; i < c.numLayers(); i++) {
      p.put(TensorNames.inputNorm(i), create(m, w.get(TensorNames.inputNorm(i))));
      float[] q = w.get(TensorNames.qProj(i)).data();
      float[] k = w.get(TensorNames.kProj(i)).data();
      float[] v = w.get(TensorNames.vProj(i)).data();
      float[] qkv = Arrays.copyOf(q, q.length + k.length + v.length);
      System.arraycopy(k, 0, qkv, q.length, k.length);
      System.arraycopy(v, 0, qkv, q.length + k.length, v.length);
      p.put(qkv(i), m.create(qkv, new Shape(qkv.length / h, h)));
      p.put(TensorNames.oProj(i), create(m, w.get(TensorNames.oProj(i))));
      p.put(TensorNames.qNorm(i), create(m, w.get(TensorNames.qNorm(i))));
      p.put(TensorNames.kNorm(i), create(m, w.get(TensorNames.kNorm(i))));
      p.put(TensorNames.postAttnNorm(i), create(m, w.get(TensorNames.postAttnNorm(i))));
      if (c.isMoe()) {
        int ex = c.numExperts();
        int in = c.moeIntermediateSize();
        p.put(TensorNames.router(i), create(m, w.get(TensorNames.router(i))));
        float[] gu = new float[ex * 2 * in * h];
        float[] dn = new float[ex * h * in];
        for (int j = 0; j < ex; j++) {
          System.arraycopy(
              w.get(TensorNames.expert(i, j, "gate_proj")).data(), 0, gu, (2 * j) * in * h, in * h);
          System.arraycopy(
              w.get(TensorNames.expert(i, j, "up_proj")).data(),
              0,
              gu,
              (2 * j + 1) * in * h,
              in * h);
          float[] d = w.get(TensorNames.expert(i, j, "down_proj")).data(); // (H, I)
          for (int a = 0; a < h; a++) {
            for (int b = 0; b < in; b++) {
              dn[(j * in + b) * h + a] = d[a * in + b];
            }
          }
        }
        p.put(gateUp(i), m.create(gu, new Shape((long) ex * 2 * in, h)));
        p.put(down(i), m.create(dn, new Shape((long) ex * in, h)));
      } else {
        int in = c.intermediateSize();
        float[] gu = Arrays.copyOf(w.get(TensorNames.denseMlp(i, "gate_proj")).data(), 2 * in * h);
        System.arraycopy(w.get(TensorNames.denseMlp(i, "up_proj")).data(), 0, gu, in * h, in * h);
        p.put(gateUp(i), m.create(gu, new Shape(2L * in, h)));
        p.put(down(i), create(m, w.get(TensorNames.denseMlp(i, "down_proj"))));
      }
    }
    p.put(TensorNames.FINAL_NORM, create(m, w.get(TensorNames.FINAL_NORM)));
    p.put(TensorNames.LM_HEAD, create(m, w.get(TensorNames.LM_HEAD)));
    return p;
  }

  /** Host snapshot of device tensors, Hugging Face names and shapes, canonical order. */
  static ModelWeights download(ModelConfig c, Map<String, NDArray> p) {
    Map<String, int[]> shapes = ModelWeights.expectedShapes(c);
    Map<String, HostTensor> t = new LinkedHashMap<>();
    for (var e : p.entrySet()) {
      if (shapes.containsKey(e.getKey())) {
        t.put(e.getKey(), new HostTensor(shapes.get(e.getKey()), e.getValue().toFloatArray()));
      }
    }
    int h = c.hiddenSize();
    for (int i = 0; i < c.numLayers(); i++) {
      float[] qkv = p.get(qkv(i)).toFloatArray();
      int qLen = c.numHeads() * c.headDim() * h;
      int kvLen = c.numKvHeads() * c.headDim() * h;
      t.put(
          TensorNames.qProj(i),
          new HostTensor(shapes.get(TensorNames.qProj(i)), Arrays.copyOfRange(qkv, 0, qLen)));
      t.put(
          TensorNames.kProj(i),
          new HostTensor(
              shapes.get(TensorNames.kProj(i)), Arrays.copyOfRange(qkv, qLen, qLen + kvLen)));
      t.put(
          TensorNames.vProj(i),
          new HostTensor(
              shapes.get(TensorNames.vProj(i)),
              Arrays.copyOfRange(qkv, qLen + kvLen, qLen + 2 * kvLen)));
      float[] gu = p.get(gateUp(i)).toFloatArray();
      float[] dn = p.get(down(i)).toFloatArray();
      if (c.isMoe()) {
        int in = c.moeIntermediateSize();
        for (int j = 0; j < c.numExperts(); j++) {
          t.put(
              TensorNames.expert(i, j, "gate_proj"),
              new HostTensor(
                  new int[] {in, h}, Arrays.copyOfRange(gu, 2 * j * in * h, (2 * j + 1) * in * h)));
          t.put(
              TensorNames.expert(i, j, "up_proj"),
              new HostTensor(
                  new int[] {in, h},
                  Arrays.copyOfRange(gu, (2 * j + 1) * in * h, (2 * j + 2) * in * h)));
          float[] d = new float[h * in];
          for (int a = 0; a < h; a++) {
            for (int b = 0; b < in; b++) {
              d[a * in + b] = dn[(j * in + b) * h + a];
            }
          }
          t.put(TensorNames.expert(i, j, "down_proj"), new HostTensor(new int[] {h, in}, d));
        }
      } else {
        int in = c.intermediateSize();
        t.put(
            TensorNames.denseMlp(i, "gate_proj"),
            new HostTensor(new int[] {in, h}, Arrays.copyOfRange(gu, 0, in * h)));
        t.put(
            TensorNames.denseMlp(i, "up_proj"),
            new HostTensor(new int[] {in, h}, Arrays.copyOfRange(gu, in * h, 2 * in * h)));
        t.put(TensorNames.denseMlp(i, "down_proj"), new HostTensor(new int[] {h, in}, dn));
      }
    }
    Map<String, HostTensor> ordered = new LinkedHashMap<>();
    for (String name : shapes.keySet()) {
      ordered.put(name, t.get(name));
    }
    return new ModelWeights(c, ordered);
  }

  private static NDArray create(NDManager m, HostTensor t) {
    long[] shape = new long[t.shape().length];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = t.shape()[i];
    }
    return m.create(t.data(), new Shape(shape));
  }
}
