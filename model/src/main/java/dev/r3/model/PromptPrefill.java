package dev.r3.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The prefill of one {@link RolloutEngine#generate} call, in four named steps:
 *
 * <ol>
 *   <li>{@link #deduplicatePrompts}: one row per distinct prompt, so a GRPO group's shared prompt
 *       is computed once;
 *   <li>{@link #lookUpCachedPrefixes}: each distinct prompt's longest stored prefix; the window
 *       starts at the first column some row still has to compute, and {@link
 *       #restoreCachedPrefixes} puts the stored KV entries in place of the recomputed ones, layer
 *       by layer, as the window runs;
 *   <li>{@link #prefillWindow}: one decoder pass over that window, filling the KV cache and giving
 *       the logits of every prompt's last token;
 *   <li>{@link #collectPromptRouting}: the routing ids of every prompt position, the cached
 *       prefix's from its entry and the rest from this pass, so the record stays complete.
 * </ol>
 *
 * A prompt may come with the routing record its caller already holds for its first positions (an
 * episode's earlier turns): the lookup stops where the cached routing differs from it, and the
 * window replays it on the positions it computes again (after an eviction, in a fresh engine), so
 * the KV of those positions comes from the recorded experts and the record stays the one the
 * earlier turns were scored with.
 *
 * <p>Prompts are right-aligned in {@code promptColumns} columns (left padding): column c of row u
 * holds the token at position {@code c - rowPad[u]}.
 */
final class PromptPrefill {
  private final MoeDecoder model;
  private final ModelConfig config;
  private final PrefixCache prefixCache;
  private final NDManager call;
  private final int[][] prompt; // per sequence
  private final RoutingRecord[] recorded; // per sequence, or null: routing held for its prefix
  private final int promptColumns;
  private final int capacity;
  private final int layers;
  private final int k;
  private final boolean sharePrompts;

  // deduplicatePrompts
  private int[] uniqueRow; // sequence -> row of its prompt
  private int[][] uniquePrompt; // row -> prompt
  private RoutingRecord[] uniqueRecorded; // row -> routing held for its prefix, or null
  private int[] rowPad; // row -> columns before its first token
  // lookUpCachedPrefixes
  private PrefixCache.Hit[] hits; // row -> stored prefix, or null
  private int first; // first column computed by some row
  // prefillWindow
  private BatchKvCache cache;
  private float[] logits; // (rows, V): each prompt's last token
  // collectPromptRouting
  private int[][] promptRoute; // row -> [position][layer][slot] flattened

  PromptPrefill(
      MoeDecoder model,
      PrefixCache prefixCache,
      NDManager call,
      int[][] prompt,
      RoutingRecord[] recorded,
      int promptColumns,
      int capacity,
      boolean sharePrompts) {
    this.sharePrompts = sharePrompts;
    this.model = model;
    this.config = model.config;
    this.prefixCache = prefixCache;
    this.call = call;
    this.prompt = prompt;
    this.recorded = recorded;
    this.promptColumns = promptColumns;
    this.capacity = capacity;
    this.layers = config.numLayers();
    this.k = config.isMoe() ? config.topK() : 0;
  }

  /** Runs the four steps; the results are then read through the accessors below. */
  PromptPrefill run() {
    deduplicatePrompts();
    lookUpCachedPrefixes();
    try {
      DecoderWindow win = prefillWindow();
      collectPromptRouting(win);
    } finally {
      for (PrefixCache.Hit h : hits) {
        if (h != null) {
          h.release();
        }
      }
    }
    return this;
  }

  /** The row (in the cache and in {@link #logits}) that holds sequence b's prompt. */
  int rowOf(int b) {
    return uniqueRow[b];
  }

  /** Rows prefilled: one per distinct prompt. */
  int rows() {
    return uniquePrompt.length;
  }

  /** Columns before sequence b's first token. */
  int padOf(int b) {
    return rowPad[uniqueRow[b]];
  }

  /** The cache, one row per distinct prompt, prompt columns filled. */
  BatchKvCache cache() {
    return cache;
  }

  /** (rows, V) logits of each distinct prompt's last token. */
  float[] logits() {
    return logits;
  }

  /** Sequence b's prompt routing: [position][layer][slot] flattened over its prompt positions. */
  int[] routingOf(int b) {
    return promptRoute[uniqueRow[b]];
  }

  // ------------------------------------------------------------------ the steps

  private void deduplicatePrompts() {
    Map<List<Integer>, Integer> seen = new HashMap<>();
    List<int[]> uniq = new ArrayList<>();
    List<RoutingRecord> uniqRecorded = new ArrayList<>();
    uniqueRow = new int[prompt.length];
    for (int b = 0; b < prompt.length; b++) {
      RoutingRecord r = recorded == null ? null : recorded[b];
      // Rows are shared by identical prompts holding identical records (or none).
      List<Integer> key = sharePrompts ? promptKey(prompt[b], r) : List.of(-1 - b); // unique
      Integer u = seen.get(key);
      if (u == null) {
        u = uniq.size();
        seen.put(key, u);
        uniq.add(prompt[b]);
        uniqRecorded.add(r);
      }
      uniqueRow[b] = u;
    }
    uniquePrompt = uniq.toArray(new int[0][]);
    uniqueRecorded = uniqRecorded.toArray(new RoutingRecord[0]);
    rowPad = new int[uniquePrompt.length];
    for (int u = 0; u < uniquePrompt.length; u++) {
      rowPad[u] = promptColumns - uniquePrompt[u].length;
    }
  }

  private void lookUpCachedPrefixes() {
    int rows = uniquePrompt.length;
    hits = new PrefixCache.Hit[rows];
    first = promptColumns - 1;
    long computed = 0;
    for (int u = 0; u < rows; u++) {
      hits[u] =
          prefixCache.enabled() ? prefixCache.lookup(uniquePrompt[u], uniqueRecorded[u]) : null;
      first = Math.min(first, rowPad[u] + cached(u));
      computed += uniquePrompt[u].length - cached(u);
    }
    long all = 0;
    for (int[] p : prompt) {
      all += p.length;
    }
    prefixCache.countPrefill(all, computed);
  }

  /** Called per layer after the window's own entries are written: cached prefixes win. */
  private void restoreCachedPrefixes(int layer, NDManager scope) {
    for (int u = 0; u < hits.length; u++) {
      if (hits[u] == null) {
        continue;
      }
      for (PrefixSegment seg : hits[u].segments()) {
        int used = Math.min(seg.length(), hits[u].length() - seg.start);
        cache.restore(layer, u, rowPad[u] + seg.start, seg.kv, used, scope);
      }
    }
  }

  private DecoderWindow prefillWindow() {
    int rows = uniquePrompt.length;
    cache = new BatchKvCache(call, config, rows, capacity);
    int width = promptColumns - first;
    int slots = rows * width;
    long[] ids = new long[slots];
    long[] positions = new long[slots];
    boolean[] computed = new boolean[slots];
    float[] keyMask = new float[rows * promptColumns];
    for (int u = 0; u < rows; u++) {
      int cached = cached(u);
      for (int i = 0; i < width; i++) {
        int p = first + i - rowPad[u];
        if (p >= 0) {
          ids[u * width + i] = uniquePrompt[u][p];
          positions[u * width + i] = p;
          computed[u * width + i] = p >= cached;
        }
      }
      Arrays.fill(keyMask, u * promptColumns, u * promptColumns + rowPad[u], MoeDecoder.MASKED);
    }
    DecoderWindow win =
        new DecoderWindow(
            rows,
            width,
            promptColumns,
            ids,
            positions,
            computed,
            DecoderWindow.causal(width, promptColumns, first),
            keyMask,
            layers);
    replayRecordedRouting(win);
    try (NDManager s = call.newSubManager()) {
      MoeDecoder.KvStore store =
          (l, kNew, vNew, scope) -> {
            cache.write(l, first, kNew, vNew);
            restoreCachedPrefixes(l, scope);
            return cache.columns(l, promptColumns, scope);
          };
      NDArray hidden = model.forward(win, store, s); // (U, W, H)
      NDArray last = Nd.slice(hidden, 1, width - 1, width, s); // (U, 1, H)
      logits = model.logits(last).toFloatArray(); // (U, 1, V)
    }
    return win;
  }

  private void collectPromptRouting(DecoderWindow win) {
    int rows = uniquePrompt.length;
    promptRoute = new int[rows][];
    for (int u = 0; u < rows; u++) {
      int len = uniquePrompt[u].length;
      int[] r = new int[len * layers * k];
      int cached = cached(u);
      if (cached > 0 && k > 0) {
        System.arraycopy(hits[u].routingIds(), 0, r, 0, cached * layers * k);
      }
      for (int p = cached; p < len && k > 0; p++) {
        int slot = u * win.width + (rowPad[u] + p - first);
        for (int l = 0; l < layers; l++) {
          System.arraycopy(win.used[l], slot * k, r, (p * layers + l) * k, k);
        }
      }
      promptRoute[u] = r;
    }
  }

  /**
   * Makes the window replay each row's recorded routing on the positions it computes (-1 elsewhere:
   * routed by the model).
   */
  private void replayRecordedRouting(DecoderWindow win) {
    if (k == 0) {
      return;
    }
    boolean any = false;
    for (RoutingRecord r : uniqueRecorded) {
      any |= r != null && r.positions() > 0;
    }
    if (!any) {
      return;
    }
    for (int l = 0; l < layers; l++) {
      int[] ids = new int[win.rows * win.width * k];
      Arrays.fill(ids, -1);
      for (int u = 0; u < win.rows; u++) {
        RoutingRecord r = uniqueRecorded[u];
        int upTo = r == null ? 0 : r.positions();
        for (int p = cached(u); p < upTo; p++) {
          int slot = u * win.width + (rowPad[u] + p - first);
          for (int j = 0; j < k; j++) {
            ids[slot * k + j] = r.expert(p, l, j);
          }
        }
      }
      win.replay[l] = ids;
    }
  }

  private static List<Integer> promptKey(int[] tokens, RoutingRecord r) {
    List<Integer> key = new ArrayList<>(tokens.length + 1);
    for (int t : tokens) {
      key.add(t);
    }
    key.add(-1); // separator: the record's ids follow
    if (r != null) {
      for (int id : r.toIntArray()) {
        key.add(id);
      }
    }
    return key;
  }

  private int cached(int u) {
    return hits[u] == null ? 0 : hits[u].length();
  }
}
