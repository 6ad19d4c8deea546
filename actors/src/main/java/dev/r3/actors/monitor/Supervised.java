package dev.r3.actors.monitor;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Makes a behaviour report its life to the {@link Monitor}: started (again after each restart),
 * failed (with the exception), restarting, stopped; and count its messages and their processing
 * time into {@link ActorGauges}. Place it inside {@code Behaviors.supervise(...)}, so that a
 * restart runs its setup again:
 *
 * <pre>{@code
 * Behaviors.supervise(supervised.report("rollout", RolloutWorker.create(...))).onFailure(...)
 * }</pre>
 *
 * The tree the monitor shows is then true without an instrumentation agent.
 */
public final class Supervised {
  /** Reports nothing: {@link #report} returns the behaviour as it is. */
  public static final Supervised NONE = new Supervised(null);

  private final ActorRef<Monitor.Command> monitor;

  public Supervised(ActorRef<Monitor.Command> monitor) {
    this.monitor = monitor;
  }

  /** {@code role}: what the actor is in the pipeline (coordinator, learner, rollout, ...). */
  public <T> Behavior<T> report(String role, Behavior<T> behavior) {
    if (monitor == null) {
      return behavior;
    }
    ActorGauges gauges = new ActorGauges(); // one per spawned name: restarts keep counting
    return Behaviors.setup(
        ctx -> {
          gauges.mailbox(CountingMailbox.depthOf(Adapter.toClassic(ctx.getSelf())));
          monitor.tell(
              new Monitor.ActorStarted(
                  ctx.getSelf().path().toStringWithoutAddress(),
                  role,
                  ctx.getSystem().address().toString(),
                  gauges,
                  System.currentTimeMillis()));
          return Behaviors.intercept(
              () -> new Reporter<T>(monitor, ctx.getSelf().path().toStringWithoutAddress(), gauges),
              behavior);
        });
  }

  /**
   * Registers an actor that is not wrapped (the coordinator, which spawns the monitor itself): it
   * is listed, and its stop is seen when its children stop with it.
   */
  public static void self(ActorRef<Monitor.Command> monitor, ActorContext<?> ctx, String role) {
    monitor.tell(
        new Monitor.ActorStarted(
            ctx.getSelf().path().toStringWithoutAddress(),
            role,
            ctx.getSystem().address().toString(),
            new ActorGauges(),
            System.currentTimeMillis()));
  }

  /** Sees every message and signal of the wrapped behaviour on its way in. */
  private static final class Reporter<T> extends BehaviorInterceptor<T, T> {
    private final ActorRef<Monitor.Command> monitor;
    private final String path;
    private final ActorGauges gauges;

    @SuppressWarnings("unchecked")
    Reporter(ActorRef<Monitor.Command> monitor, String path, ActorGauges gauges) {
      super((Class<T>) Object.class);
      this.monitor = monitor;
      this.path = path;
      this.gauges = gauges;
    }

    @Override
    public Behavior<T> aroundReceive(
        TypedActorContext<T> ctx, T msg, BehaviorInterceptor.ReceiveTarget<T> target) {
      long t0 = System.nanoTime();
      gauges.begin(System.currentTimeMillis());
      try {
        return target.apply(ctx, msg);
      } catch (RuntimeException | Error e) {
        monitor.tell(new Monitor.ActorFailed(path, e.toString(), System.currentTimeMillis()));
        throw e;
      } finally {
        gauges.end(System.nanoTime() - t0, ctx.asJava().getChildren().size());
      }
    }

    @Override
    public Behavior<T> aroundSignal(
        TypedActorContext<T> ctx, Signal signal, BehaviorInterceptor.SignalTarget<T> target) {
      if (signal instanceof PreRestart) {
        monitor.tell(new Monitor.ActorRestarting(path, System.currentTimeMillis()));
      } else if (signal instanceof PostStop) {
        monitor.tell(new Monitor.ActorStopped(path, System.currentTimeMillis()));
      }
      return target.apply(ctx, signal);
    }

    @Override
    public boolean isSame(BehaviorInterceptor<Object, Object> other) {
      return other instanceof Reporter<?> r && r.path.equals(path);
    }
  }
}
