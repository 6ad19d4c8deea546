package dev.r3.actors.run;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.r3.actors.config.R3Config;
import kamon.Kamon;

/**
 * Kamon for a run: the series of the one vocabulary ({@link MetricNames#prometheus}: {@code
 * r3_reward_mean}, {@code r3_actor_restarts}, ...), served by the monitor's {@code /metrics} and,
 * when {@code r3.metrics.prometheus-port} is set (0 = none), by Kamon's own endpoint at
 * 127.0.0.1:port. No agent is attached: the pipeline and the monitor record their own metrics.
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
