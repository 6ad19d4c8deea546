package dev.r3.actors.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.monitor.Supervised;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The guardian of a rollout node. It finds the learner through the receptionist, fetches the run's
 * settings (nothing to copy by hand: the model config and the weights come from the learner), gets
 * the run's plugin jars with the learner's digests ({@link PluginFetcher}: from this machine when
 * it has them, else from the learner; failing that the node ends at start saying why), starts the
 * weights cache and hosts its {@code workers-per-node} rollout stations (sharded, placed here), and
 * tells the learner it is ready once its shard region is registered. The outcome completes {@code
 * done}: normally when the learner leaves (the run ended); exceptionally when the learner stays
 * unreachable for {@code learner-lost-timeout}, or this node is downed.
 *
 * <p>Not restarted: it is the node.
 */
final class RolloutNode {

  // ---- protocol (internal only: nothing else talks to it) ----
  sealed interface Command extends NoSerializationVerificationNeeded
      permits LearnerListing,
          GotSpec,
          GotPlugins,
          Membership,
          Reachability,
          Poll,
          GotStats,
          LearnerLost,
          NoLearner,
          ToReporter,
          Alive {}

  private record LearnerListing(Receptionist.Listing listing) implements Command {}

  private record GotSpec(LearnerNode.RunSpec spec, Throwable error) implements Command {}

  private record GotPlugins(PluginFetcher.Result result) implements Command {}

  private record Membership(ClusterEvent.MemberEvent event) implements Command {}

  private record Reachability(ClusterEvent.ReachabilityEvent event) implements Command {}

  private enum Poll implements Command {
    INSTANCE
  }

  private record GotStats(ShardRegion.ClusterShardingStats stats, Throwable error)
      implements Command {}

  private enum LearnerLost implements Command {
    INSTANCE
  }

  private enum NoLearner implements Command {
    INSTANCE
  }

  /** A supervision event of an actor here, for the learner's monitor. */
  private record ToReporter(dev.r3.actors.monitor.Monitor.Command event) implements Command {}

  /** The liveness check's ping ({@link NodeHealth}). */
  private record Alive(NodeHealth.Ping ping) implements Command {}

  /**
   * @param overrides r3 keys this node sets over the learner's (e.g. workers-per-node)
   * @param backends builds environments, tokenizer and engines from the run's settings
   */
  public static Behavior<Command> create(
      Config overrides,
      Function<R3Config, RolloutBackends> backends,
      CompletableFuture<String> done) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> new RolloutNode(ctx, timers, overrides, backends, done).behavior()));
  }

  // ---- state ----
  private static final Duration ASK = Duration.ofSeconds(10);
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Config overrides;
  private final Function<R3Config, RolloutBackends> backends;
  private final CompletableFuture<String> done;
  private final String node;
  private final Address self;
  private ActorRef<LearnerNode.Command> learner;
  private ClusterConfig settings;
  private List<String> stations;
  private boolean ready;
  private ActorRef<NodeReporter.Command> reporter;
  private LearnerNode.RunSpec pendingSpec; // while the plugin jars are fetched
  private R3Config pendingConfig; // while the plugin jars are fetched

  private RolloutNode(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      Config overrides,
      Function<R3Config, RolloutBackends> backends,
      CompletableFuture<String> done) {
    this.ctx = ctx;
    this.timers = timers;
    this.overrides = overrides;
    this.backends = backends;
    this.done = done;
    Cluster cluster = Cluster.get(ctx.getSystem());
    this.self = cluster.selfMember().address();
    this.node = StationAllocation.hostPort(self);
    cluster
        .subscriptions()
        .tell(
            Subscribe.create(
                ctx.messageAdapter(ClusterEvent.MemberEvent.class, Membership::new),
                ClusterEvent.MemberEvent.class));
    cluster
        .subscriptions()
        .tell(
            Subscribe.create(
                ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, Reachability::new),
                ClusterEvent.ReachabilityEvent.class));
    ctx.getSystem()
        .receptionist()
        .tell(
            Receptionist.subscribe(
                LearnerNode.KEY,
                ctx.messageAdapter(Receptionist.Listing.class, LearnerListing::new)));
    Duration patience =
        overrides.withFallback(ConfigFactory.load()).getDuration("r3.cluster.join-timeout");
    timers.startSingleTimer(NoLearner.INSTANCE, NoLearner.INSTANCE, patience);
    NodeHealth.get(ctx.getSystem()).guardian(ctx.messageAdapter(NodeHealth.Ping.class, Alive::new));
    ctx.getLog().info("rollout node {}: looking for the learner", node);
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(LearnerListing.class, this::onListing)
        .onMessage(GotSpec.class, this::onSpec)
        .onMessage(GotPlugins.class, this::onPlugins)
        .onMessage(Membership.class, this::onMembership)
        .onMessage(Reachability.class, this::onReachability)
        .onMessage(Poll.class, m -> onPoll())
        .onMessage(GotStats.class, this::onStats)
        .onMessage(
            ToReporter.class,
            m -> {
              reporter.tell(new NodeReporter.Local(m.event()));
              return Behaviors.same();
            })
        .onMessage(
            Alive.class,
            m -> {
              m.ping().replyTo().tell(org.apache.pekko.Done.getInstance());
              return Behaviors.same();
            })
        .onMessage(
            NoLearner.class, m -> finish(false, "no learner found within r3.cluster.join-timeout"))
        .onMessage(
            LearnerLost.class,
            m ->
                finish(
                    false,
                    "the learner stayed unreachable for "
                        + (settings == null ? "?" : settings.learnerLostTimeout())
                        + ": the run is lost"))
        .onSignal(
            PostStop.class,
            s -> {
              done.complete("node stopped");
              return Behaviors.same();
            })
        .build();
  }

  private Behavior<Command> onListing(LearnerListing m) {
    var found = m.listing().getServiceInstances(LearnerNode.KEY);
    if (learner == null && !found.isEmpty()) {
      learner = found.iterator().next();
      askSpec();
    }
    return Behaviors.same();
  }

  private void askSpec() {
    ctx.ask(LearnerNode.RunSpec.class, learner, ASK, LearnerNode.GetRunSpec::new, GotSpec::new);
  }

  private Behavior<Command> onSpec(GotSpec m) {
    if (m.error() != null) {
      ctx.getLog()
          .warn(
              "asking the learner for the run's settings failed ({}); again", m.error().toString());
      askSpec();
      return Behaviors.same();
    }
    if (settings != null) {
      return Behaviors.same();
    }
    timers.cancel(NoLearner.INSTANCE);
    R3Config config;
    try {
      Config r3 = ConfigFactory.parseString(m.spec().r3Json()).atKey("r3");
      config =
          R3Config.from(overrides.withFallback(r3).withFallback(ConfigFactory.load()).resolve());
      settings = ClusterConfig.of(config);
    } catch (RuntimeException e) {
      return finish(false, "the learner's settings are unusable here: " + e.getMessage());
    }
    ctx.getLog()
        .info(
            "run {}: env {}, {} rollout precision, {} station(s) here",
            config.experiment().name(),
            config.env().name(),
            config.rollout().precision(),
            settings.workersPerNode());
    if (m.spec().plugins().isEmpty()) {
      return start(config, m.spec());
    }
    PluginSettings local;
    try {
      local = PluginSettings.of(overrides.withFallback(ConfigFactory.load()).resolve());
    } catch (RuntimeException e) {
      return finish(false, "bad plugin settings here: " + e.getMessage());
    }
    pendingSpec = m.spec();
    pendingConfig = config;
    ctx.spawn(
        PluginFetcher.create(
            m.spec().plugins(),
            m.spec().pluginServer(),
            new PluginCache(local.cacheDir()),
            local,
            ctx.messageAdapter(PluginFetcher.Result.class, GotPlugins::new)),
        "plugins",
        DispatcherSelector.blocking());
    return Behaviors.same();
  }

  /** The plugin jars are here (their local paths replace the learner's), or the node ends. */
  private Behavior<Command> onPlugins(GotPlugins m) {
    if (m.result() instanceof PluginFetcher.Failed f) {
      return finish(false, "cannot get this run's plugin jars: " + f.why());
    }
    PluginFetcher.Fetched got = (PluginFetcher.Fetched) m.result();
    got.notes().forEach(System.err::println);
    R3Config local;
    try {
      local =
          pendingConfig.with("r3.env.plugins", got.jars().stream().map(Path::toString).toList());
    } catch (RuntimeException e) {
      return finish(false, "the learner's settings are unusable here: " + e.getMessage());
    }
    return start(local, pendingSpec);
  }

  /** Builds the run's rollouts here (environments, engines) and hosts this node's stations. */
  private Behavior<Command> start(R3Config config, LearnerNode.RunSpec spec) {
    RolloutBackends b;
    try {
      b = backends.apply(config); // loads the run's plugin jars: a missing one ends the node here
    } catch (RuntimeException e) {
      return finish(false, "cannot build this run's rollouts here: " + e.getMessage());
    }
    ActorRef<WeightsCache.Command> cache =
        ctx.spawn(WeightsCache.create(settings, node), "weights");
    R3Config c = config;
    reporter = ctx.spawn(NodeReporter.create(spec.actorReports(), node), "reporter");
    Supervised supervised =
        new Supervised(
            ctx.messageAdapter(dev.r3.actors.monitor.Monitor.Command.class, ToReporter::new));
    StationShards.initHost(
        ClusterSharding.get(ctx.getSystem()),
        self,
        id ->
            supervised.report("station", RolloutStation.create(id, c, b, cache, node, supervised)));
    stations = new ArrayList<>();
    for (int k = 0; k < settings.workersPerNode(); k++) {
      stations.add(StationAllocation.stationId(node, k));
    }
    timers.startSingleTimer(Poll.INSTANCE, Duration.ofMillis(200));
    return Behaviors.same();
  }

  /** Ready once this node's region is registered, so that its stations are placed here. */
  private Behavior<Command> onPoll() {
    ctx.ask(
        ShardRegion.ClusterShardingStats.class,
        ClusterSharding.get(ctx.getSystem()).shardState(),
        ASK,
        r -> new GetClusterShardingStats(RolloutStation.TYPE, Duration.ofSeconds(3), r),
        GotStats::new);
    return Behaviors.same();
  }

  private Behavior<Command> onStats(GotStats m) {
    if (ready) {
      return Behaviors.same();
    }
    boolean registered =
        m.stats() != null
            && m.stats().getRegions().keySet().stream()
                .anyMatch(a -> StationAllocation.hostPort(a).equals(node) || a.equals(self));
    if (!registered) {
      timers.startSingleTimer(Poll.INSTANCE, Duration.ofMillis(300));
      return Behaviors.same();
    }
    ready = true;
    NodeHealth.get(ctx.getSystem()).stationsPlaced();
    learner.tell(new LearnerNode.NodeReady(node, List.copyOf(stations)));
    System.err.printf(
        "rollout node %s: ready, %d station(s): %s%n", node, stations.size(), stations);
    return Behaviors.same();
  }

  private Behavior<Command> onMembership(Membership m) {
    var member = m.event().member();
    boolean isLearner = member.hasRole(ClusterConfig.LEARNER_ROLE);
    if (member.address().equals(self) && m.event() instanceof ClusterEvent.MemberRemoved) {
      return finish(false, "this node was removed from the cluster (downed)");
    }
    if (!isLearner) {
      return Behaviors.same();
    }
    if (m.event() instanceof ClusterEvent.MemberLeft
        || m.event() instanceof ClusterEvent.MemberExited) {
      return finish(true, "the learner left: the run ended");
    }
    if (m.event() instanceof ClusterEvent.MemberRemoved r) {
      return finish(
          r.previousStatus() != org.apache.pekko.cluster.MemberStatus.down(),
          "the learner was removed (" + r.previousStatus() + ")");
    }
    return Behaviors.same();
  }

  private Behavior<Command> onReachability(Reachability m) {
    if (!m.event().member().hasRole(ClusterConfig.LEARNER_ROLE)) {
      return Behaviors.same();
    }
    if (m.event() instanceof ClusterEvent.UnreachableMember) {
      Duration t = settings == null ? Duration.ofSeconds(20) : settings.learnerLostTimeout();
      ctx.getLog().warn("the learner is unreachable; giving it {}", t);
      timers.startSingleTimer(LearnerLost.INSTANCE, LearnerLost.INSTANCE, t);
    } else {
      ctx.getLog().info("the learner is reachable again");
      timers.cancel(LearnerLost.INSTANCE);
    }
    return Behaviors.same();
  }

  private Behavior<Command> finish(boolean ok, String why) {
    if (ok) {
      done.complete(why);
    } else {
      done.completeExceptionally(new IllegalStateException(why));
    }
    return Behaviors.stopped();
  }
}
