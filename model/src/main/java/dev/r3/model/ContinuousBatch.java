package dev.r3.model;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The running decode batch of continuous batching ({@link RolloutEngine#openBatch}): one KV cache
 * whose rows are the live sequences of any number of requests. Between decode steps, {@link #admit}
 * adds the sequences of a request (a separate prefill call, then their rows join the cache) and a
 * sequence that samples end-of-sequence or reaches its limit leaves: {@link #step} returns it at
 * once, and its row is dropped from the cache at the next rebuild (an admission, a capacity growth,
 * or half the rows finished).
 *
 * <p>Layout: every row writes the same column each step (as in {@link RolloutCall}); a joining
 * request's prompts end at the column before the current one (left padding), so the columns shift
 * right when a longer prompt joins, and leading columns no live row uses are trimmed at each
 * rebuild. A sequence's sampler is its own (seed and stream of its request), so its draws never
 * depend on its batch mates; its numbers depend on them only through the masked key columns and the
 * batch's expert GEMMs (the same bounded rounding as a mixed-length {@link RolloutEngine#generate}
 * call: RolloutEngineTest and ContinuousBatchTest).
 *
 * <p>The batch is bound to its engine's weights: all of a sequence's tokens, log-probabilities and
 * routing ids come from one version. Not for multi-turn episodes (nothing is stored in the prefix
 * cache, and no recorded routing is replayed): those use {@link RolloutEngine#generate} per turn.
 * Calls lock the engine; grad mode is turned off on the calling thread.
 */
public final class ContinuousBatch implements AutoCloseable {
  /** Columns added at the right when the cache is full. */
  private static final int GROW = 32;

  /**
   * A sequence that left the batch.
   *
   * @param key its request's key (as given to {@link #admit})
   * @param index its index in that request
   */
  public record Finished(Object key, int index, Generation generation) {}

  private final RolloutEngine engine;
  private final MoeDecoder model;
  private final ModelConfig config;
  private final PrefixCache prefixCache;
  private final NDManager manager;
  private final int layers;
  private final int k;
  private final List<Seq> rows = new ArrayList<>(); // cache row -> sequence (live or finished)
  private BatchKvCache cache; // null while empty
  private int column; // the column every row writes next
  private long steps;

  ContinuousBatch(
      RolloutEngine engine, MoeDecoder model, PrefixCache prefixCache, NDManager manager) {
    this.engine = engine;
    this.model = model;
    this.config = model.config;
    this.prefixCache = prefixCache;
    this.manager = manager;
    this.layers = config.numLayers();
    this.k = config.isMoe() ? config.topK() : 0;
  }

  /** Sequences still decoding. */
  public int liveRows() {
    synchronized (engine) {
      int n = 0;
      for (Seq s : rows) {
        n += s.done ? 0 : 1;
      }
      return n;
    }
  }

  /** Rows of the cache (live and finished not yet dropped). */
  int cacheRows() {
    synchronized (engine) {
      return rows.size();
    }
  }

  /** Key columns a decode step attends to now. */
  int columns() {
    synchronized (engine) {
      return column;
    }
  }

  /** Decode steps run so far. */
  public long steps() {
    synchronized (engine) {
      return steps;
    }
  }

  /**
   * A request joining the batch: sequence b of it samples from stream {@code streams[b]} (b when
   * null) with {@code params}, as in {@link RolloutEngine#generate(List, SamplingParams,
   * TurnOptions)}.
   */
  public record Join(Object key, List<int[]> prompts, SamplingParams params, long[] streams) {
    public Join {
      Objects.requireNonNull(key, "key");
      if (streams != null && streams.length != prompts.size()) {
        throw new IllegalArgumentException(
            streams.length + " sampler streams for " + prompts.size() + " prompts");
      }
    }
  }

  /** {@link #admit(List)} of one request. */
  public List<Finished> admit(
      Object key, List<int[]> prompts, SamplingParams params, long[] streams) {
    return admit(List.of(new Join(key, prompts, params, streams)));
  }

  /**
   * Prefills the requests' prompts (one call for all; identical prompts once) and adds their
   * sequences to the batch.
   *
   * @return the sequences that finished at their first token (the others run in {@link #step})
   */
  public List<Finished> admit(List<Join> joins) {
    synchronized (engine) {
      JniUtils.setGradMode(false);
      List<int[]> all = new ArrayList<>();
      List<Seq> seqs = new ArrayList<>();
      for (Join j : joins) {
        engine.checkPrompts(j.prompts());
        for (int b = 0; b < j.prompts().size(); b++) {
          int[] p = j.prompts().get(b);
          all.add(p);
          seqs.add(new Seq(j.key(), b, p, j.params(), j.streams() == null ? b : j.streams()[b]));
        }
      }
      int n = all.size();
      if (n == 0) {
        return List.of();
      }
      int[][] prompt = all.toArray(new int[0][]);
      int promptColumns = 0;
      for (int[] p : prompt) {
        promptColumns = Math.max(promptColumns, p.length);
      }
      List<Finished> out = new ArrayList<>();
      try (NDManager pm = manager.newSubManager()) {
        PromptPrefill prefill =
            new PromptPrefill(
                    model,
                    prefixCache,
                    pm,
                    prompt,
                    null,
                    promptColumns,
                    promptColumns,
                    prefixCache.sharesPrompts())
                .run();
        List<Seq> joining = new ArrayList<>();
        List<Long> prefillRows = new ArrayList<>();
        int v = config.vocabSize();
        for (int b = 0; b < n; b++) {
          Seq s = seqs.get(b);
          int[] r = prefill.routingOf(b);
          System.arraycopy(r, 0, s.route, 0, r.length);
          s.accept(s.sampler.sample(prefill.logits(), prefill.rowOf(b) * v, v));
          if (s.done) {
            out.add(s.finished());
          } else {
            s.pad = prefill.padOf(b); // within the prefill's columns, for now
            joining.add(s);
            prefillRows.add((long) prefill.rowOf(b));
          }
        }
        if (!joining.isEmpty()) {
          join(joining, prefill.cache(), prefillRows, promptColumns);
        }
      }
      return out;
    }
  }

  /**
   * Stops the sequences of request {@code key} now, without returning them (a cancelled request).
   */
  public void drop(Object key) {
    synchronized (engine) {
      for (Seq s : rows) {
        if (s.key.equals(key)) {
          s.done = true;
        }
      }
    }
  }

  /** One decode column for every live row; returns the sequences that finished in it. */
  public List<Finished> step() {
    synchronized (engine) {
      JniUtils.setGradMode(false);
      if (liveRows() == 0) {
        return List.of();
      }
      if (liveRows() * 2 <= rows.size() || column >= capacity()) {
        rebuild(List.of(), null, List.of(), 0);
      }
      int n = rows.size();
      int keyCount = column + 1;
      long[] ids = new long[n];
      long[] positions = new long[n];
      boolean[] computed = new boolean[n];
      float[] keyMask = new float[n * keyCount];
      for (int r = 0; r < n; r++) {
        Seq s = rows.get(r);
        if (!s.done) {
          ids[r] = s.generated[s.count - 1];
          positions[r] = s.prompt.length + s.count - 1;
          computed[r] = true;
        }
        Arrays.fill(keyMask, r * keyCount, r * keyCount + Math.min(s.pad, keyCount), MASKED);
      }
      DecoderWindow win =
          new DecoderWindow(
              n, 1, keyCount, ids, positions, computed, new float[keyCount], keyMask, layers);
      int col = column;
      float[] logits;
      try (NDManager sm = manager.newSubManager()) {
        MoeDecoder.KvStore store =
            (l, kNew, vNew, scope) -> {
              cache.write(l, col, kNew, vNew);
              return cache.columns(l, keyCount, scope);
            };
        logits = model.logits(model.forward(win, store, sm)).toFloatArray(); // (R, 1, V)
      }
      column++;
      steps++;
      int v = config.vocabSize();
      List<Finished> out = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        Seq s = rows.get(r);
        if (!computed[r] || s.done) {
          continue; // finished before this step, or dropped during it
        }
        int p = (int) positions[r];
        for (int l = 0; l < layers && k > 0; l++) {
          System.arraycopy(win.used[l], r * k, s.route, (p * layers + l) * k, k);
        }
        s.accept(s.sampler.sample(logits, r * v, v));
        if (s.done) {
          out.add(s.finished());
        }
      }
      return out;
    }
  }

  @Override
  public void close() {
    synchronized (engine) {
      rows.clear();
      cache = null;
      manager.close();
    }
  }

  private static final float MASKED = MoeDecoder.MASKED;

  private int capacity() {
    return cache == null ? 0 : (int) cache.capacity();
  }

  /**
   * Adds prefilled rows: their prompts end at the column before {@link #column}, which moves right
   * when a joining prompt is longer than the columns the batch has.
   */
  private void join(
      List<Seq> joining, BatchKvCache prefillCache, List<Long> prefillRows, int promptColumns) {
    long[] idx = new long[prefillRows.size()];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = prefillRows.get(i);
    }
    rebuild(joining, prefillCache, List.of(idx), promptColumns);
  }

  /**
   * One copy of the cache: keeps the live rows, appends {@code joining} (rows {@code idx} of the
   * prefill cache, whose prompts fill columns 0 .. promptColumns - 1), drops the leading columns no
   * row uses, and leaves {@link #GROW} free columns at the right.
   */
  private void rebuild(
      List<Seq> joining, BatchKvCache prefillCache, List<long[]> idx, int promptColumns) {
    List<Seq> live = new ArrayList<>();
    for (Seq s : rows) {
      if (!s.done) {
        live.add(s);
      }
    }
    int end = Math.max(column, promptColumns); // the column the next step writes, after the shift
    int first = end; // the first column some row uses, after the shift
    int shift = end - column;
    for (Seq s : live) {
      first = Math.min(first, s.pad + shift);
    }
    for (Seq s : joining) {
      first = Math.min(first, s.pad + end - promptColumns);
    }
    List<BatchKvCache.Part> parts = new ArrayList<>();
    if (!live.isEmpty()) {
      long[] keep = new long[live.size()];
      for (int i = 0, r = 0; r < rows.size(); r++) {
        if (!rows.get(r).done) {
          keep[i++] = r;
        }
      }
      int from = Math.max(0, first - shift); // in the old columns
      parts.add(new BatchKvCache.Part(cache, keep, from, column, from + shift - first));
    }
    if (!joining.isEmpty()) {
      int from = Math.max(0, first - (end - promptColumns)); // in the prefill's columns
      parts.add(
          new BatchKvCache.Part(
              prefillCache, idx.get(0), from, promptColumns, end - promptColumns + from - first));
    }
    BatchKvCache next = BatchKvCache.assemble(manager, config, end - first + GROW, parts);
    if (cache != null) {
      cache.close();
    }
    cache = next;
    for (Seq s : live) {
      s.pad += shift - first;
    }
    for (Seq s : joining) {
      s.pad += end - promptColumns - first;
    }
    rows.clear();
    rows.addAll(live);
    rows.addAll(joining);
    column = end - first;
  }

  /** One sequence of the batch. */
  private final class Seq {
    final Object key;
    final int index;
    final int[] prompt;
    final int eosId;
    final int limit;
    final int[] generated;
    final float[] logProbs;
    final int[] route; // [position][layer][slot], T - 1 positions when done
    final Sampler sampler;
    int count;
    boolean done;
    boolean eos;
    int pad; // columns before its first token

    Seq(Object key, int index, int[] prompt, SamplingParams params, long stream) {
      this.key = key;
      this.index = index;
      this.prompt = prompt;
      this.eosId = params.eosId();
      this.limit = Math.min(params.maxNewTokens(), config.maxPositions() - prompt.length + 1);
      this.generated = new int[limit];
      this.logProbs = new float[limit];
      this.route = new int[(prompt.length + limit - 1) * layers * k];
      this.sampler = new Sampler(params, stream);
    }

    void accept(Sampler.Draw d) {
      generated[count] = d.token();
      logProbs[count] = d.logProb();
      count++;
      if (d.token() == eosId) {
        done = true;
        eos = true;
      } else if (count >= limit) {
        done = true;
      }
    }

    Finished finished() {
      int[] tokens = Arrays.copyOf(prompt, prompt.length + count);
      System.arraycopy(generated, 0, tokens, prompt.length, count);
      int positions = tokens.length - 1;
      RoutingRecord r =
          k == 0
              ? RoutingRecord.empty(positions)
              : RoutingRecord.of(
                  positions,
                  layers,
                  k,
                  config.numExperts(),
                  Arrays.copyOf(route, positions * layers * k));
      return new Finished(
          key,
          index,
          new Generation(tokens, prompt.length, Arrays.copyOf(logProbs, count), r, eos));
    }
  }
}
