package dev.r3.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Token prefixes with their KV entries and routing ids, stored as one unit: a hit reuses both, so a
 * continuation's routing record stays complete (DESIGN.md section 1). Least recently used entries
 * are evicted beyond a byte budget (KV floats, routing ids and token ids counted). The cache
 * belongs to one engine, which holds one version of the weights for its whole life: a new version
 * is a new engine with an empty cache, so no entry ever outlives the weights that computed it. Keys
 * are the tokens whose KV is stored (a finished sequence minus its last, never-fed token); a prompt
 * may reuse any common prefix with any entry, since the KV and the routing at a position depend
 * only on the tokens up to it.
 *
 * <p>Not thread-safe: owned by one {@link RolloutEngine}, used inside its synchronized calls; only
 * its {@link Stats} are public.
 */
public final class PrefixCache implements AutoCloseable {

  /** One stored prefix: kv is (layers, 2, nKV, n, hd), routing holds n positions. */
  static final class Entry {
    final int[] tokens;
    final NDArray kv;
    final RoutingRecord routing;
    final long bytes;

    Entry(int[] tokens, NDArray kv, RoutingRecord routing) {
      this.tokens = tokens;
      this.kv = kv;
      this.routing = routing;
      this.bytes =
          kv.size() * kv.getDataType().getNumOfBytes() + routing.byteSize() + 4L * tokens.length;
    }
  }

  /** The first {@code length} positions of {@code entry} serve a prompt. */
  record Hit(Entry entry, int length) {}

  /**
   * Counters since the engine was built.
   *
   * @param lookups distinct prompts looked up
   * @param hits lookups that reused a stored prefix
   * @param reusedTokens prompt tokens whose KV entries and routing ids came from the cache
   * @param entries prefixes stored now
   * @param bytes bytes those entries hold (KV, routing ids, token ids)
   * @param evictions entries dropped to stay within the budget
   * @param promptTokens prompt tokens of every sequence of every call (what an engine without any
   *     prefix reuse prefills)
   * @param computedTokens prompt tokens actually computed (identical prompts of a call count once,
   *     cached prefixes not at all)
   */
  public record Stats(
      long lookups,
      long hits,
      long reusedTokens,
      int entries,
      long bytes,
      long evictions,
      long promptTokens,
      long computedTokens) {
    /** Prompt tokens not computed thanks to sharing and the cache. */
    public long savedTokens() {
      return promptTokens - computedTokens;
    }

    public double hitRate() {
      return lookups == 0 ? Double.NaN : (double) hits / lookups;
    }
  }

  private final long capacity;
  private final NDManager manager;
  private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long lookups;
  private long hits;
  private long reusedTokens;
  private long bytes;
  private long evictions;
  private long promptTokens;
  private long computedTokens;

  private final boolean sharePrompts;

  PrefixCache(long capacity, boolean sharePrompts, NDManager parent) {
    this.capacity = capacity;
    this.sharePrompts = sharePrompts;
    this.manager = parent.newSubManager();
  }

  /** The manager that owns stored KV arrays (callers build an entry's kv in it). */
  NDManager manager() {
    return manager;
  }

  /** Identical prompts of one call are prefilled once (off only to measure what that saves). */
  boolean sharesPrompts() {
    return sharePrompts;
  }

  boolean enabled() {
    return capacity > 0;
  }

  /**
   * The longest stored prefix of {@code prompt}, leaving at least its last token to compute; or
   * null.
   */
  Hit lookup(int[] prompt) {
    lookups++;
    Entry best = null;
    int bestLength = 0;
    for (Entry e : entries.values()) {
      int n = Math.min(e.tokens.length, prompt.length - 1);
      int common = 0;
      while (common < n && e.tokens[common] == prompt[common]) {
        common++;
      }
      if (common > bestLength) {
        best = e;
        bestLength = common;
      }
    }
    if (best == null) {
      return null;
    }
    entries.get(new Key(best.tokens)); // touch: most recently used
    hits++;
    reusedTokens += bestLength;
    return new Hit(best, bestLength);
  }

  /**
   * Stores an entry whose kv belongs to {@link #manager()}; replaces an equal key, evicts the least
   * recently used entries until the budget holds (an entry larger than the whole budget is not
   * kept).
   */
  void put(int[] tokens, NDArray kv, RoutingRecord routing) {
    Entry e = new Entry(tokens, kv, routing);
    if (e.bytes > capacity) {
      kv.close();
      return;
    }
    Entry old = entries.put(new Key(tokens), e);
    bytes += e.bytes;
    if (old != null) {
      bytes -= old.bytes;
      old.kv.close();
    }
    Iterator<Map.Entry<Key, Entry>> it = entries.entrySet().iterator();
    while (bytes > capacity && it.hasNext()) {
      Entry out = it.next().getValue();
      out.kv.close();
      bytes -= out.bytes;
      evictions++;
      it.remove();
    }
  }

  /** Counts one call's prefill: its sequences' prompt tokens, and those it computed. */
  void countPrefill(long prompt, long computed) {
    promptTokens += prompt;
    computedTokens += computed;
  }

  Stats stats() {
    return new Stats(
        lookups,
        hits,
        reusedTokens,
        entries.size(),
        bytes,
        evictions,
        promptTokens,
        computedTokens);
  }

  void clear() {
    for (Entry e : entries.values()) {
      e.kv.close();
    }
    entries.clear();
    bytes = 0;
  }

  @Override
  public void close() { // package use only: the engine closes its cache
    clear();
    manager.close();
  }

  private record Key(int[] tokens) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && Arrays.equals(k.tokens, tokens);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(tokens);
    }
  }
}
