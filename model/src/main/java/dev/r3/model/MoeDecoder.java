package dev.r3.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Qwen3-MoE decoder as DJL array ops, written once and used by both engines: the {@link
 * Trainer} (float32, autograd, whole right-padded sequences) and the {@link RolloutEngine} (no
 * autograd, a KV cache, left-padded prompts, optional bfloat16 activation rounding). Reading order
 * is leaves first: RMSNorm, RoPE, attention, router, experts, MoE layer, block, model.
 *
 * <p>The math (both engines compute exactly this):
 *
 * <pre>
 *   h = embed[ids]
 *   per layer:  a = rmsnorm(h);  q, k, v = a W^T;  per-head rmsnorm(q), rmsnorm(k);  RoPE (rotate_half);
 *               h += o_proj(softmax(q k^T / sqrt(hd) + mask) v)
 *               m = rmsnorm(h);  s = m Wg^T;  I = top-k(s) or the replayed ids;
 *               g_i = exp(s_i) / sum_{j in I} exp(s_j)   (norm_topk_prob; else softmax(s)_i)
 *               h += sum_{i in I} g_i * down_i(silu(gate_i m) * up_i m)
 *   logits = lm_head(rmsnorm(h))
 * </pre>
 *
 * The gates are computed from the router logits of <em>this</em> forward pass even when the ids are
 * replayed, so the router keeps its gradient under R3.
 *
 * <p>Parameters are in the {@link DeviceLayout} (fused qkv, experts stacked); how the routed
 * experts are computed (dense, gathered or grouped, which changes speed only) is {@link
 * ExpertDispatch}'s job.
 *
 * <p>Arrays: parameters and constants live in the manager given to {@link #load}; every temporary
 * of a forward pass lives in the caller's scope manager, which the caller closes after the step.
 */
final class MoeDecoder {

  /** Additive attention mask value: finite, so that a fully masked padding row stays NaN-free. */
  static final float MASKED = -1e30f;

  /** Device parameters of one decoder layer. */
  static final class Layer {
    NDArray inputNorm; // (H)
    NDArray qkv; // ((nH + 2 nKV) * hd, H): q rows, k rows, v rows
    NDArray o; // (H, nH*hd)
    NDArray qNorm; // (hd)
    NDArray kNorm; // (hd)
    NDArray postNorm; // (H)
    NDArray router; // (E, H); null for the dense twin
    NDArray gateUp; // MoE: (E*2I, H); dense: (2I, H)
    NDArray down; // MoE: (E*I, H), block e = down_proj_e^T; dense: (H, I)
    Views frozen; // inference only: views built once
  }

  /**
   * Derived views of a layer's parameters: built per forward when training (autograd), once
   * otherwise.
   */
  private static final class Views {
    NDArray qkNorm; // (nH + nKV, hd): q_norm for the q heads, k_norm for the k heads
    ExpertDispatch.Experts experts; // MoE only
  }

  /** Where attention keys come from: the new ones only (trainer) or a KV cache (rollout engine). */
  interface KvStore {
    /**
     * Stores the new (rows, nKV, width, hd) k and v of a layer; returns all keys and values to
     * attend.
     */
    NDArray[] extend(int layer, NDArray k, NDArray v, NDManager scope);
  }

  final ModelConfig config;

  /** Parameters by device name ({@link DeviceLayout}), in a fixed order. */
  final Map<String, NDArray> named;

  final NDArray embed; // (V, H)
  final Layer[] layers;
  final NDArray finalNorm; // (H)
  final NDArray lmHead; // (V, H)
  private final NDArray cosTable; // (maxPositions, hd)
  private final NDArray sinTable; // (maxPositions, hd)
  private final NDArray rotateHalf; // (hd, hd): x @ R = cat(-x2, x1), exactly
  private final NDArray eps;
  private final NDArray minusHalf;
  private final NDArray attnScale;
  private final NDArray veltkamp;
  private final boolean roundBf16;
  final ExpertDispatch dispatch;

  private MoeDecoder(
      ModelConfig config,
      NDManager m,
      Map<String, NDArray> p,
      boolean trainable,
      boolean roundBf16) {
    this.config = config;
    this.named = p;
    this.roundBf16 = roundBf16;
    this.dispatch = new ExpertDispatch(config, this::bf);
    this.embed = p.get(TensorNames.EMBED);
    this.finalNorm = p.get(TensorNames.FINAL_NORM);
    this.lmHead = p.get(TensorNames.LM_HEAD);
    this.layers = new Layer[config.numLayers()];
    for (int i = 0; i < layers.length; i++) {
      Layer l = new Layer();
      l.inputNorm = p.get(TensorNames.inputNorm(i));
      l.qkv = p.get(DeviceLayout.qkv(i));
      l.o = p.get(TensorNames.oProj(i));
      l.qNorm = p.get(TensorNames.qNorm(i));
      l.kNorm = p.get(TensorNames.kNorm(i));
      l.postNorm = p.get(TensorNames.postAttnNorm(i));
      l.router = config.isMoe() ? p.get(TensorNames.router(i)) : null;
      l.gateUp = p.get(DeviceLayout.gateUp(i));
      l.down = p.get(DeviceLayout.down(i));
      if (!trainable) {
        l.frozen = views(l, m);
      }
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
      r[(j + hd / 2) * hd + j] = -1f; // out[j]        = -x[j + hd/2]
      r[j * hd + j + hd / 2] = 1f; // out[j + hd/2] =  x[j]
    }
    this.rotateHalf = m.create(r, new Shape(hd, hd));
    this.eps = m.create(config.rmsNormEps());
    this.minusHalf = m.create(-0.5f);
    this.attnScale = m.create((float) (1.0 / Math.sqrt(hd)));
    this.veltkamp = m.create(65537f);
  }

  // ---------------------------------------------------------------- parameters

  /**
   * Copies host weights into {@code m} in the device layout ({@link DeviceLayout}). With {@code
   * trainable} every parameter requires gradient; without, derived views are built once.
   */
  static MoeDecoder load(ModelWeights w, NDManager m, boolean trainable, boolean roundBf16) {
    Map<String, NDArray> p = DeviceLayout.upload(w, m);
    if (trainable) {
      for (NDArray a : p.values()) {
        a.setRequiresGradient(true);
      }
    }
    return new MoeDecoder(w.config(), m, p, trainable, roundBf16);
  }

  /** Every parameter, in a fixed order (the optimizer's). */
  List<NDArray> parameters() {
    return new ArrayList<>(named.values());
  }

  /** Host snapshot with Hugging Face names and shapes. */
  ModelWeights toHost() {
    return DeviceLayout.download(config, named);
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

  /**
   * RoPE, Hugging Face rotate_half convention: x * cos + rotate_half(x) * sin; x (R, W, heads, hd).
   */
  private NDArray rope(NDArray x, NDArray cos, NDArray sin) {
    return x.mul(cos).add(x.matMul(rotateHalf).mul(sin));
  }

  // ---------------------------------------------------------------- derived views

  /**
   * Views of a layer's parameters in {@code m}: the combined q/k norm weight and one block per
   * expert.
   */
  private Views views(Layer p, NDManager m) {
    ModelConfig c = config;
    Views v = new Views();
    long hd = c.headDim();
    // each op on a parameter attaches its result to the parameter's manager: move it to m at once
    NDArray q = Nd.own(p.qNorm.reshape(1, hd), m).broadcast(c.numHeads(), hd); // (nH, hd)
    NDArray k = Nd.own(p.kNorm.reshape(1, hd), m).broadcast(c.numKvHeads(), hd); // (nKV, hd)
    v.qkNorm = NDArrays.concat(new NDList(q, k), 0); // (nH + nKV, hd)
    if (c.isMoe()) {
      v.experts = new ExpertDispatch.Experts(c, p.gateUp, p.down, m);
    }
    return v;
  }

  // ---------------------------------------------------------------- attention

  /** Self-attention of one layer; a (R, W, H) normed input; returns (R, W, H). */
  private NDArray attention(
      int li, NDArray a, Views views, Rope rope, NDArray mask, KvStore kv, NDManager s) {
    Layer p = layers[li];
    ModelConfig c = config;
    int r = (int) a.getShape().get(0);
    int w = (int) a.getShape().get(1);
    int hd = c.headDim();
    int nh = c.numHeads();
    int nkv = c.numKvHeads();
    NDArray qkv = bf(Nd.linear(a, p.qkv)).reshape(r, w, nh + 2L * nkv, hd); // (R, W, nH+2nKV, hd)
    NDList parts = qkv.split(new long[] {nh + nkv}, 2);
    // per-head RMSNorm (q_norm on q heads, k_norm on k heads), then RoPE, on q and k together
    NDArray qk =
        bf(rope(rmsNorm(parts.get(0), views.qkNorm), rope.cos, rope.sin)); // (R, W, nH+nKV, hd)
    NDList qkParts = qk.split(new long[] {nh}, 2);
    NDArray q = qkParts.get(0).transpose(0, 2, 1, 3); // (R, nH, W, hd)
    NDArray k = qkParts.get(1).transpose(0, 2, 1, 3); // (R, nKV, W, hd)
    NDArray v = parts.get(1).transpose(0, 2, 1, 3); // (R, nKV, W, hd)
    NDArray keys = k;
    NDArray values = v;
    if (kv != null) {
      NDArray[] all = kv.extend(li, k, v, s); // (R, nKV, L, hd)
      keys = all[0];
      values = all[1];
    }
    int group = nh / nkv;
    if (group > 1) { // grouped-query attention: head h reads kv head h / group
      keys = keys.repeat(1, group);
      values = values.repeat(1, group);
    }
    NDArray scores =
        bf(q.matMul(keys.transpose(0, 1, 3, 2))).mul(attnScale).add(mask); // (R, nH, W, L)
    NDArray out = bf(scores.softmax(-1).matMul(values)); // (R, nH, W, hd)
    out = out.transpose(0, 2, 1, 3).reshape(r, w, (long) nh * hd); // (R, W, nH*hd)
    return bf(Nd.linear(out, p.o));
  }

  /** cos and sin rows for every token of a window, (R, W, 1, hd). */
  private record Rope(NDArray cos, NDArray sin) {}

  // ---------------------------------------------------------------- experts and MoE

  /**
   * One SwiGLU MLP: down(silu(gate x) * up x); gateUp (2I, H) with gate rows first, down (H, I).
   */
  private NDArray swiglu(NDArray x, NDArray gateUp, NDArray down) {
    NDList gu = bf(Nd.linear(x, gateUp)).split(2, x.getShape().dimension() - 1); // (n, I) each
    return bf(Nd.linear(Nd.silu(gu.get(0)).mul(gu.get(1)), down));
  }

  /**
   * MoE feed-forward of one layer: m (N, H) -> (N, H). Routes by the router's own top-k unless the
   * window replays ids for this layer; records the ids used in {@code win.used[li]}.
   */
  private NDArray moe(int li, NDArray m, Views views, DecoderWindow win, NDManager s) {
    Layer p = layers[li];
    ModelConfig c = config;
    int n = (int) m.getShape().get(0);
    int k = c.topK();
    NDArray logits = bf(Nd.linear(m, p.router)); // (N, E)
    int[] ids = win.replay[li];
    NDArray chosen; // (N, k) router logits of the ids
    if (ids == null) {
      NDList top = logits.topK(k, -1, true, true); // (N, k) descending
      chosen = top.get(0);
      long[] t = top.get(1).toLongArray();
      ids = new int[t.length];
      for (int i = 0; i < t.length; i++) {
        ids[i] = (int) t[i];
      }
    } else if (partlyReplayed(ids)) { // -1 slots: routed by this model's top-k
      long[] t = logits.topK(k, -1, true, true).get(1).toLongArray();
      ids = ids.clone();
      for (int i = 0; i < t.length; i++) {
        if (ids[i] < 0) {
          ids[i] = (int) t[i];
        }
      }
      chosen = logits.gather(s.create(toLong(ids), new Shape(n, k)), 1);
    } else {
      chosen = c.normTopkProb() ? logits.gather(s.create(toLong(ids), new Shape(n, k)), 1) : null;
    }
    win.used[li] = ids;
    // Gates from this pass's logits over the chosen ids: the router keeps its gradient under
    // replay.
    NDArray gates =
        c.normTopkProb()
            ? chosen.softmax(-1) // exp(s_i) / sum_{j in I} exp(s_j)
            : logits.softmax(-1).gather(s.create(toLong(ids), new Shape(n, k)), 1); // softmax(s)_i
    NDArray selected = dispatch.outputs(views.experts, m, ids, win.computed, s); // (N, k, H)
    return bf(
        gates.reshape(n, 1, k).batchMatMul(selected).reshape(n, c.hiddenSize())); // sum_i g_i y_i
  }

  private static boolean partlyReplayed(int[] ids) {
    for (int id : ids) {
      if (id < 0) {
        return true;
      }
    }
    return false;
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
  NDArray forward(DecoderWindow win, KvStore kv, NDManager s) {
    ModelConfig c = config;
    int r = win.rows;
    int w = win.width;
    NDArray pos = s.create(win.positions, new Shape(r, w));
    Rope rope =
        new Rope(
            Nd.rows(cosTable, pos).reshape(r, w, 1, c.headDim()), // (R, W, 1, hd)
            Nd.rows(sinTable, pos).reshape(r, w, 1, c.headDim()));
    NDArray mask =
        s.create(win.causal, new Shape(1, 1, w, win.keys))
            .add(s.create(win.keyMask, new Shape(r, 1, 1, win.keys))); // (R, 1, W, L)
    NDArray h = Nd.rows(embed, s.create(win.ids, new Shape(r, w))); // (R, W, H)
    for (int li = 0; li < layers.length; li++) {
      Layer p = layers[li];
      Views views = p.frozen != null ? p.frozen : views(p, s);
      h = bf(h.add(attention(li, rmsNorm(h, p.inputNorm), views, rope, mask, kv, s)));
      NDArray m = rmsNorm(h, p.postNorm).reshape((long) r * w, c.hiddenSize()); // (N, H)
      NDArray ffn = c.isMoe() ? moe(li, m, views, win, s) : swiglu(m, p.gateUp, p.down);
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
