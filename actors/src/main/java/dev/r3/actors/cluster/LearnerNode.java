package dev.r3.actors.cluster;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.pipeline.Coordinator;
import dev.r3.actors.pipeline.ReplayBuffer;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.run.Resume;
import dev.r3.actors.run.RunFiles;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.wire.WireMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The guardian of the learner node (role {@code learner}, the seed). It serves the run's settings
 * and its plugin jars ({@link PluginServer}) to rollout nodes, starts the {@link WeightsPublisher},
 * waits until {@code min-rollout-nodes} rollout nodes are ready (a progress line every few seconds;
 * {@code join-timeout} fails the run), then starts the {@link Coordinator} as a Cluster Singleton
 * on role {@code learner}; the coordinator owns the learner and the buffer, so all three live once
 * per cluster, on this node. Afterwards it tells the buffer about nodes that join (their stations)
 * and nodes that are lost (their groups are re-issued), and records the membership for
 * summary.json.
 *
 * <p>Not restarted: it is the run.
 */
public final class LearnerNode {

  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "r3-learner");

  // ---- protocol ----
  public sealed interface Command extends WireMessage
      permits GetRunSpec, NodeReady, Membership, Tick, BufferUp, Interrupt, Alive {}

  /** From a rollout node: the run's settings. */
  public record GetRunSpec(ActorRef<RunSpec> replyTo) implements Command {}

  /**
   * The {@code r3} section of the run's settings (JSON), and the model's config.json.
   *
   * @param weightsVersion the version the publisher holds now
   * @param actorReports where the node's supervised actors report (the run's monitor)
   * @param plugins the run's plugin jars ({@code r3.env.plugins}) with their digests
   * @param pluginServer serves their bytes to a node that does not have them
   */
  public record RunSpec(
      String r3Json,
      String modelConfigJson,
      long weightsVersion,
      ActorRef<RemoteActors.Command> actorReports,
      List<PluginJar> plugins,
      ActorRef<PluginServer.Command> pluginServer)
      implements WireMessage {}

  /** A rollout node has its settings, its weights cache and these stations (sharded entities). */
  public record NodeReady(String node, List<String> stations) implements Command {}

  // ---- internal ----
  private record Membership(ClusterEvent.MemberEvent event)
      implements Command, NoSerializationVerificationNeeded {}

  private enum Tick implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /**
   * A signal (Ctrl-C, SIGTERM): the coordinator stops after the step in flight with a final
   * checkpoint, as in one JVM; before training started the run just ends.
   */
  public record Interrupt(String why) implements Command, NoSerializationVerificationNeeded {}

  /** The liveness check's ping ({@link NodeHealth}). */
  private record Alive(NodeHealth.Ping ping)
      implements Command, NoSerializationVerificationNeeded {}

  /** The coordinator's buffer is up (from {@link ClusterTopology}). */
  record BufferUp(ActorRef<ReplayBuffer.Command> buffer)
      implements Command, NoSerializationVerificationNeeded {}

  private static final Duration PROGRESS = Duration.ofSeconds(5);

  public static Behavior<Command> create(
      R3Config config,
      ClusterConfig settings,
      Backends backends,
      RunFiles files,
      CompletableFuture<RunSummary> done,
      ClusterRecord record,
      Resume resume,
      PluginBundle plugins) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers ->
                    new LearnerNode(
                            ctx, timers, config, settings, backends, files, done, record, resume,
                            plugins)
                        .behavior()));
  }

  // ---- state ----
  private final ActorContext<Command> ctx;
  private final R3Config config;
  private final ClusterConfig settings;
  private final Backends backends;
  private final RunFiles files;
  private final CompletableFuture<RunSummary> done;
  private final ClusterRecord record;
  private final Resume resume;
  private final ActorRef<WeightsPublisher.Command> publisher;
  private final ActorRef<RemoteActors.Command> remoteActors;
  private final List<PluginJar> plugins;
  private final ActorRef<PluginServer.Command> pluginServer;
  private final Map<String, List<String>> ready = new LinkedHashMap<>();
  private final long startNanos = System.nanoTime();
  private boolean started;
  private final List<String> initialStations = new ArrayList<>();
  private ActorRef<ReplayBuffer.Command> buffer;
  private ActorRef<Coordinator.Command> coordinator;

  private LearnerNode(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      R3Config config,
      ClusterConfig settings,
      Backends backends,
      RunFiles files,
      CompletableFuture<RunSummary> done,
      ClusterRecord record,
      Resume resume,
      PluginBundle plugins) {
    this.ctx = ctx;
    this.config = config;
    this.settings = settings;
    this.backends = backends;
    this.files = files;
    this.done = done;
    this.record = record;
    this.resume = resume;
    // A resumed run's nodes start from the checkpoint's weights (the learner's version then).
    WeightsSnapshot first =
        resume == null
            ? new WeightsSnapshot(0, backends.initialWeights())
            : new WeightsSnapshot(resume.state().version(), resume.weights());
    this.publisher = ctx.spawn(WeightsPublisher.create(first, settings, record), "weights");
    this.remoteActors = ctx.spawn(RemoteActors.create(), "remote-actors");
    this.plugins = plugins.jars();
    this.pluginServer = ctx.spawn(PluginServer.create(plugins), "plugins");
    for (PluginJar jar : this.plugins) {
      System.err.println("serving plugin jar " + jar.describe() + " to rollout nodes");
    }
    StationShards.initProxy(ClusterSharding.get(ctx.getSystem()));
    ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
    Cluster.get(ctx.getSystem())
        .subscriptions()
        .tell(
            Subscribe.create(
                ctx.messageAdapter(ClusterEvent.MemberEvent.class, Membership::new),
                ClusterEvent.MemberEvent.class));
    NodeHealth.get(ctx.getSystem()).guardian(ctx.messageAdapter(NodeHealth.Ping.class, Alive::new));
    timers.startTimerWithFixedDelay(Tick.INSTANCE, PROGRESS);
    System.err.printf(
        "learner node %s: waiting for %d rollout node(s) (%s)%n",
        self(),
        settings.minRolloutNodes(),
        NodeManagement.of(config.source()).bootstraps()
            ? "they join by cluster bootstrap, r3.cluster.bootstrap"
            : "join with: ./r3 node --role rollout --join " + self());
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(GetRunSpec.class, this::onGetRunSpec)
        .onMessage(NodeReady.class, this::onNodeReady)
        .onMessage(Membership.class, this::onMembership)
        .onMessage(Tick.class, m -> onTick())
        .onMessage(BufferUp.class, this::onBufferUp)
        .onMessage(Interrupt.class, this::onInterrupt)
        .onMessage(
            Alive.class,
            m -> {
              m.ping().replyTo().tell(org.apache.pekko.Done.getInstance());
              return Behaviors.same();
            })
        .build();
  }

  private Behavior<Command> onGetRunSpec(GetRunSpec m) {
    long version = resume == null ? 0 : resume.state().version();
    m.replyTo()
        .tell(
            new RunSpec(
                config.json(),
                backends.initialWeights().config().toJson(),
                version,
                remoteActors,
                plugins,
                pluginServer));
    return Behaviors.same();
  }

  private Behavior<Command> onNodeReady(NodeReady m) {
    if (ready.containsKey(m.node())) {
      return Behaviors.same();
    }
    ready.put(m.node(), m.stations());
    record.ready(m.node());
    ctx.getLog().info("rollout node {} ready with {} station(s)", m.node(), m.stations().size());
    if (started) {
      if (buffer != null) {
        buffer.tell(new ReplayBuffer.StationsJoined(m.stations()));
      }
      return Behaviors.same();
    }
    if (ready.size() >= settings.minRolloutNodes()) {
      startCoordinator();
    }
    return Behaviors.same();
  }

  private Behavior<Command> onMembership(Membership m) {
    var member = m.event().member();
    String at = StationAllocation.hostPort(member.address());
    List<String> roles = new ArrayList<>(member.getRoles());
    roles.removeIf(r -> r.startsWith("dc-"));
    if (m.event() instanceof ClusterEvent.MemberUp) {
      record.joined(at, roles);
      ctx.getLog().info("member up: {} {}", at, roles);
    } else if (m.event() instanceof ClusterEvent.MemberLeft) {
      record.left(at, roles);
    } else if (m.event() instanceof ClusterEvent.MemberDowned) {
      record.downed(at, roles);
      ctx.getLog().warn("member downed: {} {}", at, roles);
    } else if (m.event() instanceof ClusterEvent.MemberRemoved r) {
      if (r.previousStatus() == MemberStatus.down()) {
        record.downed(at, roles);
      }
      record.removed(at, roles);
      ctx.getLog().warn("member removed: {} {} (was {})", at, roles, r.previousStatus());
      if (ready.remove(at) != null && buffer != null) {
        buffer.tell(new ReplayBuffer.NodeLost(at));
      }
      remoteActors.tell(new RemoteActors.NodeGone(at));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onTick() {
    if (started) {
      return Behaviors.same();
    }
    Duration waited = Duration.ofNanos(System.nanoTime() - startNanos);
    if (waited.compareTo(settings.joinTimeout()) > 0) {
      String why =
          "only "
              + ready.size()
              + " of "
              + settings.minRolloutNodes()
              + " rollout node(s) ready after "
              + settings.joinTimeout()
              + " (r3.cluster.join-timeout); ready: "
              + ready.keySet();
      ctx.getLog().error(why);
      done.completeExceptionally(new IllegalStateException(why));
      return Behaviors.stopped();
    }
    System.err.printf(
        "learner node %s: %d/%d rollout node(s) ready after %d s%n",
        self(), ready.size(), settings.minRolloutNodes(), waited.toSeconds());
    return Behaviors.same();
  }

  private Behavior<Command> onInterrupt(Interrupt m) {
    if (coordinator != null) {
      coordinator.tell(new Coordinator.Interrupt(m.why()));
      return Behaviors.same();
    }
    done.completeExceptionally(
        new IllegalStateException(m.why() + " while waiting for rollout nodes: nothing trained"));
    return Behaviors.stopped();
  }

  private Behavior<Command> onBufferUp(BufferUp m) {
    buffer = m.buffer();
    List<String> later = new ArrayList<>();
    ready.values().forEach(later::addAll);
    later.removeAll(initialStations);
    if (!later.isEmpty()) {
      buffer.tell(new ReplayBuffer.StationsJoined(later));
    }
    return Behaviors.same();
  }

  private void startCoordinator() {
    started = true;
    List<String> stations = new ArrayList<>();
    ready.values().forEach(stations::addAll);
    initialStations.addAll(stations);
    ctx.getLog()
        .info(
            "{} rollout node(s) ready ({} stations): training starts",
            ready.size(),
            stations.size());
    ClusterTopology topology =
        new ClusterTopology(
            ClusterSharding.get(ctx.getSystem()),
            stations,
            publisher,
            ctx.getSelf(),
            record,
            remoteActors);
    coordinator =
        ClusterSingleton.get(ctx.getSystem())
            .init(
                SingletonActor.of(
                        Coordinator.create(config, backends, files, done, resume, topology),
                        "coordinator")
                    .withSettings(
                        org.apache.pekko.cluster.typed.ClusterSingletonSettings.create(
                                ctx.getSystem())
                            .withRole(ClusterConfig.LEARNER_ROLE)));
  }

  private String self() {
    return StationAllocation.hostPort(Cluster.get(ctx.getSystem()).selfMember().address());
  }
}
