package dev.r3.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The inference engine: batched sampling with a KV cache, no autograd, optionally bfloat16-rounded
 * activations (weights are rounded before construction). It records, for every fed token and every
 * MoE layer, the experts it used: the routing records R3 replays in the trainer.
 *
 * <p>Layout of one call. Prompts are right-aligned in a shared column space (left padding): column
 * c of a row holds the token at position {@code c - pad} of its sequence, and the RoPE position is
 * that index in the unpadded sequence. Identical prompts (a GRPO group) are prefilled once; their
 * KV entries and prompt routing ids are then copied to every sample. A prompt extending a sequence
 * seen in an earlier call (multi-turn: prompt + response + tool result) reuses that sequence's KV
 * entries and routing ids from the {@link PrefixCache}, so only the new tokens are computed and the
 * record stays complete. Decoding runs one column per step for all live rows at once: one (rows, V)
 * logits copy to the host, one {@link Sampler} per sequence (stream = the prompt's index, so
 * results do not depend on batch composition), and finished rows are dropped from the cache when
 * half the rows are done.
 *
 * <p>Thread safety: {@link #generate} is synchronized; grad mode is turned off on the calling
 * thread.
 */
public final class RolloutEngine implements AutoCloseable {
  private final ModelConfig config;
  private final RolloutOptions opts;
  private final NDManager manager;
  private final MoeDecoder model;
  private final PrefixCache prefixCache;

  public RolloutEngine(ModelWeights weights, RolloutOptions opts) {
    this.config = weights.config();
    this.opts = opts;
    this.manager = NDManager.newBaseManager(); // loads the engine before any JniUtils call
    JniUtils.setGradMode(false);
    this.model = MoeDecoder.load(weights, manager, false, opts.roundActivationsBf16());
    this.prefixCache = new PrefixCache(opts.prefixCacheEntries(), manager);
  }

  public ModelConfig config() {
    return config;
  }

  public RolloutOptions options() {
    return opts;
  }

  /** Dispatch override for tests and benchmarks (AUTO picks by token count). */
  void setDispatch(ExpertDispatch.Mode d) {
    model.dispatch.mode = d;
  }

  /** Prefix-cache counters (lookups, hits, reused tokens, stored entries). */
  public synchronized PrefixCache.Stats prefixCacheStats() {
    return prefixCache.stats();
  }

  public synchronized void clearPrefixCache() {
    prefixCache.clear();
  }

  /** Arrays alive in the engine's managers (weights, constants, prefix cache). */
  int liveArrays() {
    return manager.getManagedArrays().size();
  }

  @Override
  public synchronized void close() {
    prefixCache.close();
    manager.close();
  }

  /**
   * Samples a continuation of every prompt, in one batch. A sequence stops after sampling {@code
   * params.eosId()} or after {@code params.maxNewTokens()} tokens (fewer if the model's position
   * limit comes first).
   */
  public synchronized List<Generation> generate(List<int[]> prompts, SamplingParams params) {
    JniUtils.setGradMode(false);
    if (prompts.isEmpty()) {
      return List.of();
    }
    for (int i = 0; i < prompts.size(); i++) {
      int[] p = prompts.get(i);
      if (p.length == 0) {
        throw new IllegalArgumentException("prompt " + i + " is empty");
      }
      if (p.length > config.maxPositions()) {
        throw new IllegalArgumentException(
            "prompt "
                + i
                + " has "
                + p.length
                + " tokens, more than max_position_embeddings = "
                + config.maxPositions());
      }
      for (int t : p) {
        if (t < 0 || t >= config.vocabSize()) {
          throw new IllegalArgumentException(
              "prompt "
                  + i
                  + " holds token "
                  + t
                  + " outside the vocabulary [0, "
                  + config.vocabSize()
                  + ")");
        }
      }
    }
    try (NDManager call = manager.newSubManager()) {
      return new Call(prompts, params, call).run();
    }
  }

  /** The state of one {@link #generate} call. */
  private final class Call {
    final NDManager call;
    final SamplingParams params;
    final int n; // sequences
    final int layers = config.numLayers();
    final int k = config.isMoe() ? config.topK() : 0;
    final int[][] prompt;
    final int[] limit; // max new tokens per sequence
    final int[][] generated;
    final float[][] logProbs;
    final int[] count; // tokens generated so far
    final boolean[] done;
    final boolean[] eos;
    final int[][] route; // [position][layer][slot] flattened, T - 1 positions when done
    final Sampler[] samplers;
    int promptColumns; // Pmax: every prompt ends at column promptColumns - 1
    int capacity; // KV columns
    int[] pad; // per sequence: columns before its first token
    NDArray[] keys; // per layer (rows, nKV, capacity, hd)
    NDArray[] values;
    int[] rowSeq; // row -> sequence

    Call(List<int[]> prompts, SamplingParams params, NDManager call) {
      this.call = call;
      this.params = params;
      this.n = prompts.size();
      this.prompt = prompts.toArray(new int[0][]);
      this.limit = new int[n];
      this.generated = new int[n][];
      this.logProbs = new float[n][];
      this.count = new int[n];
      this.done = new boolean[n];
      this.eos = new boolean[n];
      this.route = new int[n][];
      this.samplers = new Sampler[n];
      for (int b = 0; b < n; b++) {
        limit[b] = Math.min(params.maxNewTokens(), config.maxPositions() - prompt[b].length + 1);
        generated[b] = new int[limit[b]];
        logProbs[b] = new float[limit[b]];
        route[b] = new int[(prompt[b].length + limit[b] - 1) * layers * k];
        samplers[b] = new Sampler(params, b);
      }
    }

    List<Generation> run() {
      float[] firstLogits = prefill();
      int v = config.vocabSize();
      for (int b = 0; b < n; b++) {
        accept(b, samplers[b].sample(firstLogits, uniqueRow[b] * v, v));
      }
      expandRows();
      storeFinished(-1);
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

    // ---------------------------------------------------------------- prefill (unique prompts)

    int[] uniqueRow; // sequence -> row of its prompt in the prefill batch
    int[][] uniquePrompt;

    /** Prefills each distinct prompt once; returns the (U, V) logits of their last tokens. */
    float[] prefill() {
      Map<List<Integer>, Integer> seen = new HashMap<>();
      List<int[]> uniq = new ArrayList<>();
      uniqueRow = new int[n];
      for (int b = 0; b < n; b++) {
        List<Integer> key = Arrays.stream(prompt[b]).boxed().toList();
        Integer u = seen.get(key);
        if (u == null) {
          u = uniq.size();
          seen.put(key, u);
          uniq.add(prompt[b]);
        }
        uniqueRow[b] = u;
      }
      uniquePrompt = uniq.toArray(new int[0][]);
      int rows = uniquePrompt.length;
      promptColumns = 0;
      int maxLimit = 0;
      for (int b = 0; b < n; b++) {
        promptColumns = Math.max(promptColumns, prompt[b].length);
        maxLimit = Math.max(maxLimit, limit[b]);
      }
      capacity = promptColumns + maxLimit - 1;
      int[] rowPad = new int[rows];
      PrefixCache.Hit[] hits = new PrefixCache.Hit[rows];
      int first = promptColumns - 1; // first column computed by some row
      for (int u = 0; u < rows; u++) {
        rowPad[u] = promptColumns - uniquePrompt[u].length;
        hits[u] = prefixCache.enabled() ? prefixCache.lookup(uniquePrompt[u]) : null;
        int cached = hits[u] == null ? 0 : hits[u].length();
        first = Math.min(first, rowPad[u] + cached);
      }
      pad = new int[n];
      for (int b = 0; b < n; b++) {
        pad[b] = rowPad[uniqueRow[b]];
      }
      keys = new NDArray[layers];
      values = new NDArray[layers];
      Shape cacheShape = new Shape(rows, config.numKvHeads(), capacity, config.headDim());
      for (int l = 0; l < layers; l++) {
        keys[l] = call.zeros(cacheShape);
        values[l] = call.zeros(cacheShape);
      }
      int width = promptColumns - first;
      int slots = rows * width;
      long[] ids = new long[slots];
      long[] positions = new long[slots];
      boolean[] computed = new boolean[slots];
      float[] keyMask = new float[rows * promptColumns];
      for (int u = 0; u < rows; u++) {
        int cached = hits[u] == null ? 0 : hits[u].length();
        for (int i = 0; i < width; i++) {
          int c = first + i;
          int p = c - rowPad[u];
          if (p >= 0) {
            ids[u * width + i] = uniquePrompt[u][p];
            positions[u * width + i] = p;
            computed[u * width + i] = p >= cached;
          }
        }
        for (int c = 0; c < rowPad[u]; c++) {
          keyMask[u * promptColumns + c] = MoeDecoder.MASKED;
        }
      }
      MoeDecoder.Window win =
          new MoeDecoder.Window(
              rows,
              width,
              promptColumns,
              ids,
              positions,
              computed,
              MoeDecoder.Window.causal(width, promptColumns, first),
              keyMask,
              layers);
      float[] logits;
      final int from = first;
      try (NDManager s = call.newSubManager()) {
        MoeDecoder.KvStore store =
            (l, kNew, vNew, scope) -> {
              Nd.write(keys[l], 2, from, kNew);
              Nd.write(values[l], 2, from, vNew);
              for (int u = 0;
                  u < rows;
                  u++) { // cached prefixes: their stored entries, not the recomputation
                if (hits[u] != null) {
                  restore(hits[u], l, u, rowPad[u], scope);
                }
              }
              return new NDArray[] {
                Nd.slice(keys[l], 2, 0, promptColumns, scope),
                Nd.slice(values[l], 2, 0, promptColumns, scope)
              };
            };
        NDArray hidden = model.forward(win, store, s); // (U, W, H)
        NDArray last = Nd.slice(hidden, 1, width - 1, width, s); // (U, 1, H)
        logits = model.logits(last).toFloatArray(); // (U, 1, V)
      }
      // Routing of every prompt position: cached prefix from its entry, the rest from this pass.
      int[][] promptRoute = new int[rows][];
      for (int u = 0; u < rows; u++) {
        int len = uniquePrompt[u].length;
        int[] r = new int[len * layers * k];
        int cached = hits[u] == null ? 0 : hits[u].length();
        if (cached > 0 && k > 0) {
          System.arraycopy(hits[u].entry().routing.toIntArray(), 0, r, 0, cached * layers * k);
        }
        for (int p = cached; p < len && k > 0; p++) {
          int slot = u * width + (rowPad[u] + p - first);
          for (int l = 0; l < layers; l++) {
            System.arraycopy(win.used[l], slot * k, r, (p * layers + l) * k, k);
          }
        }
        promptRoute[u] = r;
      }
      for (int b = 0; b < n; b++) {
        int[] r = promptRoute[uniqueRow[b]];
        System.arraycopy(r, 0, route[b], 0, r.length);
      }
      return logits;
    }

    /** Copies a cached prefix's KV entries of layer l into prefill row u. */
    void restore(PrefixCache.Hit hit, int l, int u, int rowPad, NDManager scope) {
      int m = hit.length();
      long nkv = config.numKvHeads();
      long hd = config.headDim();
      for (int kind = 0; kind < 2; kind++) {
        NDArray src =
            Nd.view(
                hit.entry().kv,
                new long[] {l, kind, 0, 0, 0},
                new long[] {l + 1, kind + 1, nkv, m, hd},
                scope); // (1, 1, nKV, m, hd)
        NDArray dst = kind == 0 ? keys[l] : values[l];
        Nd.write(
            dst,
            new long[] {u, 0, rowPad, 0},
            new long[] {u + 1, nkv, rowPad + m, hd},
            src.reshape(1, nkv, m, hd));
      }
    }

    /** From one row per distinct prompt to one row per sequence. */
    void expandRows() {
      boolean identity = uniquePrompt.length == n;
      for (int b = 0; identity && b < n; b++) {
        identity = uniqueRow[b] == b;
      }
      rowSeq = new int[n];
      for (int b = 0; b < n; b++) {
        rowSeq[b] = b;
      }
      if (!identity) {
        long[] idx = new long[n];
        for (int b = 0; b < n; b++) {
          idx[b] = uniqueRow[b];
        }
        selectRows(idx);
      }
    }

    /** Keeps cache rows {@code idx} (in that order). */
    void selectRows(long[] idx) {
      NDArray index = call.create(idx, new Shape(idx.length));
      for (int l = 0; l < layers; l++) {
        keys[l] = gatherRows(keys[l], index);
        values[l] = gatherRows(values[l], index);
      }
      index.close();
    }

    NDArray gatherRows(NDArray cache, NDArray index) {
      Shape s = cache.getShape();
      NDArray flat = cache.reshape(s.get(0), -1); // (R, nKV*cap*hd)
      NDArray out =
          Nd.rows(flat, index).reshape(index.getShape().get(0), s.get(1), s.get(2), s.get(3));
      flat.close();
      cache.close();
      return out;
    }

    // ---------------------------------------------------------------- decode

    boolean anyLive() {
      for (int r = 0; r < rowSeq.length; r++) {
        if (!done[rowSeq[r]]) {
          return true;
        }
      }
      return false;
    }

    /** Drops finished rows from the cache once at least half the rows are finished. */
    void compactIfSparse() {
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
      selectRows(idx);
      rowSeq = next;
    }

    /** Feeds generated token {@code step} of every live row (column promptColumns + step). */
    void decode(int step) {
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
      MoeDecoder.Window win =
          new MoeDecoder.Window(
              rows, 1, keyCount, ids, positions, computed, new float[keyCount], keyMask, layers);
      float[] logits;
      try (NDManager s = call.newSubManager()) {
        MoeDecoder.KvStore store =
            (l, kNew, vNew, scope) -> {
              Nd.write(keys[l], 2, column, kNew);
              Nd.write(values[l], 2, column, vNew);
              return new NDArray[] {
                Nd.slice(keys[l], 2, 0, keyCount, scope), Nd.slice(values[l], 2, 0, keyCount, scope)
              };
            };
        logits = model.logits(model.forward(win, store, s)).toFloatArray(); // (R, 1, V)
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
      storeFinished(step);
    }

    void accept(int b, Sampler.Draw d) {
      generated[b][count[b]] = d.token();
      logProbs[b][count[b]] = d.logProb();
      count[b]++;
      if (d.token() == params.eosId()) {
        done[b] = true;
        eos[b] = true;
      } else if (count[b] >= limit[b]) {
        done[b] = true;
      }
    }

    // ---------------------------------------------------------------- prefix cache

    private boolean[] stored;

    /**
     * Stores each sequence that finished at this step (step -1: at prefill) with its KV and
     * routing.
     */
    void storeFinished(int step) {
      if (!prefixCache.enabled()) {
        return;
      }
      if (stored == null) {
        stored = new boolean[n];
      }
      long nkv = config.numKvHeads();
      long hd = config.headDim();
      for (int r = 0; r < rowSeq.length; r++) {
        int b = rowSeq[r];
        if (!done[b] || stored[b]) {
          continue;
        }
        stored[b] = true;
        int fed =
            prompt[b].length + count[b] - 1; // tokens whose KV exists: all but the last sampled
        int[] tokens = Arrays.copyOf(prompt[b], fed);
        System.arraycopy(generated[b], 0, tokens, prompt[b].length, fed - prompt[b].length);
        try (NDManager s = call.newSubManager()) {
          NDArray[] parts = new NDArray[2 * layers];
          for (int l = 0; l < layers; l++) {
            long[] min = {r, 0, pad[b], 0};
            long[] max = {r + 1, nkv, pad[b] + fed, hd};
            parts[2 * l] = Nd.view(keys[l], min, max, s);
            parts[2 * l + 1] = Nd.view(values[l], min, max, s);
          }
          NDArray kv = NDArrays.stack(new NDList(parts)).reshape(layers, 2, nkv, fed, hd); // a copy
          kv.attach(prefixCache.manager());
          prefixCache.put(tokens, kv, record(b, fed));
        }
      }
    }

    RoutingRecord record(int b, int positions) {
      if (k == 0) {
        return RoutingRecord.empty(positions);
      }
      return RoutingRecord.of(
          positions,
          layers,
          k,
          config.numExperts(),
          Arrays.copyOf(route[b], positions * layers * k));
    }
  }
}
