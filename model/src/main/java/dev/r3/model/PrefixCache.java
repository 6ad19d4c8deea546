package dev.r3.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * A radix tree over token ids whose every node holds a {@link PrefixSegment}: the KV entries and
 * routing ids of the positions its edge spells, as one unit (DESIGN.md section 1). A path from the
 * root spells a prefix and the experts that computed it; sequences that share a prefix share its
 * nodes, so a GRPO group's prompt is stored once and a multi-turn continuation finds the previous
 * turn's KV and routing on the path of its own transcript. Two sequences with equal tokens but
 * other experts at some position (a re-prefill that replayed another record) branch there: the KV
 * below a node was computed attending to that node's KV, never to a sibling's.
 *
 * <ul>
 *   <li>{@link #lookup}: the longest stored prefix of a prompt (leaving its last token to compute),
 *       in time linear in the prompt; given the routing record the caller already holds for the
 *       prompt's first positions, the match also stops at the first position whose stored routing
 *       differs from it, so KV computed with other experts is never paired with that record.
 *   <li>{@link #insert}: stores a finished sequence; the part already on a path (same tokens, same
 *       routing) is kept, not copied again; a node whose edge diverges midway is split, the rest
 *       becomes a new leaf.
 *   <li>Eviction: beyond the byte budget (KV, routing ids and token ids counted), the least
 *       recently used leaf goes first, then its parent when that becomes a leaf. Nodes on the path
 *       of a hit are pinned (reference counted) until the hit is released, so a call never loses
 *       the KV it is restoring.
 * </ul>
 *
 * The cache belongs to one engine, which holds one version of the weights for its whole life: a new
 * version is a new engine with an empty cache, so no node outlives the weights that computed it.
 *
 * <p>Not thread-safe: owned by one {@link RolloutEngine}, used inside its synchronized calls; only
 * its {@link Stats} are public.
 */
public final class PrefixCache implements AutoCloseable {

  /**
   * The first {@code length} positions of a prompt, served by {@code segments} (a root path, the
   * last one possibly used only in part). Pins its nodes until {@link #release}.
   */
  final class Hit {
    private final List<Node> path;
    private final int length;
    private boolean released;

    private Hit(List<Node> path, int length) {
      this.path = path;
      this.length = length;
      for (Node n : path) {
        n.pins++;
      }
    }

    int length() {
      return length;
    }

    /** The segments on the path, in position order. */
    List<PrefixSegment> segments() {
      List<PrefixSegment> out = new ArrayList<>(path.size());
      for (Node n : path) {
        out.add(n.segment);
      }
      return out;
    }

    /** Routing ids of positions {@code 0 .. length - 1}, flattened [position][layer][slot]. */
    int[] routingIds() {
      RoutingRecord r = null;
      for (Node n : path) {
        int used = Math.min(n.segment.length(), length - n.segment.start);
        RoutingRecord piece = n.segment.routing.prefix(used);
        r = r == null ? piece : r.concat(piece);
      }
      return r == null ? new int[0] : r.toIntArray();
    }

    /** Unpins the path (idempotent); evicts if pinned nodes held the cache over its budget. */
    void release() {
      if (released) {
        return;
      }
      released = true;
      for (Node n : path) {
        n.pins--;
      }
      evictToBudget();
    }
  }

  /** Copies positions {@code from .. from + length - 1} of a finished sequence's KV. */
  @FunctionalInterface
  interface KvSource {
    NDArray copy(int from, int length, NDManager into);
  }

  /**
   * Counters since the engine was built.
   *
   * @param lookups distinct prompts looked up
   * @param hits lookups that reused a stored prefix
   * @param reusedTokens prompt tokens whose KV entries and routing ids came from the cache
   * @param entries tree nodes stored now (each one segment of KV and routing)
   * @param bytes bytes those nodes hold (KV, routing ids, token ids)
   * @param evictions nodes dropped to stay within the budget
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
  private final boolean sharePrompts;
  private final Node root = new Node(null, null);
  private int nodes;
  private long clock;
  private long lookups;
  private long hits;
  private long reusedTokens;
  private long bytes;
  private long evictions;
  private long promptTokens;
  private long computedTokens;

  PrefixCache(long capacity, boolean sharePrompts, NDManager parent) {
    this.capacity = capacity;
    this.sharePrompts = sharePrompts;
    this.manager = parent.newSubManager();
  }

  /** The manager that owns stored KV arrays. */
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
   * The longest stored prefix of {@code prompt}, leaving at least its last token to compute, pinned
   * until released; or null. When {@code recorded} is not null (the routing the caller holds for
   * the prompt's first positions), the match ends at the first of those positions whose stored
   * routing differs from it.
   */
  Hit lookup(int[] prompt, RoutingRecord recorded) {
    lookups++;
    int limit = prompt.length - 1;
    List<Node> path = new ArrayList<>();
    int matched = 0;
    Node at = root;
    while (matched < limit) {
      Match m = bestChild(at, prompt, matched, limit, recorded);
      if (m == null) {
        break;
      }
      path.add(m.node);
      matched += m.length;
      if (m.length < m.node.segment.length()) {
        break;
      }
      at = m.node;
    }
    if (matched == 0) {
      return null;
    }
    long now = ++clock;
    for (Node n : path) {
      n.lastUsed = now;
    }
    hits++;
    reusedTokens += matched;
    return new Hit(path, matched);
  }

  private record Match(Node node, int length) {}

  /**
   * The child of {@code at} whose edge matches most of {@code tokens} from {@code from} (below
   * {@code limit}): tokens equal and, where {@code routing} holds the position, routing ids equal.
   * Children may share a first token when their routing differs (KV computed from other experts).
   */
  private static Match bestChild(
      Node at, int[] tokens, int from, int limit, RoutingRecord routing) {
    List<Node> kids = at.children.get(tokens[from]);
    if (kids == null) {
      return null;
    }
    Match best = null;
    for (Node c : kids) {
      PrefixSegment seg = c.segment;
      int i = 0;
      while (i < seg.length()
          && from + i < limit
          && seg.tokens[i] == tokens[from + i]
          && sameRouting(seg, i, routing, from + i)) {
        i++;
      }
      if (i > 0 && (best == null || i > best.length)) {
        best = new Match(c, i);
      }
    }
    return best;
  }

  private static boolean sameRouting(
      PrefixSegment seg, int offset, RoutingRecord recorded, int position) {
    if (recorded == null || position >= recorded.positions()) {
      return true;
    }
    RoutingRecord r = seg.routing;
    for (int l = 0; l < r.layers(); l++) {
      for (int s = 0; s < r.k(); s++) {
        if (r.expert(offset, l, s) != recorded.expert(position, l, s)) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Stores a sequence whose first {@code tokens.length} positions have KV (from {@code kv}) and
   * routing {@code routing}: nodes already on its path are kept, a diverging node is split, the
   * rest is copied into one new leaf; then evicts to the budget.
   */
  void insert(int[] tokens, RoutingRecord routing, KvSource kv) {
    if (routing.positions() != tokens.length) {
      throw new IllegalArgumentException(
          tokens.length + " tokens stored with " + routing.positions() + " routing positions");
    }
    long now = ++clock;
    Node at = root;
    int matched = 0;
    while (matched < tokens.length) {
      Match m = bestChild(at, tokens, matched, tokens.length, routing);
      if (m == null) {
        break;
      }
      Node next = m.node;
      int i = m.length;
      if (i < next.segment.length() && matched + i == tokens.length) {
        next.lastUsed = now; // the sequence ends inside this edge: stored already
        matched += i;
        break;
      }
      if (i < next.segment.length()) {
        next = split(next, i);
      }
      next.lastUsed = now;
      matched += i;
      at = next;
    }
    if (matched < tokens.length) {
      int n = tokens.length - matched;
      PrefixSegment seg =
          new PrefixSegment(
              matched,
              Arrays.copyOfRange(tokens, matched, tokens.length),
              kv.copy(matched, n, manager),
              routing.slice(matched, tokens.length));
      Node leaf = new Node(at, seg);
      leaf.lastUsed = now;
      at.children.computeIfAbsent(seg.tokens[0], t -> new ArrayList<>()).add(leaf);
      nodes++;
      bytes += seg.bytes;
    }
    evictToBudget();
  }

  /** Splits {@code n}'s edge after {@code at} tokens; returns the upper (head) node. */
  private Node split(Node n, int at) {
    if (n.pins > 0) {
      throw new IllegalStateException(
          "a prefix-cache node in use by an unreleased hit cannot be split: release hits first");
    }
    PrefixSegment[] parts = n.segment.split(at, manager);
    Node head = new Node(n.parent, parts[0]);
    head.lastUsed = n.lastUsed;
    List<Node> siblings = n.parent.children.get(parts[0].tokens[0]);
    siblings.set(siblings.indexOf(n), head);
    n.parent = head;
    bytes += parts[0].bytes + parts[1].bytes - n.segment.bytes;
    n.segment = parts[1];
    head.children.computeIfAbsent(parts[1].tokens[0], t -> new ArrayList<>()).add(n);
    nodes++;
    return head;
  }

  /** Evicts least recently used unpinned leaves until the bytes fit the budget. */
  private void evictToBudget() {
    if (bytes <= capacity) {
      return;
    }
    PriorityQueue<Node> leaves =
        new PriorityQueue<>((a, b) -> Long.compare(a.lastUsed, b.lastUsed));
    collectLeaves(root, leaves);
    while (bytes > capacity && !leaves.isEmpty()) {
      Node out = leaves.poll();
      List<Node> siblings = out.parent.children.get(out.segment.tokens[0]);
      siblings.remove(out);
      if (siblings.isEmpty()) {
        out.parent.children.remove(out.segment.tokens[0]);
      }
      out.segment.kv.close();
      bytes -= out.segment.bytes;
      nodes--;
      evictions++;
      Node p = out.parent;
      if (p != root && p.children.isEmpty() && p.pins == 0) {
        leaves.add(p);
      }
    }
  }

  private static void collectLeaves(Node n, PriorityQueue<Node> into) {
    for (Node c : n.kids()) {
      if (c.children.isEmpty()) {
        if (c.pins == 0) {
          into.add(c);
        }
      } else {
        collectLeaves(c, into);
      }
    }
  }

  /** Counts one call's prefill: its sequences' prompt tokens, and those it computed. */
  void countPrefill(long prompt, long computed) {
    promptTokens += prompt;
    computedTokens += computed;
  }

  Stats stats() {
    return new Stats(
        lookups, hits, reusedTokens, nodes, bytes, evictions, promptTokens, computedTokens);
  }

  /** Every node's segment, parents before children (tests). */
  List<PrefixSegment> segments() {
    List<PrefixSegment> out = new ArrayList<>();
    List<Node> todo = new ArrayList<>(root.kids());
    while (!todo.isEmpty()) {
      Node n = todo.remove(todo.size() - 1);
      out.add(n.segment);
      todo.addAll(n.kids());
    }
    return out;
  }

  /** The stored sequences' token paths, root to every leaf (tests). */
  List<int[]> storedPaths() {
    List<int[]> out = new ArrayList<>();
    collectPaths(root, new int[0], out);
    return out;
  }

  private static void collectPaths(Node n, int[] prefix, List<int[]> out) {
    for (Node c : n.kids()) {
      int[] p = Arrays.copyOf(prefix, prefix.length + c.segment.length());
      System.arraycopy(c.segment.tokens, 0, p, prefix.length, c.segment.length());
      if (c.children.isEmpty()) {
        out.add(p);
      } else {
        collectPaths(c, p, out);
      }
    }
  }

  /** Drops every node (pinned ones too: only between calls). */
  void clear() {
    closeAll(root);
    root.children.clear();
    nodes = 0;
    bytes = 0;
  }

  private static void closeAll(Node n) {
    for (Node c : n.kids()) {
      c.segment.kv.close();
      closeAll(c);
    }
  }

  @Override
  public void close() { // package use only: the engine closes its cache
    clear();
    manager.close();
  }

  private static final class Node {
    Node parent;
    PrefixSegment segment; // null at the root
    final Map<Integer, List<Node>> children = new HashMap<>(); // by first token of their edge
    long lastUsed;
    int pins;

    Node(Node parent, PrefixSegment segment) {
      this.parent = parent;
      this.segment = segment;
    }

    List<Node> kids() {
      List<Node> out = new ArrayList<>();
      for (List<Node> l : children.values()) {
        out.addAll(l);
      }
      return out;
    }
  }
}
