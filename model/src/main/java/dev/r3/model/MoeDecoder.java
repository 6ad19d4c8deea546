package dev.r3.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Qwen3-MoE decoder as DJL array ops, written once and used by both engines: the {@link Trainer}
 * (float32, autograd, whole right-padded sequences) and the {@link RolloutEngine} (no autograd, a KV
 * cache, left-padded prompts, optional bfloat16 activation rounding). Reading order is leaves first:
 * RMSNorm, RoPE, attention, router, experts, MoE layer, block, model.
 *
 * <p>The math (both engines compute exactly this):
 * <pre>
 *   h = embed[ids]
 *   per layer:  a = rmsnorm(h);  q, k, v = a W^T;  per-head rmsnorm(q), rmsnorm(k);  RoPE (rotate_half);
 *               h += o_proj(softmax(q k^T / sqrt(hd) + mask) v)
 *               m = rmsnorm(h);  s = m Wg^T;  I = top-k(s) or the replayed ids;
 *               g_i = exp(s_i) / sum_{j in I} exp(s_j)   (norm_topk_prob; else softmax(s)_i)
 *               h += sum_{i in I} g_i * down_i(silu(gate_i m) * up_i m)
 *   logits = lm_head(rmsnorm(h))
 * </pre>
 * The gates are computed from the router logits of <em>this</em> forward pass even when the ids are
 * replayed, so the router keeps its gradient under R3.
 *
 * <p>Parameter layout on the device (Hugging Face names map onto it in {@link #load} / {@link #toHost}):
 * the experts of a layer are stacked, {@code gateUp (E*2I, H)} with expert e's gate_proj rows followed
 * by its up_proj rows, and {@code down (E, H, I)}. One GEMM then runs every expert on every token (the
 * dense-masked dispatch), and a contiguous slice is one expert (the gather dispatch).
 *
 * <p>Arrays: parameters and constants live in the manager given to {@link #load}; every temporary of a
 * forward pass lives in the caller's scope manager, which the caller closes after the step.
 */
final class MoeDecoder {

  /** Additive attention mask value: finite, so that a fully masked padding row stays NaN-free. */
  static final float MASKED = -1e30f;

  /** How expert outputs are computed; AUTO picks by tokens per expert. */
  enum Dispatch { AUTO, DENSE, GATHER }

  /** AUTO uses GATHER from this many (token, slot) pairs per expert on; measured crossover. */
  static final int GATHER_MIN_TOKENS_PER_EXPERT = 8;

  /** Device parameters of one decoder layer. */
  static final class Layer {
    NDArray inputNorm;   // (H)
    NDArray q;           // (nH*hd, H)
    NDArray k;           // (nKV*hd, H)
    NDArray v;           // (nKV*hd, H)
    NDArray o;           // (H, nH*hd)
    NDArray qNorm;       // (hd)
    NDArray kNorm;       // (hd)
    NDArray postNorm;    // (H)
    NDArray router;      // (E, H); null for the dense twin
    NDArray gateUp;      // MoE: (E*2I, H); dense: (2I, H)
    NDArray down;        // MoE: (E, H, I); dense: (H, I)
  }

  /**
   * One forward call over {@code rows} x {@code width} token slots attending to {@code keys} key
   * columns (the width new ones last). Host-side inputs; see the two engines for how they fill it.
   */
  static final class Window {
    final int rows;
    final int width;
    final int keys;
    final long[] ids;          // rows*width token ids (any valid id on padding)
    final long[] positions;    // rows*width position within the unpadded sequence (0 on padding)
    final boolean[] computed;  // rows*width: false for padding and already-cached tokens (outputs unused)
    final float[] causal;      // width*keys additive: 0 where key column <= query column, else MASKED
    final float[] keyMask;     // rows*keys additive: 0 for a real key of that row, else MASKED
    /** Per MoE layer: rows*width*k expert ids to replay, or null to route by this model's top-k. */
    final int[][] replay;
    /** Filled by forward: per MoE layer, the rows*width*k expert ids used (descending gate when routed). */
    final int[][] used;

    Window(int rows, int width, int keys, long[] ids, long[] positions, boolean[] computed, float[] causal,
        float[] keyMask, int layers) {
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

    /** Causal mask for queries at columns {@code first .. first+width-1} over key columns 0..keys-1. */
    static float[] causal(int width, int keys, int first) {
      float[] m = new float[width * keys];
      for (int i = 0; i < width; i++) {
        for (int j = first + i + 1; j < keys; j++) {
          m[i * keys + j] = MASKED;
        }
      }
      return m;
    }
  }

  /** Where attention keys come from: the new ones only (trainer) or a KV cache (rollout engine). */
  interface KvStore {
    /** Stores the new (rows, nKV, width, hd) k and v of a layer; returns all keys and values to attend. */
    NDArray[] extend(int layer, NDArray k, NDArray v, NDManager scope);
  }

  final ModelConfig config;
  /** Parameters by name: Hugging Face names, except the stacked experts ({@code mlp.gate_up_stacked}, ...). */
  final Map<String, NDArray> named;
  final NDArray embed;       // (V, H)
  final Layer[] layers;
  final NDArray finalNorm;   // (H)
  final NDArray lmHead;      // (V, H)
  private final NDArray cosTable;    // (maxPositions, hd)
  private final NDArray sinTable;    // (maxPositions, hd)
  private final NDArray rotateHalf;  // (hd, hd): x @ R = cat(-x2, x1), exactly
  private final NDArray eps;
  private final NDArray minusHalf;
  private final NDArray attnScale;
  private final NDArray veltkamp;
  private final boolean roundBf16;
  Dispatch dispatch = Dispatch.AUTO;

  private MoeDecoder(ModelConfig config, NDManager m, Map<String, NDArray> p, boolean roundBf16) {
    this.config = config;
    this.named = p;
    this.roundBf16 = roundBf16;
    this.embed = p.get(TensorNames.EMBED);
    this.finalNorm = p.get(TensorNames.FINAL_NORM);
    this.lmHead = p.get(TensorNames.LM_HEAD);
    this.layers = new Layer[config.numLayers()];
    for (int i = 0; i < layers.length; i++) {
      Layer l = new Layer();
      l.inputNorm = p.get(TensorNames.inputNorm(i));
      l.q = p.get(TensorNames.qProj(i));
      l.k = p.get(TensorNames.kProj(i));
      l.v = p.get(TensorNames.vProj(i));
      l.o = p.get(TensorNames.oProj(i));
      l.qNorm = p.get(TensorNames.qNorm(i));
      l.kNorm = p.get(TensorNames.kNorm(i));
      l.postNorm = p.get(TensorNames.postAttnNorm(i));
      l.router = config.isMoe() ? p.get(TensorNames.router(i)) : null;
      l.gateUp = p.get(gateUpName(i));
      l.down = p.get(downName(i));
      layers[i] = l;
    }
    int hd = config.headDim();
    float[] cos = new float[config.maxPositions() * hd];
    float[] sin = new float[cos.length];
    for (int pos = 0; pos < config.maxPositions(); pos++) {
      for (int j = 0; j < hd / 2; j++) {
        // inv_freq_j = theta^(-2j/hd), computed in float32 as Hugging Face does
        float invFreq = (float) (1.0 / Math.pow(config.ropeTheta(), (2.0 * j) / hd));
        float angle = pos * invFreq;
        cos[pos * hd + j] = cos[pos * hd + j + hd / 2] = (float) Math.cos(angle);
        sin[pos * hd + j] = sin[pos * hd + j + hd / 2] = (float) Math.sin(angle);
      }
    }
    this.cosTable = m.create(cos, new Shape(config.maxPositions(), hd));
    this.sinTable = m.create(sin, new Shape(config.maxPositions(), hd));
    float[] r = new float[hd * hd];
    for (int j = 0; j < hd / 2; j++) {
      r[(j + hd / 2) * hd + j] = -1f;  // out[j]        = -x[j + hd/2]
      r[j * hd + j + hd / 2] = 1f;     // out[j + hd/2] =  x[j]
    }
    this.rotateHalf = m.create(r, new Shape(hd, hd));
    this.eps = m.create(config.rmsNormEps());
    this.minusHalf = m.create(-0.5f);
    this.attnScale = m.create((float) (1.0 / Math.sqrt(hd)));
    this.veltkamp = m.create(65537f);
  }

  // ---------------------------------------------------------------- parameters

  private static String gateUpName(int i) {
    return TensorNames.layer(i, "mlp.gate_up_stacked");
  }

  private static String downName(int i) {
    return TensorNames.layer(i, "mlp.down_stacked");
  }

  /**
   * Copies host weights into {@code m} in the device layout. With {@code trainable} every parameter
   * requires gradient.
   */
  static MoeDecoder load(ModelWeights w, NDManager m, boolean trainable, boolean roundBf16) {
    ModelConfig c = w.config();
    Map<String, NDArray> p = new LinkedHashMap<>();
    for (var e : w.tensors().entrySet()) {
      String name = e.getKey();
      if (name.contains(".mlp.experts.") || name.contains(".mlp.gate_proj") || name.contains(".mlp.up_proj")
          || name.contains(".mlp.down_proj")) {
        continue;  // stacked below
      }
      p.put(name, create(m, e.getValue()));
    }
    for (int i = 0; i < c.numLayers(); i++) {
      int h = c.hiddenSize();
      if (c.isMoe()) {
        int ex = c.numExperts();
        int in = c.moeIntermediateSize();
        float[] gu = new float[ex * 2 * in * h];
        float[] dn = new float[ex * h * in];
        for (int j = 0; j < ex; j++) {
          System.arraycopy(w.get(TensorNames.expert(i, j, "gate_proj")).data(), 0, gu, (2 * j) * in * h, in * h);
          System.arraycopy(w.get(TensorNames.expert(i, j, "up_proj")).data(), 0, gu, (2 * j + 1) * in * h, in * h);
          System.arraycopy(w.get(TensorNames.expert(i, j, "down_proj")).data(), 0, dn, j * h * in, h * in);
        }
        p.put(gateUpName(i), m.create(gu, new Shape((long) ex * 2 * in, h)));
        p.put(downName(i), m.create(dn, new Shape(ex, h, in)));
      } else {
        int in = c.intermediateSize();
        float[] gu = new float[2 * in * h];
        System.arraycopy(w.get(TensorNames.denseMlp(i, "gate_proj")).data(), 0, gu, 0, in * h);
        System.arraycopy(w.get(TensorNames.denseMlp(i, "up_proj")).data(), 0, gu, in * h, in * h);
        p.put(gateUpName(i), m.create(gu, new Shape(2L * in, h)));
        p.put(downName(i), create(m, w.get(TensorNames.denseMlp(i, "down_proj"))));
      }
    }
    if (trainable) {
      for (NDArray a : p.values()) {
        a.setRequiresGradient(true);
      }
    }
    return new MoeDecoder(c, m, p, roundBf16);
  }

  private static NDArray create(NDManager m, HostTensor t) {
    long[] shape = new long[t.shape().length];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = t.shape()[i];
    }
    return m.create(t.data(), new Shape(shape));
  }

  /** Every parameter, in a fixed order (the optimizer's). */
  List<NDArray> parameters() {
    List<NDArray> out = new ArrayList<>();
    out.add(embed);
    for (Layer l : layers) {
      out.addAll(Arrays.asList(l.inputNorm, l.q, l.k, l.v, l.o, l.qNorm, l.kNorm, l.postNorm));
      if (l.router != null) {
        out.add(l.router);
      }
      out.add(l.gateUp);
      out.add(l.down);
    }
    out.add(finalNorm);
    out.add(lmHead);
    return out;
  }

  /** Host snapshot with Hugging Face names and shapes. */
  ModelWeights toHost() {
    ModelConfig c = config;
    Map<String, HostTensor> t = new LinkedHashMap<>();
    Map<String, int[]> shapes = ModelWeights.expectedShapes(c);
    t.put(TensorNames.EMBED, host(embed, shapes.get(TensorNames.EMBED)));
    for (int i = 0; i < c.numLayers(); i++) {
      Layer l = layers[i];
      t.put(TensorNames.inputNorm(i), host(l.inputNorm, shapes.get(TensorNames.inputNorm(i))));
      t.put(TensorNames.qProj(i), host(l.q, shapes.get(TensorNames.qProj(i))));
      t.put(TensorNames.kProj(i), host(l.k, shapes.get(TensorNames.kProj(i))));
      t.put(TensorNames.vProj(i), host(l.v, shapes.get(TensorNames.vProj(i))));
      t.put(TensorNames.oProj(i), host(l.o, shapes.get(TensorNames.oProj(i))));
      t.put(TensorNames.qNorm(i), host(l.qNorm, shapes.get(TensorNames.qNorm(i))));
      t.put(TensorNames.kNorm(i), host(l.kNorm, shapes.get(TensorNames.kNorm(i))));
      t.put(TensorNames.postAttnNorm(i), host(l.postNorm, shapes.get(TensorNames.postAttnNorm(i))));
      int h = c.hiddenSize();
      float[] gu = l.gateUp.toFloatArray();
      float[] dn = l.down.toFloatArray();
      if (c.isMoe()) {
        int in = c.moeIntermediateSize();
        t.put(TensorNames.router(i), host(l.router, shapes.get(TensorNames.router(i))));
        for (int j = 0; j < c.numExperts(); j++) {
          t.put(TensorNames.expert(i, j, "gate_proj"),
              new HostTensor(new int[] {in, h}, Arrays.copyOfRange(gu, 2 * j * in * h, (2 * j + 1) * in * h)));
          t.put(TensorNames.expert(i, j, "up_proj"),
              new HostTensor(new int[] {in, h}, Arrays.copyOfRange(gu, (2 * j + 1) * in * h, (2 * j + 2) * in * h)));
          t.put(TensorNames.expert(i, j, "down_proj"),
              new HostTensor(new int[] {h, in}, Arrays.copyOfRange(dn, j * h * in, (j + 1) * h * in)));
        }
      } else {
        int in = c.intermediateSize();
        t.put(TensorNames.denseMlp(i, "gate_proj"), new HostTensor(new int[] {in, h}, Arrays.copyOfRange(gu, 0, in * h)));
        t.put(TensorNames.denseMlp(i, "up_proj"), new HostTensor(new int[] {in, h}, Arrays.copyOfRange(gu, in * h, 2 * in * h)));
        t.put(TensorNames.denseMlp(i, "down_proj"), new HostTensor(new int[] {h, in}, dn));
      }
    }
    t.put(TensorNames.FINAL_NORM, host(finalNorm, shapes.get(TensorNames.FINAL_NORM)));
    t.put(TensorNames.LM_HEAD, host(lmHead, shapes.get(TensorNames.LM_HEAD)));
    // canonical order
    Map<String, HostTensor> ordered = new LinkedHashMap<>();
    for (String name : shapes.keySet()) {
      ordered.put(name, t.get(name));
    }
    return new ModelWeights(c, ordered);
  }

  private static HostTensor host(NDArray a, int[] shape) {
    return new HostTensor(shape, a.toFloatArray());
  }

  // ---------------------------------------------------------------- numerics

  /** Rounds to bfloat16 (nearest even) when simulating a bf16 engine: Veltkamp split, three ops. */
  private NDArray bf(NDArray x) {
    if (!roundBf16) {
      return x;
    }
    NDArray g = x.mul(veltkamp);
    return g.add(x.sub(g));
  }

  /** RMSNorm over the last axis: x * rsqrt(mean(x^2) + eps) * w. */
  private NDArray rmsNorm(NDArray x, NDArray w) {
    NDArray r = x.square().mean(new int[] {-1}, true).add(eps).pow(minusHalf);
    return bf(x.mul(r).mul(w));
  }

  /** RoPE, Hugging Face rotate_half convention: x * cos + rotate_half(x) * sin; x (R, W, heads, hd). */
  private NDArray rope(NDArray x, NDArray cos, NDArray sin) {
    return x.mul(cos).add(x.matMul(rotateHalf).mul(sin));
  }

  // ---------------------------------------------------------------- attention

  /** Self-attention of one layer; a (R, W, H) normed input; returns (R, W, H). */
  private NDArray attention(int li, NDArray a, Rope rope, NDArray mask, KvStore kv, NDManager s) {
    Layer p = layers[li];
    ModelConfig c = config;
    int r = (int) a.getShape().get(0);
    int w = (int) a.getShape().get(1);
    int hd = c.headDim();
    NDArray q = bf(Nd.linear(a, p.q)).reshape(r, w, c.numHeads(), hd);      // (R, W, nH, hd)
    NDArray k = bf(Nd.linear(a, p.k)).reshape(r, w, c.numKvHeads(), hd);    // (R, W, nKV, hd)
    NDArray v = bf(Nd.linear(a, p.v)).reshape(r, w, c.numKvHeads(), hd);
    q = bf(rope(rmsNorm(q, p.qNorm), rope.cos, rope.sin)).transpose(0, 2, 1, 3);  // (R, nH, W, hd)
    k = bf(rope(rmsNorm(k, p.kNorm), rope.cos, rope.sin)).transpose(0, 2, 1, 3);  // (R, nKV, W, hd)
    v = v.transpose(0, 2, 1, 3);                                                   // (R, nKV, W, hd)
    NDArray keys = k;
    NDArray values = v;
    if (kv != null) {
      NDArray[] all = kv.extend(li, k, v, s);                                      // (R, nKV, L, hd)
      keys = all[0];
      values = all[1];
    }
    int group = c.numHeads() / c.numKvHeads();
    if (group > 1) {  // grouped-query attention: head h reads kv head h / group
      keys = keys.repeat(1, group);
      values = values.repeat(1, group);
    }
    NDArray scores = bf(q.matMul(keys.transpose(0, 1, 3, 2))).mul(attnScale).add(mask);  // (R, nH, W, L)
    NDArray out = bf(scores.softmax(-1).matMul(values));                                 // (R, nH, W, hd)
    out = out.transpose(0, 2, 1, 3).reshape(r, w, (long) c.numHeads() * hd);            // (R, W, nH*hd)
    return bf(Nd.linear(out, p.o));
  }

  /** cos and sin rows for every token of a window, (R, W, 1, hd). */
  private record Rope(NDArray cos, NDArray sin) {}

  // ---------------------------------------------------------------- experts and MoE

  /** One SwiGLU MLP: down(silu(gate x) * up x); gateUp (2I, H) with gate rows first, down (H, I). */
  private NDArray swiglu(NDArray x, NDArray gateUp, NDArray down) {
    NDList gu = bf(Nd.linear(x, gateUp)).split(2, x.getShape().dimension() - 1);  // (n, I) each
    return bf(Nd.linear(Nd.silu(gu.get(0)).mul(gu.get(1)), down));
  }

  /**
   * MoE feed-forward of one layer: m (N, H) -> (N, H). Routes by the router's own top-k unless the
   * window replays ids for this layer; records the ids used in {@code win.used[li]}.
   */
  private NDArray moe(int li, NDArray m, Window win, NDManager s) {
    Layer p = layers[li];
    ModelConfig c = config;
    int n = (int) m.getShape().get(0);
    int k = c.topK();
    NDArray logits = bf(Nd.linear(m, p.router));                        // (N, E)
    int[] ids = win.replay[li];
    if (ids == null) {
      NDArray top = logits.topK(k, -1, true, true).get(1);              // (N, k) descending
      long[] t = top.toLongArray();
      ids = new int[t.length];
      for (int i = 0; i < t.length; i++) {
        ids[i] = (int) t[i];
      }
    }
    win.used[li] = ids;
    NDArray idx = s.create(toLong(ids), new Shape(n, k));
    // Gates from this pass's logits over the chosen ids: the router keeps its gradient under replay.
    NDArray gates = c.normTopkProb()
        ? logits.gather(idx, 1).softmax(-1)                              // exp(s_i) / sum_{j in I} exp(s_j)
        : logits.softmax(-1).gather(idx, 1);                             // softmax(s)_i
    int computed = 0;
    for (int t = 0; t < n; t++) {
      computed += win.computed[t] ? 1 : 0;
    }
    boolean gather = switch (dispatch) {
      case DENSE -> false;
      case GATHER -> true;
      case AUTO -> (long) computed * k >= (long) GATHER_MIN_TOKENS_PER_EXPERT * c.numExperts();
    };
    NDArray selected = gather                                            // (N, k, H): expert i's output
        ? gatherExperts(p, m, ids, win.computed, s)
        : denseExperts(p, m, ids, s);
    return bf(gates.reshape(n, 1, k).batchMatMul(selected).reshape(n, c.hiddenSize()));  // sum_i g_i y_i
  }

  /** Few tokens: every expert on every token in two GEMMs, then pick each token's k outputs. */
  private NDArray denseExperts(Layer p, NDArray m, int[] ids, NDManager s) {
    ModelConfig c = config;
    int n = (int) m.getShape().get(0);
    int e = c.numExperts();
    int in = c.moeIntermediateSize();
    int h = c.hiddenSize();
    NDList gu = bf(Nd.linear(m, p.gateUp)).reshape(n, e, 2, in).split(2, 2);   // (N, E, 1, I) each
    NDArray act = Nd.silu(gu.get(0)).mul(gu.get(1)).reshape(n, e, in).transpose(1, 0, 2);  // (E, N, I)
    NDArray downT = Nd.own(p.down.transpose(0, 2, 1), s);                           // (E, I, H)
    NDArray y = bf(act.matMul(downT)).reshape((long) e * n, h);                    // (E*N, H)
    long[] row = new long[ids.length];
    for (int t = 0; t < n; t++) {
      for (int j = 0; j < c.topK(); j++) {
        row[t * c.topK() + j] = (long) ids[t * c.topK() + j] * n + t;
      }
    }
    return Nd.rows(y, s.create(row, new Shape(n, c.topK())));                     // (N, k, H)
  }

  /** Many tokens: per expert, gather its tokens, run its SwiGLU, then pick each token's k outputs. */
  private NDArray gatherExperts(Layer p, NDArray m, int[] ids, boolean[] computed, NDManager s) {
    ModelConfig c = config;
    int n = (int) m.getShape().get(0);
    int k = c.topK();
    int e = c.numExperts();
    int in = c.moeIntermediateSize();
    int[] count = new int[e];
    for (int t = 0; t < n; t++) {
      if (computed[t]) {
        for (int j = 0; j < k; j++) {
          count[ids[t * k + j]]++;
        }
      }
    }
    int[] start = new int[e + 1];
    for (int x = 0; x < e; x++) {
      start[x + 1] = start[x] + count[x];
    }
    int total = start[e];
    long[][] tokens = new long[e][];
    for (int x = 0; x < e; x++) {
      tokens[x] = new long[count[x]];
    }
    int[] fill = new int[e];
    long[] row = new long[n * k];  // where (token, slot) finds its output; the zero row when not computed
    for (int t = 0; t < n; t++) {
      for (int j = 0; j < k; j++) {
        if (computed[t]) {
          int x = ids[t * k + j];
          tokens[x][fill[x]] = t;
          row[t * k + j] = start[x] + fill[x];
          fill[x]++;
        } else {
          row[t * k + j] = total;
        }
      }
    }
    List<NDArray> outs = new ArrayList<>(e + 1);
    for (int x = 0; x < e; x++) {
      if (count[x] == 0) {
        continue;
      }
      NDArray xe = Nd.rows(m, s.create(tokens[x], new Shape(count[x])));        // (n_e, H)
      NDArray gateUp = Nd.slice(p.gateUp, 0, 2L * x * in, 2L * (x + 1) * in, s);  // (2I, H)
      outs.add(swiglu(xe, gateUp, Nd.item(p.down, x, s)));                       // (n_e, H)
    }
    outs.add(s.zeros(new Shape(1, c.hiddenSize())));
    NDArray y = NDArrays.concat(new NDList(outs), 0);                                          // (total + 1, H)
    return Nd.rows(y, s.create(row, new Shape(n, k)));                          // (N, k, H)
  }

  private static long[] toLong(int[] a) {
    long[] out = new long[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i];
    }
    return out;
  }

  // ---------------------------------------------------------------- block and model

  /** Runs the window through every layer; returns the final-normed hidden states (R, W, H). */
  NDArray forward(Window win, KvStore kv, NDManager s) {
    ModelConfig c = config;
    int r = win.rows;
    int w = win.width;
    NDArray pos = s.create(win.positions, new Shape(r, w));
    Rope rope = new Rope(Nd.rows(cosTable, pos).reshape(r, w, 1, c.headDim()),     // (R, W, 1, hd)
        Nd.rows(sinTable, pos).reshape(r, w, 1, c.headDim()));
    NDArray mask = s.create(win.causal, new Shape(1, 1, w, win.keys))
        .add(s.create(win.keyMask, new Shape(r, 1, 1, win.keys)));                 // (R, 1, W, L)
    NDArray h = Nd.rows(embed, s.create(win.ids, new Shape(r, w)));                // (R, W, H)
    for (int li = 0; li < layers.length; li++) {
      Layer p = layers[li];
      h = bf(h.add(attention(li, rmsNorm(h, p.inputNorm), rope, mask, kv, s)));
      NDArray m = rmsNorm(h, p.postNorm).reshape((long) r * w, c.hiddenSize());  // (N, H)
      NDArray ffn = c.isMoe() ? moe(li, m, win, s) : swiglu(m, p.gateUp, p.down);
      h = bf(h.add(ffn.reshape(r, w, c.hiddenSize())));
    }
    return rmsNorm(h, finalNorm);
  }

  /** Output logits for hidden states (..., H) -> (..., V). */
  NDArray logits(NDArray hidden) {
    return bf(Nd.linear(hidden, lmHead));
  }

  /** Log-probabilities of {@code targets} (R, W) under softmax(logits / temperature): (R, W). */
  static NDArray targetLogProbs(NDArray logits, NDArray targets, float temperature) {
    NDArray lp = logits.div(temperature).logSoftmax(-1);
    return lp.gather(targets.expandDims(-1), -1).squeeze(-1);
  }

}
