package dev.r3.model;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The state of one {@link RolloutEngine#generate} call: the {@link PromptPrefill}, the first sample
 * of every sequence, then one decode column per step for all live rows, storing each finished
 * sequence in the prefix cache. Every array lives in the call's manager.
 */
final class RolloutCall {
  private final MoeDecoder model;
  private final ModelConfig config;
  private final PrefixCache prefixCache;
  private final NDManager call;
  private final SamplingParams params;
  private final TurnOptions turn;
  private final int n; // sequences
  private final int layers;
  private final int k;
  private final int[][] prompt;
  private final int[] limit; // max new tokens per sequence
  private final int[][] generated;
  private final float[][] logProbs;
  private final int[] count; // tokens generated so far
  private final boolean[] done;
  private final boolean[] eos;
  private final boolean[] stored; // in the prefix cache
  private final int[][] route; // [position][layer][slot] flattened, T - 1 positions when done
  private final Sampler[] samplers;
  private final int promptColumns; // Pmax: every prompt ends at column promptColumns - 1
  private final int capacity; // KV columns
  private int[] pad; // per sequence: columns before its first token
  private BatchKvCache cache;
  private int[] rowSeq; // cache row -> sequence
  private final RolloutEngine.DecodeCounter counter;

  RolloutCall(
      MoeDecoder model,
      PrefixCache prefixCache,
      List<int[]> prompts,
      SamplingParams params,
      TurnOptions turn,
      NDManager call,
      RolloutEngine.DecodeCounter counter) {
    this.model = model;
    this.counter = counter;
    this.config = model.config;
    this.prefixCache = prefixCache;
    this.call = call;
    this.params = params;
    this.turn = turn;
    this.n = prompts.size();
    this.layers = config.numLayers();
    this.k = config.isMoe() ? config.topK() : 0;
    this.prompt = prompts.toArray(new int[0][]);
    this.limit = new int[n];
    this.generated = new int[n][];
    this.logProbs = new float[n][];
    this.count = new int[n];
    this.done = new boolean[n];
    this.eos = new boolean[n];
    this.stored = new boolean[n];
    this.route = new int[n][];
    this.samplers = new Sampler[n];
    int columns = 0;
    int maxLimit = 0;
    for (int b = 0; b < n; b++) {
      limit[b] = Math.min(params.maxNewTokens(), config.maxPositions() - prompt[b].length + 1);
      generated[b] = new int[limit[b]];
      logProbs[b] = new float[limit[b]];
      route[b] = new int[(prompt[b].length + limit[b] - 1) * layers * k];
      samplers[b] = new Sampler(params, turn.stream(b, n));
      columns = Math.max(columns, prompt[b].length);
      maxLimit = Math.max(maxLimit, limit[b]);
    }
    this.promptColumns = columns;
    this.capacity = promptColumns + maxLimit - 1;
  }

  List<Generation> run() {
    PromptPrefill prefill =
        new PromptPrefill(
                model,
                prefixCache,
                call,
                prompt,
                recorded(),
                promptColumns,
                capacity,
                prefixCache.sharesPrompts())
            .run();
    pad = new int[n];
    int v = config.vocabSize();
    for (int b = 0; b < n; b++) {
      pad[b] = prefill.padOf(b);
      int[] r = prefill.routingOf(b);
      System.arraycopy(r, 0, route[b], 0, r.length);
      accept(b, samplers[b].sample(prefill.logits(), prefill.rowOf(b) * v, v));
    }
    cache = prefill.cache();
    expandRows(prefill);
    storeFinished();
    for (int step = 0; anyLive(); step++) {
      compactIfSparse();
      decode(step);
    }
    List<Generation> out = new ArrayList<>(n);
    for (int b = 0; b < n; b++) {
      int[] tokens = Arrays.copyOf(prompt[b], prompt[b].length + count[b]);
      System.arraycopy(generated[b], 0, tokens, prompt[b].length, count[b]);
      out.add(
          new Generation(
              tokens,
              prompt[b].length,
              Arrays.copyOf(logProbs[b], count[b]),
              record(b, tokens.length - 1),
              eos[b]));
    }
    return out;
  }

  /** From one cache row per distinct prompt to one row per sequence. */
  private void expandRows(PromptPrefill prefill) {
    boolean identity = prefill.rows() == n;
    for (int b = 0; identity && b < n; b++) {
      identity = prefill.rowOf(b) == b;
    }
    rowSeq = new int[n];
    for (int b = 0; b < n; b++) {
      rowSeq[b] = b;
    }
    if (!identity) {
      long[] idx = new long[n];
      for (int b = 0; b < n; b++) {
        idx[b] = prefill.rowOf(b);
      }
      cache.selectRows(idx);
    }
  }

  // ---------------------------------------------------------------- decode

  private boolean anyLive() {
    for (int r = 0; r < rowSeq.length; r++) {
      if (!done[rowSeq[r]]) {
        return true;
      }
    }
    return false;
  }

  /** Drops finished rows from the cache once at least half the rows are finished. */
  private void compactIfSparse() {
    int live = 0;
    for (int b : rowSeq) {
      live += done[b] ? 0 : 1;
    }
    if (live * 2 > rowSeq.length || live == rowSeq.length) {
      return;
    }
    long[] idx = new long[live];
    int[] next = new int[live];
    int i = 0;
    for (int r = 0; r < rowSeq.length; r++) {
      if (!done[rowSeq[r]]) {
        idx[i] = r;
        next[i++] = rowSeq[r];
      }
    }
    cache.selectRows(idx);
    rowSeq = next;
  }

  /** Feeds generated token {@code step} of every live row (column promptColumns + step). */
  private void decode(int step) {
    int rows = rowSeq.length;
    int column = promptColumns + step;
    int keyCount = column + 1;
    long[] ids = new long[rows];
    long[] positions = new long[rows];
    boolean[] computed = new boolean[rows];
    float[] keyMask = new float[rows * keyCount];
    for (int r = 0; r < rows; r++) {
      int b = rowSeq[r];
      if (!done[b]) {
        ids[r] = generated[b][step];
        positions[r] = prompt[b].length + step;
        computed[r] = true;
      }
      Arrays.fill(keyMask, r * keyCount, r * keyCount + pad[b], MoeDecoder.MASKED);
    }
    DecoderWindow win =
        new DecoderWindow(
            rows, 1, keyCount, ids, positions, computed, new float[keyCount], keyMask, layers);
    float[] logits;
    try (NDManager s = call.newSubManager()) {
      MoeDecoder.KvStore store =
          (l, kNew, vNew, scope) -> {
            cache.write(l, column, kNew, vNew);
            return cache.columns(l, keyCount, scope);
          };
      logits = model.logits(model.forward(win, store, s)).toFloatArray(); // (R, 1, V)
      counter.step(s);
    }
    int v = config.vocabSize();
    for (int r = 0; r < rows; r++) {
      int b = rowSeq[r];
      if (done[b]) {
        continue;
      }
      int p = prompt[b].length + step;
      for (int l = 0; l < layers && k > 0; l++) {
        System.arraycopy(win.used[l], r * k, route[b], (p * layers + l) * k, k);
      }
      accept(b, samplers[b].sample(logits, r * v, v));
    }
    storeFinished();
  }

  private void accept(int b, Sampler.Draw d) {
    generated[b][count[b]] = d.token();
    logProbs[b][count[b]] = d.logProb();
    count[b]++;
    if (d.token() == params.eosId()) {
      done[b] = true;
      eos[b] = true;
    } else if (count[b] >= limit[b] || turn.stops(d.token())) {
      done[b] = true;
    }
  }

  // ---------------------------------------------------------------- prefix cache

  /** Stores each sequence that has finished since the last call with its KV and routing. */
  private void storeFinished() {
    if (!prefixCache.enabled()) {
      return;
    }
    for (int r = 0; r < rowSeq.length; r++) {
      int b = rowSeq[r];
      if (!done[b] || stored[b]) {
        continue;
      }
      stored[b] = true;
      int fed = prompt[b].length + count[b] - 1; // tokens whose KV exists: all but the last sampled
      int[] tokens = Arrays.copyOf(prompt[b], fed);
      System.arraycopy(generated[b], 0, tokens, prompt[b].length, fed - prompt[b].length);
      int row = r;
      int column = pad[b];
      prefixCache.insert(
          tokens,
          record(b, fed),
          (from, len, into) -> cache.copyRow(row, column + from, len, into));
    }
  }

  /** Per sequence, the routing its caller holds for its prompt's first positions, or null. */
  private RoutingRecord[] recorded() {
    if (turn.recorded() == null) {
      return null;
    }
    RoutingRecord[] out = new RoutingRecord[n];
    for (int b = 0; b < n; b++) {
      out[b] = turn.recorded(b, n);
    }
    return out;
  }

  private RoutingRecord record(int b, int positions) {
    if (k == 0) {
      return RoutingRecord.empty(positions);
    }
    return RoutingRecord.of(
        positions, layers, k, config.numExperts(), Arrays.copyOf(route[b], positions * layers * k));
  }
}
