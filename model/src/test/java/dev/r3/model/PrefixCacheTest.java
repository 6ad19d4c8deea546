package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The radix tree of the prefix cache on its own, with KV arrays that encode what they hold: the
 * entry of position p of a sequence is {@code 1000 * token + p}, and its routing id is a hash of
 * the tokens up to p (so equal prefixes have equal routing, as in an engine).
 */
class PrefixCacheTest {
  static final int EXPERTS = 16;

  static float entry(int token, int position) {
    return 1000f * token + position;
  }

  static int expert(int[] tokens, int p) {
    int h = 7;
    for (int i = 0; i <= p; i++) {
      h = h * 31 + tokens[i];
    }
    return Math.floorMod(h, EXPERTS);
  }

  static RoutingRecord routing(int[] tokens) {
    int[] ids = new int[tokens.length];
    for (int p = 0; p < tokens.length; p++) {
      ids[p] = expert(tokens, p);
    }
    return RoutingRecord.of(tokens.length, 1, 1, EXPERTS, ids);
  }

  /** Stores a sequence whose KV holds {@link #entry} for every position. */
  static void insert(PrefixCache c, int[] tokens) {
    insert(c, tokens, routing(tokens));
  }

  static void insert(PrefixCache c, int[] tokens, RoutingRecord routing) {
    c.insert(
        tokens,
        routing,
        (from, len, into) -> {
          float[] v = new float[2 * len];
          for (int i = 0; i < len; i++) {
            v[i] = entry(tokens[from + i], from + i); // keys
            v[len + i] = -entry(tokens[from + i], from + i); // values
          }
          return into.create(v, new Shape(1, 2, 1, len, 1));
        });
  }

  /** The keys a hit would restore, position by position. */
  static float[] restoredKeys(PrefixCache.Hit h) {
    float[] out = new float[h.length()];
    for (PrefixSegment s : h.segments()) {
      float[] kv = s.kv.toFloatArray();
      int used = Math.min(s.length(), h.length() - s.start);
      System.arraycopy(kv, 0, out, s.start, used);
    }
    return out;
  }

  static int commonPrefix(int[] a, int[] b) {
    int n = Math.min(a.length, b.length);
    int i = 0;
    while (i < n && a[i] == b[i]) {
      i++;
    }
    return i;
  }

  static void checkUnits(PrefixCache c) {
    long bytes = 0;
    for (PrefixSegment s : c.segments()) {
      assertThat(s.kv.getShape().get(3)).isEqualTo(s.length());
      assertThat(s.routing.positions()).isEqualTo(s.length());
      bytes += s.bytes;
    }
    assertThat(c.stats().bytes()).isEqualTo(bytes);
    assertThat(c.stats().entries()).isEqualTo(c.segments().size());
  }

  @Test
  void aGroupPromptIsStoredOnceAndServesEveryContinuation() {
    try (NDManager m = NDManager.newBaseManager();
        PrefixCache c = new PrefixCache(1 << 20, true, m)) {
      int[] a = {1, 2, 3, 4, 9, 9};
      int[] b = {1, 2, 3, 4, 8};
      insert(c, a);
      insert(c, b);
      assertThat(c.stats().entries()).isEqualTo(3); // [1 2 3 4] -> [9 9] | [8]
      PrefixCache.Hit h = c.lookup(new int[] {1, 2, 3, 4, 9, 9, 5, 6}, null);
      assertThat(h.length()).isEqualTo(6);
      assertThat(h.segments()).hasSize(2);
      assertThat(restoredKeys(h))
          .containsExactly(
              entry(1, 0), entry(2, 1), entry(3, 2), entry(4, 3), entry(9, 4), entry(9, 5));
      assertThat(h.routingIds()).containsExactly(routing(a).toIntArray());
      h.release();
      PrefixCache.Hit other = c.lookup(new int[] {1, 2, 3, 7}, null);
      assertThat(other.length()).isEqualTo(3); // inside the shared node
      assertThat(other.routingIds()).containsExactly(routing(a).prefix(3).toIntArray());
      other.release();
      assertThat(c.lookup(new int[] {5, 1, 2}, null)).isNull();
      assertThat(c.lookup(new int[] {1, 2, 3, 4, 9, 9}, null).length())
          .as("the prompt's last token is always computed")
          .isEqualTo(5);
      checkUnits(c);
    }
  }

  @Test
  void aHitStopsWhereTheStoredRoutingDiffersFromTheCallersRecord() {
    try (NDManager m = NDManager.newBaseManager();
        PrefixCache c = new PrefixCache(1 << 20, true, m)) {
      int[] seq = {4, 5, 6, 7, 8};
      insert(c, seq);
      int[] ids = routing(seq).toIntArray();
      ids[3] = (ids[3] + 1) % EXPERTS; // the caller's record chose another expert at position 3
      RoutingRecord recorded = RoutingRecord.of(5, 1, 1, EXPERTS, ids);
      int[] prompt = {4, 5, 6, 7, 8, 1, 2};
      assertThat(c.lookup(prompt, recorded).length()).isEqualTo(3);
      assertThat(c.lookup(prompt, routing(seq)).length()).isEqualTo(5);
      assertThat(c.lookup(prompt, routing(seq).prefix(2)).length())
          .as("positions past the record are not compared")
          .isEqualTo(5);
    }
  }

  @Test
  void equalTokensRoutedByOtherExpertsBranchAndEachRecordFindsItsOwnPath() {
    try (NDManager m = NDManager.newBaseManager();
        PrefixCache c = new PrefixCache(1 << 20, true, m)) {
      int[] seq = {4, 5, 6, 7, 8};
      int[] ids = routing(seq).toIntArray();
      ids[2] = (ids[2] + 1) % EXPERTS;
      RoutingRecord other = RoutingRecord.of(5, 1, 1, EXPERTS, ids);
      insert(c, seq);
      insert(c, seq, other);
      assertThat(c.stats().entries()).isEqualTo(3); // [4 5] -> [6 7 8] | [6' 7 8]
      int[] prompt = {4, 5, 6, 7, 8, 1};
      PrefixCache.Hit mine = c.lookup(prompt, other);
      assertThat(mine.length()).isEqualTo(5);
      assertThat(mine.routingIds()).containsExactly(ids);
      mine.release();
      PrefixCache.Hit theirs = c.lookup(prompt, routing(seq));
      assertThat(theirs.routingIds()).containsExactly(routing(seq).toIntArray());
      theirs.release();
      checkUnits(c);
    }
  }

  @Test
  void evictionDropsLeastRecentlyUsedLeavesAndSparesPinnedNodes() {
    try (NDManager m = NDManager.newBaseManager()) {
      long perToken = 2 * 4 + 1 + 4; // keys+values floats, one routing byte, the token id
      try (PrefixCache c = new PrefixCache(10 * perToken, true, m)) {
        insert(c, new int[] {1, 1, 1, 1});
        insert(c, new int[] {2, 2, 2, 2});
        c.lookup(new int[] {1, 1, 1, 1, 0}, null).release(); // 1111 is now the most recent
        insert(c, new int[] {3, 3, 3, 3}); // 12 tokens > 10: the least recent (2222) goes
        assertThat(c.storedPaths()).extracting(p -> p[0]).containsExactlyInAnyOrder(1, 3);
        assertThat(c.stats().evictions()).isEqualTo(1);

        PrefixCache.Hit pinned = c.lookup(new int[] {1, 1, 1, 1, 0}, null);
        c.lookup(new int[] {3, 3, 3, 3, 0}, null).release(); // 1111 pinned but older
        insert(c, new int[] {4, 4, 4, 4}); // 3333 is the least recent unpinned leaf
        assertThat(c.storedPaths()).extracting(p -> p[0]).containsExactlyInAnyOrder(1, 4);
        assertThat(restoredKeys(pinned))
            .containsExactly(entry(1, 0), entry(1, 1), entry(1, 2), entry(1, 3));
        pinned.release();
        checkUnits(c);
        assertThat(c.stats().bytes()).isLessThanOrEqualTo(10 * perToken);
      }
    }
  }

  @Test
  void aNodeInUseIsNeverSplit() {
    try (NDManager m = NDManager.newBaseManager();
        PrefixCache c = new PrefixCache(1 << 20, true, m)) {
      insert(c, new int[] {1, 2, 3, 4});
      PrefixCache.Hit h = c.lookup(new int[] {1, 2, 3, 4, 5}, null);
      assertThatThrownBy(() -> insert(c, new int[] {1, 2, 9}))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("release hits first");
      h.release();
      insert(c, new int[] {1, 2, 9});
      assertThat(c.stats().entries()).isEqualTo(3);
    }
  }

  @Test
  void segmentsRefuseKvAndRoutingOfDifferentLengths() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray kv = m.zeros(new Shape(1, 2, 1, 3, 1));
      assertThatThrownBy(
              () -> new PrefixSegment(0, new int[] {1, 2, 3}, kv, routing(new int[] {1, 2})))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("3 tokens")
          .hasMessageContaining("2 routing positions");
    }
  }

  // ------------------------------------------------------------------ properties

  @Provide
  Arbitrary<List<int[]>> sequences() {
    Arbitrary<int[]> seq =
        Arbitraries.integers().between(0, 2).array(int[].class).ofMinSize(1).ofMaxSize(10);
    return seq.list().ofMinSize(1).ofMaxSize(12);
  }

  @Property(tries = 150)
  void lookupReturnsTheLongestStoredPrefixWithItsOwnKvAndRouting(
      @ForAll("sequences") List<int[]> stored, @ForAll("sequences") List<int[]> prompts) {
    try (NDManager m = NDManager.newBaseManager();
        PrefixCache c = new PrefixCache(1 << 20, true, m)) {
      for (int[] s : stored) {
        insert(c, s);
      }
      checkUnits(c);
      for (int[] p : prompts) {
        int longest = 0;
        for (int[] s : stored) {
          longest = Math.max(longest, commonPrefix(s, p));
        }
        longest = Math.min(longest, p.length - 1);
        PrefixCache.Hit h = c.lookup(p, null);
        assertThat(h == null ? 0 : h.length()).isEqualTo(longest);
        if (h != null) {
          float[] keys = restoredKeys(h);
          for (int i = 0; i < longest; i++) {
            assertThat(keys[i]).isEqualTo(entry(p[i], i));
          }
          assertThat(h.routingIds()).containsExactly(routing(p).prefix(longest).toIntArray());
          h.release();
        }
      }
    }
  }

  @Property(tries = 150)
  void underASmallBudgetEveryNodeStaysOneUnitAndTheBytesFit(
      @ForAll("sequences") List<int[]> stored, @ForAll @IntRange(min = 13, max = 200) int budget) {
    try (NDManager m = NDManager.newBaseManager();
        PrefixCache c = new PrefixCache(budget, true, m)) {
      List<int[]> seen = new ArrayList<>();
      for (int[] s : stored) {
        insert(c, s);
        seen.add(s);
        checkUnits(c);
        assertThat(c.stats().bytes()).isLessThanOrEqualTo(budget);
        for (int[] path : c.storedPaths()) {
          assertThat(seen)
              .as("every stored path is a prefix of an inserted sequence")
              .anyMatch(q -> commonPrefix(q, path) == path.length);
        }
        PrefixCache.Hit h = c.lookup(s, routing(s));
        if (h != null) {
          assertThat(h.routingIds()).containsExactly(routing(s).prefix(h.length()).toIntArray());
          h.release();
        }
      }
    }
  }
}
