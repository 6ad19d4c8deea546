package dev.r3.actors.run;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.r3.actors.config.R3Config;
import kamon.Kamon;

/**
 * Kamon for a run: metrics under the {@code r3.} namespace ({@code r3.rollout.trajectories}, {@code
 * r3.learner.step_seconds}, {@code r3.buffer.size}, ...), exposed on a Prometheus endpoint at
 * 127.0.0.1:{@code r3.metrics.prometheus-port} when that port is set (0 = no endpoint). No agent is
 * attached: the pipeline records its own metrics.
 */
public final class Metrics {
  private Metrics() {}

  public static void start(R3Config c) {
    int port = c.metrics().prometheusPort();
    Config k =
        ConfigFactory.parseString(
                port > 0
                    ? "kamon.prometheus.start-embedded-http-server = yes\n"
                        + "kamon.prometheus.embedded-server { hostname = \"127.0.0.1\", port = "
                        + port
                        + " }\n"
                        + "kamon.modules.prometheus-reporter.enabled = yes\n"
                    : "kamon.prometheus.start-embedded-http-server = no\n"
                        + "kamon.modules.prometheus-reporter.enabled = no\n")
            .withFallback(c.source());
    Kamon.initWithoutAttaching(k);
  }

  public static void stop() {
    try {
      scala.concurrent.Await.result(Kamon.stop(), scala.concurrent.duration.Duration.apply(5, "s"));
    } catch (Exception e) {
      // best effort at shutdown
    }
  }
}
