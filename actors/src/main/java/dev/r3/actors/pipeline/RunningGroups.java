package dev.r3.actors.pipeline;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.function.LongPredicate;

/**
 * The groups the {@link ReplayBuffer} has admitted and not yet released: at which station each
 * runs, the version it was admitted at, its order (to launch it again), and in a cluster where it
 * was placed, how often its node was lost and how many launches it had. New groups go to the least
 * loaded station. Not thread-safe: the buffer owns it.
 */
final class RunningGroups {
  private final Map<Long, Integer> stationOf = new HashMap<>();
  private final Map<Long, Long> admittedAt = new HashMap<>();
  private final Map<Long, GroupRollout.Order> orders = new HashMap<>();
  private final Map<Long, String> placedOn = new HashMap<>();
  private final Map<Long, Integer> nodeLosses = new HashMap<>();
  private final Map<Long, Integer> launches = new HashMap<>();
  private final Set<String> goneNodes = new HashSet<>();
  private int[] load;

  RunningGroups(int stations) {
    this.load = new int[stations];
  }

  int size() {
    return stationOf.size();
  }

  boolean contains(long groupId) {
    return stationOf.containsKey(groupId);
  }

  /** The station {@code groupId} runs at; null when it is not running. */
  Integer stationOf(long groupId) {
    return stationOf.get(groupId);
  }

  int stations() {
    return load.length;
  }

  /** Stations joined: there are {@code stations} now. */
  void grow(int stations) {
    load = Arrays.copyOf(load, stations);
  }

  /** Admits {@code order} at {@code version} to the least loaded station; returns the station. */
  int admit(GroupRollout.Order order, long version) {
    int station = leastLoaded(-1);
    load[station]++;
    stationOf.put(order.groupId(), station);
    admittedAt.put(order.groupId(), version);
    orders.put(order.groupId(), order);
    return station;
  }

  GroupRollout.Order order(long groupId) {
    return orders.get(groupId);
  }

  /** Forgets {@code groupId}; false when it was not running. */
  boolean release(long groupId) {
    admittedAt.remove(groupId);
    Integer station = stationOf.remove(groupId);
    if (station == null) {
      return false;
    }
    orders.remove(groupId);
    placedOn.remove(groupId);
    nodeLosses.remove(groupId);
    launches.remove(groupId);
    load[station]--;
    return true;
  }

  /** The running groups admitted after {@code version}, with the version each was admitted at. */
  Map<Long, Long> admittedAfter(long version) {
    Map<Long, Long> after = new LinkedHashMap<>();
    admittedAt.forEach(
        (id, v) -> {
          if (v > version) {
            after.put(id, v);
          }
        });
    return after;
  }

  // ---- cluster ----

  /** A launch of {@code groupId} went out; returns its number (1 for the first). */
  int launched(long groupId) {
    return launches.merge(groupId, 1, Integer::sum);
  }

  int launches(long groupId) {
    return launches.getOrDefault(groupId, 0);
  }

  /** The station of a running group took it on {@code node}. */
  void placed(long groupId, String node) {
    if (contains(groupId)) {
      placedOn.put(groupId, node);
    }
  }

  boolean isPlaced(long groupId) {
    return placedOn.containsKey(groupId);
  }

  /**
   * The running groups (among those {@code open}) placed on {@code node}, or launched at a station
   * {@code nodeOf} puts there and never confirmed (the launch went to the node as it died).
   */
  List<Long> lostWith(String node, IntFunction<String> nodeOf, LongPredicate open) {
    List<Long> lost = new ArrayList<>();
    for (var e : stationOf.entrySet()) {
      String at = placedOn.get(e.getKey());
      if (at == null) {
        at = nodeOf.apply(e.getValue());
      }
      if (node.equals(at) && open.test(e.getKey())) {
        lost.add(e.getKey());
      }
    }
    return lost;
  }

  /** {@code node} was downed: it runs nothing any more. */
  void nodeGone(String node) {
    goneNodes.add(node);
  }

  /**
   * Whether a running group sits on a node that is gone: placed there (a confirmation that arrived
   * after the node was lost), or launched at a station {@code nodeOf} puts there and never
   * confirmed.
   */
  boolean onGoneNode(long groupId, IntFunction<String> nodeOf) {
    Integer station = stationOf.get(groupId);
    if (station == null) {
      return false;
    }
    String at = placedOn.get(groupId);
    return goneNodes.contains(at != null ? at : nodeOf.apply(station));
  }

  /** {@code groupId}'s placement is lost; returns how often that happened to it. */
  int lost(long groupId) {
    placedOn.remove(groupId);
    return nodeLosses.merge(groupId, 1, Integer::sum);
  }

  /** Moves a running group to the least loaded other station (when there is one); returns it. */
  int move(long groupId) {
    Integer before = stationOf.get(groupId);
    if (before != null) {
      load[before]--;
    }
    int next = leastLoaded(before == null ? -1 : before);
    load[next]++;
    stationOf.put(groupId, next);
    return next;
  }

  /** The least loaded station other than {@code avoid} (when there is another). */
  private int leastLoaded(int avoid) {
    int best = avoid == 0 && load.length > 1 ? 1 : 0;
    for (int i = 0; i < load.length; i++) {
      if (i != avoid && load[i] < load[best]) {
        best = i;
      }
    }
    return best;
  }
}
