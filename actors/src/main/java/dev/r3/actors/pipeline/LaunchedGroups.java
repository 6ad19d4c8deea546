package dev.r3.actors.pipeline;

import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.Ledger;
import dev.r3.actors.learning.RoutingAssembly;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * The groups the {@link ReplayBuffer} has launched, from admission to release, and their rollouts
 * until they close: each admitted group is launched at the least loaded station ({@link
 * RunningGroups}) and the routing pieces it ships are held until it finishes ({@link
 * RoutingAssembly}). In a cluster ({@link GroupRunner#confirmsPlacement}) each launch starts two
 * timers: a launch not confirmed within {@code timeouts.ask}, or lost with its node, is re-issued
 * at another station with the same seeds (dropped node_lost after {@code faults.max-retries} losses
 * or while the run drains), and a group still running after {@code timeouts.group-lease} is
 * re-issued when its node is gone, else aborted and dropped timed_out. Not thread-safe: the buffer
 * owns it.
 */
final class LaunchedGroups {

  /** Starts the rollout of a group at a station (the buffer's {@link GroupRunner#launch}). */
  interface Launcher {
    GroupRunner.Launched launch(GroupRollout.Order order, int station);
  }

  /** The buffer's placement and lease timers of a group's launches (cluster only). */
  interface LaunchTimers {
    /** Starts the timers of launch number {@code launch} of {@code groupId}, replacing earlier. */
    void start(long groupId, int launch);

    void cancel(long groupId);
  }

  private final GroupRunner crew;
  private final Launcher launcher;
  private final LaunchTimers timers;
  private final Ledger ledger;
  private final int maxRetries;
  private final Duration ask;
  private final Duration groupLease;
  private final Logger log;
  private final RunningGroups running;
  private final RoutingAssembly routing = new RoutingAssembly();
  // Rollouts that have not closed yet (running, or lingering for a cancelled attempt).
  private final Map<Long, GroupRunner.Launched> open = new HashMap<>();

  /**
   * @param ask how long a cluster launch may go unconfirmed ({@code timeouts.ask}), for the logs
   * @param groupLease {@code timeouts.group-lease}, for the logs
   * @param log the buffer's logger
   */
  LaunchedGroups(
      GroupRunner crew,
      Launcher launcher,
      LaunchTimers timers,
      Ledger ledger,
      int maxRetries,
      Duration ask,
      Duration groupLease,
      Logger log) {
    this.crew = crew;
    this.launcher = launcher;
    this.timers = timers;
    this.ledger = ledger;
    this.maxRetries = maxRetries;
    this.ask = ask;
    this.groupLease = groupLease;
    this.log = log;
    this.running = new RunningGroups(crew.stations());
  }

  /** Groups admitted and not yet released: what the staleness gate counts as running. */
  int running() {
    return running.size();
  }

  boolean isRunning(long groupId) {
    return running.contains(groupId);
  }

  /** Rollouts that have not closed yet. */
  int openRollouts() {
    return open.size();
  }

  /** Nothing runs and every rollout has closed. */
  boolean idle() {
    return running.size() == 0 && open.isEmpty();
  }

  /** Groups whose routing pieces are held. */
  int assembling() {
    return routing.groups();
  }

  /** Launches {@code order}, admitted at {@code version}, at the least loaded station. */
  void admit(GroupRollout.Order order, long version) {
    launch(order, running.admit(order, version));
  }

  /** The rollout of {@code groupId} has nothing outstanding any more. */
  void closed(long groupId) {
    open.remove(groupId);
  }

  /** Holds a routing piece of a running group (one of a released group is forgotten). */
  void piece(ReplayBuffer.RoutingPiece m) {
    if (running.contains(m.groupId())) {
      routing.add(m.groupId(), m.attempt(), m.sample(), m.from(), m.routing());
    }
  }

  /** {@code m} with its routing records assembled from their pieces (errors logged, named). */
  ReplayBuffer.GroupFinished assembled(ReplayBuffer.GroupFinished m) {
    RoutingAssembly.Assembled a = routing.complete(m.groupId(), m.routingAttempt(), m.scored());
    for (String error : a.errors()) {
      log.error("group {}: {}", m.groupId(), error);
    }
    return new ReplayBuffer.GroupFinished(
        m.groupId(),
        m.episodeSeed(),
        m.version(),
        a.scored(),
        m.worker(),
        m.seconds(),
        m.retries(),
        m.closed(),
        m.routingAttempt(),
        m.counters().plus(a.transport()));
  }

  /** Forgets a group's place, pieces and timers; false when it was not running. */
  boolean release(long groupId) {
    routing.discard(groupId);
    if (!running.release(groupId)) {
      return false;
    }
    if (crew.confirmsPlacement()) {
      timers.cancel(groupId);
    }
    return true;
  }

  /** Aborts the rollouts of the groups admitted after {@code version} (a learner restart). */
  void abortAdmittedAfter(long version) {
    running
        .admittedAfter(version)
        .forEach(
            (id, admittedAt) -> {
              GroupRunner.Launched child = open.get(id);
              if (child != null) {
                // Its attempts ask for weights no learner will publish again: it would wait for
                // ever.
                child.abort(
                    "admitted at v" + admittedAt + ", undone by the learner restart",
                    DropReason.LOST_IN_CRASH);
              }
            });
  }

  /** Aborts every open rollout (the run ended). */
  void abortOpen(String why) {
    for (GroupRunner.Launched child : open.values()) {
      child.abort(why);
    }
  }

  /** Stops waiting for every open rollout ({@code giveUp} each) and releases its group. */
  void giveUpOpen(Consumer<GroupRunner.Launched> giveUp) {
    for (Long id : new ArrayList<>(open.keySet())) {
      giveUp.accept(open.remove(id));
      release(id);
    }
  }

  // ---- cluster ----

  /** The station of a launched group took it, on {@code node}. */
  void placed(ReplayBuffer.GroupPlaced m) {
    running.placed(m.groupId(), m.node());
    if (m.station() >= 0 && m.station() < running.stations()) {
      crew.placed(m.station(), m.node());
    }
  }

  /** A rollout node joined with these stations. */
  void stationsJoined(List<String> stations) {
    crew.addStations(stations);
    running.grow(crew.stations());
    log.info("{} rollout stations joined: {}", stations.size(), stations);
  }

  /** {@code node} was downed: its running groups are re-issued elsewhere. */
  void nodeLost(String node, boolean draining) {
    running.nodeGone(node);
    for (long id : running.lostWith(node, crew::nodeOf, open::containsKey)) {
      reissue(id, "lost with node " + node, draining);
    }
  }

  /**
   * Launch {@code launch} of {@code groupId} should be confirmed by now: re-issued when it is not.
   * Returns whether it was.
   */
  boolean placementDue(long groupId, int launch, boolean draining) {
    if (!running.contains(groupId)
        || running.isPlaced(groupId)
        || running.launches(groupId) != launch) {
      return false;
    }
    reissue(
        groupId, "not taken by station " + running.stationOf(groupId) + " within " + ask, draining);
    return true;
  }

  /**
   * Launch {@code launch} of {@code groupId} has run {@code timeouts.group-lease}. Nothing on the
   * learner node times a remote rollout out (its deadlines run on its node and are lost with it, as
   * is a lost report), so a group may hold its place at the staleness gate for the lease at most:
   * re-issued if its node is gone, else dropped timed_out. Returns whether the lease was still the
   * group's (something changed).
   */
  boolean leaseExpired(long groupId, int launch, boolean draining) {
    if (!running.contains(groupId) || running.launches(groupId) != launch) {
      return false;
    }
    String why = "running longer than r3.timeouts.group-lease = " + groupLease;
    if (running.onGoneNode(groupId, crew::nodeOf)) {
      reissue(groupId, why + " on a node that is gone", draining);
      return true;
    }
    GroupRunner.Launched rollout = open.remove(groupId);
    if (rollout != null) {
      rollout.abort(why, DropReason.TIMED_OUT);
    }
    log.warn(
        "group {} {} (station {}): dropped (timed_out)", groupId, why, running.stationOf(groupId));
    release(groupId);
    ledger.abandoned(DropReason.TIMED_OUT);
    return true;
  }

  /** Launches a running group again at another station, or drops it after max-retries. */
  private void reissue(long id, String why, boolean draining) {
    open.remove(id);
    // Its routing pieces so far stay: the superseded launch may still report (a station that took
    // the group late), and each launch's pieces are assembled apart (RoutingAssembly).
    int losses = running.lost(id);
    if (draining || losses > maxRetries) {
      release(id);
      ledger.abandoned(DropReason.NODE_LOST);
      log.warn("group {} {}: dropped (node_lost)", id, why);
      return;
    }
    int next = running.move(id);
    launch(running.order(id), next);
    log.warn("group {} {}: re-issued to station {}", id, why, next);
  }

  private void launch(GroupRollout.Order order, int station) {
    open.put(order.groupId(), launcher.launch(order, station));
    if (crew.confirmsPlacement()) {
      timers.start(order.groupId(), running.launched(order.groupId()));
    }
  }
}
