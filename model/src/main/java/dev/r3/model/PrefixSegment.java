package dev.r3.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A run of consecutive sequence positions with their KV entries and routing ids, held as one unit:
 * the tokens, the (layers, 2, nKV, n, hd) keys and values and the n-position routing record always
 * cover the same n positions (checked here), so a prefix-cache hit can never reuse the KV of a
 * position without the experts that produced it, or the other way round.
 */
final class PrefixSegment {
  final int start; // position of tokens[0] in its sequence
  final int[] tokens;
  final NDArray kv;
  final RoutingRecord routing;
  final long bytes;

  PrefixSegment(int start, int[] tokens, NDArray kv, RoutingRecord routing) {
    long kvPositions = kv.getShape().get(3);
    if (kv.getShape().dimension() != 5
        || kvPositions != tokens.length
        || routing.positions() != tokens.length) {
      throw new IllegalArgumentException(
          "a prefix segment of "
              + tokens.length
              + " tokens needs KV and routing of as many positions, got KV "
              + kv.getShape()
              + " and "
              + routing.positions()
              + " routing positions");
    }
    this.start = start;
    this.tokens = tokens;
    this.kv = kv;
    this.routing = routing;
    this.bytes =
        kv.size() * kv.getDataType().getNumOfBytes() + routing.byteSize() + 4L * tokens.length;
  }

  int length() {
    return tokens.length;
  }

  /** Position one past the last. */
  int end() {
    return start + tokens.length;
  }

  /**
   * Splits at offset {@code at} (0 < at < length) into two segments whose KV are copies owned by
   * {@code into}; closes this segment's KV.
   */
  PrefixSegment[] split(int at, NDManager into) {
    if (at <= 0 || at >= tokens.length) {
      throw new IllegalArgumentException("split at " + at + " outside (0, " + tokens.length + ")");
    }
    PrefixSegment head =
        new PrefixSegment(
            start, java.util.Arrays.copyOf(tokens, at), copy(0, at, into), routing.slice(0, at));
    PrefixSegment tail =
        new PrefixSegment(
            start + at,
            java.util.Arrays.copyOfRange(tokens, at, tokens.length),
            copy(at, tokens.length, into),
            routing.slice(at, tokens.length));
    kv.close();
    return new PrefixSegment[] {head, tail};
  }

  private NDArray copy(int from, int to, NDManager into) {
    try (NDManager s = into.newSubManager()) {
      NDArray view = Nd.slice(kv, 3, from, to, s);
      NDArray out = view.duplicate();
      out.attach(into);
      return out;
    }
  }
}
