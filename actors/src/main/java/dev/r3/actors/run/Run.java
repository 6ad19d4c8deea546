package dev.r3.actors.run;

import dev.r3.actors.config.PekkoModules;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.monitor.MonitorSettings;
import dev.r3.actors.pipeline.Coordinator;
import dev.r3.actors.pipeline.Topology;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.run.RunFiles.RunSummary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;

/** Starts one experiment as an actor system whose guardian is the {@link Coordinator}. */
public final class Run {
  private final ActorSystem<?> system;
  private final CompletableFuture<RunSummary> done;
  private final java.util.function.Consumer<String> interrupter;
  private final CompletableFuture<String> monitorUrl;

  private Run(
      ActorSystem<?> system,
      CompletableFuture<RunSummary> done,
      java.util.function.Consumer<String> interrupter,
      CompletableFuture<String> monitorUrl) {
    this.system = system;
    this.done = done;
    this.interrupter = interrupter;
    this.monitorUrl = monitorUrl;
  }

  /**
   * A run whose actor system was made elsewhere (the learner node of a cluster); the system
   * terminates when the run is done.
   *
   * @param interrupter what {@link #interrupt} does
   */
  public static Run of(
      ActorSystem<?> system,
      CompletableFuture<RunSummary> done,
      java.util.function.Consumer<String> interrupter) {
    done.whenComplete((s, e) -> system.terminate());
    return new Run(system, done, interrupter, CompletableFuture.completedFuture(""));
  }

  /** {@code <out-dir>/<name>-<yyyyMMdd-HHmmss>} */
  public static Path defaultDir(R3Config c) {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    return Path.of(c.experiment().outDir()).resolve(c.experiment().name() + "-" + stamp);
  }

  public static Run start(R3Config config, Backends backends, Path dir) {
    return start(config, backends, dir, null);
  }

  /**
   * Starts a run, or (with {@code resume}) continues the run in {@code dir} from its checkpoint.
   */
  public static Run start(R3Config config, Backends backends, Path dir, Resume resume) {
    if (config.rollout().maxNewTokens() < 1) {
      throw new IllegalArgumentException(
          "r3.rollout.max-new-tokens is 0: resolve it from the environment first");
    }
    MonitorSettings.from(config.source()); // refuses bad monitor settings before anything starts
    CompletableFuture<RunSummary> done = new CompletableFuture<>();
    CompletableFuture<String> monitorUrl = new CompletableFuture<>();
    RunFiles files;
    if (resume == null) {
      files = new RunFiles(dir);
      writeConfig(dir, config);
    } else {
      files = RunFiles.resumed(dir, resume.state().step(), resume.state().evals());
    }
    ActorSystem<Coordinator.Command> system =
        ActorSystem.create(
            Coordinator.create(config, backends, files, done, resume, Topology.local(), monitorUrl),
            "r3",
            config.source());
    PekkoModules.require(system);
    done.whenComplete((s, e) -> system.terminate());
    return new Run(system, done, why -> system.tell(new Coordinator.Interrupt(why)), monitorUrl);
  }

  /**
   * The monitor page's URL once it is bound ("" when the monitor has no server, or the run was made
   * elsewhere: a cluster's learner node logs it).
   */
  public CompletableFuture<String> monitorUrl() {
    return monitorUrl;
  }

  /** The settings a run was started with ({@code ./r3 train --resume} reads them). */
  public static Path configFile(Path runDir) {
    Path f = runDir.resolve(CONFIG_FILE);
    if (!Files.isRegularFile(f)) {
      throw new IllegalArgumentException(
          "cannot resume " + runDir + ": no " + CONFIG_FILE + " there (not a run folder?)");
    }
    return f;
  }

  static final String CONFIG_FILE = "run-config.json";

  /** Writes the run's settings where {@code --resume} reads them. */
  public static void writeConfig(Path dir, R3Config config) {
    try {
      Files.writeString(
          dir.resolve(CONFIG_FILE), "{\"r3\":" + config.json() + "}\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Asks the run to stop cleanly (a signal): see {@link Coordinator.Interrupt}. */
  public void interrupt(String why) {
    interrupter.accept(why);
  }

  public ActorSystem<?> system() {
    return system;
  }

  public CompletableFuture<RunSummary> done() {
    return done;
  }

  /** Waits for the run; a failed run throws with its reason. */
  public RunSummary await(Duration limit) {
    try {
      return done.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      system.terminate();
      throw new IllegalStateException("run did not finish within " + limit);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    } finally {
      try {
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // the system is going down; nothing to wait for
      }
    }
  }
}
