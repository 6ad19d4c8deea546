package dev.r3.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * How a MoE layer computes the outputs of the experts its tokens were routed to: given each token's
 * k expert ids, the (N, k, H) block of expert outputs that {@link MoeDecoder} weighs by the gates.
 * Three ways, which agree to 1e-6 in values and gradients (TrainerTest):
 *
 * <ul>
 *   <li>DENSE: every expert on every token (two GEMMs), then each token's k outputs picked;
 *   <li>GATHER: per expert, its tokens only (about ten ops per loaded expert);
 *   <li>GROUPED: the tokens of all experts gathered into one (E, C, H) block, C the largest expert
 *       load, and two batched GEMMs (about ten ops per layer; padding costs compute when the load
 *       is uneven).
 * </ul>
 *
 * AUTO picks by a cost model of op overhead plus expert FLOPs, per layer and call, and GATHER
 * whenever no expert has more than one token. Which way runs changes speed only, never the math.
 */
final class ExpertDispatch {

  /** Which of the three ways runs; AUTO picks by tokens per expert. */
  enum Mode {
    AUTO,
    DENSE,
    GATHER,
    GROUPED
  }

  /** AUTO's cost model: host overhead of one array op (JNI, dispatch, bookkeeping), seconds. */
  static final double OP_SECONDS = 8e-6;

  /** AUTO's cost model: float32 rate of the small GEMMs an expert runs, FLOP/s. */
  static final double EXPERT_FLOPS = 30e9;

  /**
   * One layer's expert parameters as each way reads them: the stacked arrays of the {@link
   * DeviceLayout} and views of them, built per forward when training (autograd), once otherwise.
   * The views are of one split per layer: a split's backward is one concatenation, where per-expert
   * slicing would cost one zero-filled parameter-sized gradient per expert.
   */
  static final class Experts {
    final NDArray gateUp; // (E*2I, H): block e = gate_proj_e rows, then up_proj_e rows
    final NDList gateUps; // E x (2I, H)
    final NDList downs; // E x (I, H)
    final NDArray down3; // (E, I, H)
    final NDArray gateUp3t; // (E, H, 2I)

    /** Views of the stacked {@code gateUp} (E*2I, H) and {@code down} (E*I, H), owned by m. */
    Experts(ModelConfig c, NDArray gateUp, NDArray down, NDManager m) {
      this.gateUp = gateUp;
      // each op on a parameter attaches its result to the parameter's manager: move it to m at once
      this.gateUps = own(gateUp.split(c.numExperts(), 0), m);
      this.downs = own(down.split(c.numExperts(), 0), m);
      this.down3 = Nd.own(down.reshape(c.numExperts(), c.moeIntermediateSize(), c.hiddenSize()), m);
      this.gateUp3t =
          Nd.own(gateUp.reshape(c.numExperts(), 2L * c.moeIntermediateSize(), c.hiddenSize()), m)
              .transpose(0, 2, 1);
    }

    private static NDList own(NDList list, NDManager m) {
      for (NDArray a : list) {
        Nd.own(a, m);
      }
      return list;
    }
  }

  private final ModelConfig config;
  private final UnaryOperator<NDArray> bf; // the engine's activation rounding (identity in fp32)
  Mode mode = Mode.AUTO;

  ExpertDispatch(ModelConfig config, UnaryOperator<NDArray> bf) {
    this.config = config;
    this.bf = bf;
  }

  /**
   * Expert outputs (N, k, H): slot j of token t is expert {@code ids[t*k+j]} applied to {@code
   * m[t]}; slots of tokens not {@code computed} are unused (zero or arbitrary).
   */
  NDArray outputs(Experts w, NDArray m, int[] ids, boolean[] computed, NDManager s) {
    int n = (int) m.getShape().get(0);
    int k = config.topK();
    int[] load = new int[config.numExperts()]; // (token, slot) pairs per expert, computed only
    for (int t = 0; t < n; t++) {
      if (computed[t]) {
        for (int j = 0; j < k; j++) {
          load[ids[t * k + j]]++;
        }
      }
    }
    Mode d = mode == Mode.AUTO ? choose(n, load) : mode;
    return switch (d) {
      case GATHER -> gather(w, m, ids, computed, load, s);
      case GROUPED -> grouped(w, m, ids, computed, load, s);
      default -> dense(w, m, ids, s);
    };
  }

  /**
   * AUTO: the dispatch with the least estimated time, op overhead plus expert FLOPs. DENSE computes
   * E*N token-experts in about 15 ops, GROUPED E*C (C the largest load) in about 11, GATHER exactly
   * the N*k needed in about 8 ops per loaded expert. Few tokens pick DENSE or GROUPED, large even
   * loads GROUPED, large uneven loads GATHER.
   */
  Mode choose(int n, int[] load) {
    if (maxLoad(load) <= 1) {
      // Every expert has at most one token (always so for one token, as in a batch-1 decode step):
      // GATHER runs only the k routed experts, GROUPED all E with one padded row each. The products
      // are the same single-row GEMMs, bit for bit (ExpertDispatchTest). Measured at one token on
      // the default model: 170-220 us of CPU per layer against 235-275 for GROUPED.
      return Mode.GATHER;
    }
    double perTokenExpert = 6.0 * config.hiddenSize() * config.moeIntermediateSize() / EXPERT_FLOPS;
    int cap = 1;
    int loaded = 0;
    long pairs = 0;
    for (int x : load) {
      cap = Math.max(cap, x);
      loaded += x > 0 ? 1 : 0;
      pairs += x;
    }
    int e = load.length;
    double dense = 15 * OP_SECONDS + (double) e * n * perTokenExpert;
    double grouped = 11 * OP_SECONDS + (double) e * cap * perTokenExpert;
    double gather = (8.0 * loaded + 5) * OP_SECONDS + pairs * perTokenExpert;
    if (dense <= grouped && dense <= gather) {
      return Mode.DENSE;
    }
    return grouped <= gather ? Mode.GROUPED : Mode.GATHER;
  }

  private static int maxLoad(int[] load) {
    int cap = 0;
    for (int x : load) {
      cap = Math.max(cap, x);
    }
    return cap;
  }

  /** Few tokens: every expert on every token in two GEMMs, then pick each token's k outputs. */
  private NDArray dense(Experts w, NDArray m, int[] ids, NDManager s) {
    ModelConfig c = config;
    int n = (int) m.getShape().get(0);
    int e = c.numExperts();
    int in = c.moeIntermediateSize();
    int h = c.hiddenSize();
    NDList gu = bf.apply(Nd.linear(m, w.gateUp)).reshape(n, e, 2, in).split(2, 2); // (N,E,1,I)
    NDArray act =
        Nd.silu(gu.get(0)).mul(gu.get(1)).reshape(n, e, in).transpose(1, 0, 2); // (E, N, I)
    NDArray y = bf.apply(act.matMul(w.down3)).reshape((long) e * n, h); // (E*N, H)
    long[] row = new long[ids.length];
    for (int t = 0; t < n; t++) {
      for (int j = 0; j < c.topK(); j++) {
        row[t * c.topK() + j] = (long) ids[t * c.topK() + j] * n + t;
      }
    }
    return Nd.rows(y, s.create(row, new Shape(n, c.topK()))); // (N, k, H)
  }

  /**
   * Many tokens: per expert, gather its tokens, run its SwiGLU, then pick each token's k outputs.
   */
  private NDArray gather(
      Experts w, NDArray m, int[] ids, boolean[] computed, int[] count, NDManager s) {
    ModelConfig c = config;
    int n = (int) m.getShape().get(0);
    int k = c.topK();
    int e = c.numExperts();
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
    long[] row =
        new long[n * k]; // where (token, slot) finds its output; the zero row when not computed
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
      NDArray xe = Nd.rows(m, s.create(tokens[x], new Shape(count[x]))); // (n_e, H)
      NDList gu = bf.apply(Nd.linear(xe, w.gateUps.get(x))).split(2, 1); // (n_e, I) each
      outs.add(bf.apply(Nd.silu(gu.get(0)).mul(gu.get(1)).matMul(w.downs.get(x)))); // (n_e, H)
    }
    outs.add(s.zeros(new Shape(1, c.hiddenSize())));
    NDArray y = NDArrays.concat(new NDList(outs), 0); // (total + 1, H)
    return Nd.rows(y, s.create(row, new Shape(n, k))); // (N, k, H)
  }

  /**
   * All experts at once: tokens grouped per expert into (E, C, H), two batched GEMMs, pick outputs.
   */
  private NDArray grouped(
      Experts w, NDArray m, int[] ids, boolean[] computed, int[] count, NDManager s) {
    ModelConfig c = config;
    int n = (int) m.getShape().get(0);
    int k = c.topK();
    int e = c.numExperts();
    int cap = 1;
    for (int x : count) {
      cap = Math.max(cap, x);
    }
    long[] slotToken =
        new long[e * cap]; // padding slots read token 0; their outputs are never picked
    long[] row = new long[n * k]; // not computed: any row, its output is unused
    int[] fill = new int[e];
    for (int t = 0; t < n; t++) {
      if (computed[t]) {
        for (int j = 0; j < k; j++) {
          int x = ids[t * k + j];
          slotToken[x * cap + fill[x]] = t;
          row[t * k + j] = (long) x * cap + fill[x];
          fill[x]++;
        }
      }
    }
    NDArray xg = Nd.rows(m, s.create(slotToken, new Shape(e, cap))); // (E, C, H)
    NDList gu = bf.apply(xg.matMul(w.gateUp3t)).split(2, 2); // (E, C, I) each
    NDArray y = bf.apply(Nd.silu(gu.get(0)).mul(gu.get(1)).matMul(w.down3)); // (E, C, H)
    return Nd.rows(
        y.reshape((long) e * cap, c.hiddenSize()), s.create(row, new Shape(n, k))); // (N, k, H)
  }
}
