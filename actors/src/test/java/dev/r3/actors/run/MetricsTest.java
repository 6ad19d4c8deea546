package dev.r3.actors.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.config.ConfigLoader;
import dev.r3.actors.config.R3Config;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import kamon.Kamon;
import org.junit.jupiter.api.Test;

class MetricsTest {

  @Test
  void prometheusEndpoint_servesNamespacedMetrics_onTheConfiguredPort() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    R3Config c =
        ConfigLoader.load(
            null, List.of("metrics.prometheus-port=" + port, "kamon.metric.tick-interval=200ms"));
    Metrics.start(c);
    try {
      Kamon.counter(MetricNames.prometheus(MetricNames.ROLLOUT_PREFIX_CACHE_HITS))
          .withoutTags()
          .increment(42);
      HttpClient http = HttpClient.newHttpClient();
      String body = "";
      for (int i = 0; i < 150 && !body.contains("r3_rollout_prefix_cache_hits"); i++) {
        Thread.sleep(200);
        body =
            http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
      }
      assertThat(body).contains("r3_rollout_prefix_cache_hits_total");
    } finally {
      Metrics.stop();
    }
  }
}
