package dev.r3.actors.monitor;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Watches one run for people and for Prometheus (DESIGN.md section 10): collects the supervision
 * events every {@link Supervised} actor reports (start, failure, restart, stop), the per-step rows,
 * the evaluations, the settings and the run's status; answers the JSON of the {@link MonitorServer}
 * (which it starts and stops with itself when {@code r3.monitor.port > 0}); publishes the RL and
 * actor series to Kamon every second ({@link KamonExport}).
 *
 * <p>On restart it would lose the run's history; it is not supervised (a failure here is a bug) and
 * nothing in the pipeline waits for it: every message to it is a tell.
 */
public final class Monitor {

  // ---- protocol (local: the gauges are shared objects) ----
  public sealed interface Command extends NoSerializationVerificationNeeded
      permits ActorStarted,
          ActorFailed,
          ActorRestarting,
          ActorStopped,
          RunStarted,
          History,
          StepLogged,
          EvalLogged,
          RunEnded,
          GetState,
          GetMetrics,
          ServerBound,
          Publish {}

  public record ActorStarted(String path, String role, String node, ActorGauges gauges, long at)
      implements Command {}

  public record ActorFailed(String path, String error, long at) implements Command {}

  public record ActorRestarting(String path, long at) implements Command {}

  public record ActorStopped(String path, long at) implements Command {}

  /** The run's identity and its settings table (key, value rows). */
  public record RunStarted(String name, String dir, long totalSteps, List<String[]> settings)
      implements Command {}

  /**
   * A resumed run's earlier rows (its metrics.jsonl and eval.jsonl up to the checkpoint it resumes
   * from), told right after {@link RunStarted} and before any {@link StepLogged}: the page and the
   * API show the whole run, not only what this process trained.
   */
  public record History(
      long resumedFromStep, List<Map<String, Object>> steps, List<Map<String, Object>> evals)
      implements Command {}

  /** A metrics.jsonl row ({@link dev.r3.actors.run.StepRow}). */
  public record StepLogged(Map<String, Object> row) implements Command {}

  /** An eval.jsonl row. */
  public record EvalLogged(Map<String, Object> row) implements Command {}

  /** {@code status}: finished or failed (then {@code failure} says why). */
  public record RunEnded(String status, String failure) implements Command {}

  /** Replies the JSON of {@code /api/state}. */
  public record GetState(ActorRef<String> replyTo) implements Command {}

  /** Replies the JSON of {@code /api/metrics?since=STEP}. */
  public record GetMetrics(long since, int limit, ActorRef<String> replyTo) implements Command {}

  // ---- internal ----
  private record ServerBound(MonitorServer server, Throwable error) implements Command {}

  private enum Publish implements Command {
    INSTANCE
  }

  /** Rows kept for the API (about 1 KB each); older ones stay in metrics.jsonl. */
  static final int MAX_ROWS = 100_000;

  /** {@code url} completes with the page's URL once the server is bound; "" when none is. */
  public static Behavior<Command> create(MonitorSettings settings, CompletableFuture<String> url) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new Monitor(ctx, timers, settings, url).behavior()));
  }

  // ---- state ----
  private final ActorContext<Command> ctx;
  private final MonitorSettings settings;
  private final MonitorState state = new MonitorState(MAX_ROWS);
  private final KamonExport kamon = new KamonExport();
  private final CompletableFuture<String> url;

  /** The server being bound (null when off); stopped with this actor, even if it binds after. */
  private CompletionStage<MonitorServer> bound;

  private Monitor(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      MonitorSettings s,
      CompletableFuture<String> url) {
    this.ctx = ctx;
    this.settings = s;
    this.url = url;
    timers.startTimerWithFixedDelay(Publish.INSTANCE, Duration.ofSeconds(1));
    if (s.enabled()) {
      try {
        bound = MonitorServer.start(ctx.getSystem(), ctx.getSelf(), s);
      } catch (RuntimeException e) { // e.g. Kamon stopped: the run goes on without a server
        bound = CompletableFuture.failedFuture(e);
      }
      ctx.pipeToSelf(bound, ServerBound::new);
    } else {
      url.complete("");
    }
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(ActorStarted.class, this::onStarted)
        .onMessage(ActorFailed.class, this::onFailed)
        .onMessage(ActorRestarting.class, m -> same(state.restarting(m.path())))
        .onMessage(ActorStopped.class, m -> same(state.stopped(m.path(), m.at())))
        .onMessage(RunStarted.class, this::onRunStarted)
        .onMessage(History.class, m -> same(history(m)))
        .onMessage(StepLogged.class, this::onStep)
        .onMessage(EvalLogged.class, m -> same(evalLogged(m)))
        .onMessage(RunEnded.class, m -> same(ended(m)))
        .onMessage(GetState.class, this::onGetState)
        .onMessage(GetMetrics.class, this::onGetMetrics)
        .onMessage(ServerBound.class, this::onServerBound)
        .onMessage(Publish.class, m -> same(publish()))
        .onSignal(PostStop.class, s -> onStop())
        .build();
  }

  private Behavior<Command> same(Object ignored) {
    return Behaviors.same();
  }

  private Behavior<Command> onStarted(ActorStarted m) {
    MonitorState.ActorEntry e = state.started(m.path(), m.role(), m.node(), m.gauges(), m.at());
    if (e.restarts > 0) {
      ctx.getLog().info("{} restarted ({} restarts)", m.path(), e.restarts);
    }
    return Behaviors.same();
  }

  private Behavior<Command> onFailed(ActorFailed m) {
    if (state.failed(m.path(), m.error(), m.at()) != null) {
      kamon.failure(m.path());
    }
    return Behaviors.same();
  }

  private Behavior<Command> onRunStarted(RunStarted m) {
    state.run(m.name(), m.dir(), m.totalSteps(), m.settings());
    return Behaviors.same();
  }

  private Object history(History m) {
    state.history(m.resumedFromStep(), m.steps(), m.evals());
    return m;
  }

  private Behavior<Command> onStep(StepLogged m) {
    state.step(m.row());
    kamon.row(m.row());
    return Behaviors.same();
  }

  private Object evalLogged(EvalLogged m) {
    state.eval(m.row());
    kamon.row(m.row());
    return m;
  }

  private Object ended(RunEnded m) {
    state.ended(m.status(), m.failure());
    return m;
  }

  private Behavior<Command> onGetState(GetState m) {
    m.replyTo().tell(MonitorState.GSON.toJson(state.stateJson(cluster())));
    return Behaviors.same();
  }

  private Behavior<Command> onGetMetrics(GetMetrics m) {
    m.replyTo().tell(MonitorState.GSON.toJson(state.metricsJson(m.since(), m.limit())));
    return Behaviors.same();
  }

  private Behavior<Command> onServerBound(ServerBound m) {
    if (m.error() != null) {
      ctx.getLog().warn("monitor: no HTTP server ({}); the run goes on without it", m.error());
      url.complete("");
    } else {
      MonitorServer server = m.server();
      ctx.getLog().info("monitor: {}", server.url());
      url.complete(server.url() + (settings.tokenRequired() ? "?token=TOKEN" : ""));
    }
    return Behaviors.same();
  }

  private Object publish() {
    kamon.actors(state.actors());
    return this;
  }

  private Behavior<Command> onStop() {
    // A server that binds after this actor stopped would otherwise keep its port and its Kamon
    // reporter for the rest of the JVM.
    if (bound != null) {
      bound.thenAccept(MonitorServer::stop);
    }
    return Behaviors.same();
  }

  /** Members with roles, status and reachability; one JVM without a cluster is one member. */
  private JsonObject cluster() {
    JsonObject c = new JsonObject();
    JsonArray members = new JsonArray();
    String self = ctx.getSystem().address().toString();
    boolean clustered =
        "cluster".equals(ctx.getSystem().settings().config().getString("pekko.actor.provider"));
    if (clustered) {
      Cluster cluster = Cluster.get(ctx.getSystem());
      var unreachable = cluster.state().getUnreachable();
      for (Member m : cluster.state().getMembers()) {
        JsonObject o = new JsonObject();
        o.addProperty("address", m.address().toString());
        JsonArray roles = new JsonArray();
        m.getRoles().stream().filter(r -> !r.startsWith("dc-")).sorted().forEach(roles::add);
        o.add("roles", roles);
        o.addProperty("status", m.status().toString());
        o.addProperty("reachable", !unreachable.contains(m));
        members.add(o);
      }
    } else {
      JsonObject o = new JsonObject();
      o.addProperty("address", self);
      JsonArray roles = new JsonArray();
      roles.add("learner");
      roles.add("rollout");
      o.add("roles", roles);
      o.addProperty("status", "Up");
      o.addProperty("reachable", true);
      members.add(o);
    }
    c.addProperty("self", self);
    c.addProperty("clustered", clustered);
    c.add("members", members);
    return c;
  }
}
