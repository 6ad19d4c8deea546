package dev.r3.actors.monitor;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import kamon.Kamon;
import kamon.prometheus.PrometheusReporter;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The monitor's HTTP face (Pekko HTTP, read-only): {@code GET /} the page, {@code /api/state},
 * {@code /api/metrics?since=STEP}, {@code /api/events} (server-sent events: {@code state} every
 * half second, {@code metrics} with the rows after the last one sent), {@code /metrics}
 * (Prometheus, through Kamon). Binds to {@code r3.monitor.host} (127.0.0.1 by default); a port in
 * use falls back to a free one. With a token set, every request must carry it ({@code
 * Authorization: Bearer TOKEN}, or {@code ?token=TOKEN} for the browser's page and event stream).
 */
final class MonitorServer {
  private static final Duration ASK = Duration.ofSeconds(5);
  private static final Duration PUSH_EVERY = Duration.ofMillis(500);
  private static final int PAGE_ROWS = 2000;
  private static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/";

  /**
   * Kamon refuses a second reporter under a name already registered (it hands back a no-op
   * registration and that server's {@code /metrics} stays empty), so every server of this JVM
   * registers under its own name.
   */
  private static final AtomicLong SERVERS = new AtomicLong();

  private final ServerBinding binding;
  private final String url;
  private final kamon.module.Module.Registration prometheus;

  private MonitorServer(
      ServerBinding binding, String url, kamon.module.Module.Registration prometheus) {
    this.binding = binding;
    this.url = url;
    this.prometheus = prometheus;
  }

  /** Binds; completes with the server, or with the error when even a free port failed. */
  static CompletionStage<MonitorServer> start(
      ActorSystem<?> system, ActorRef<Monitor.Command> monitor, MonitorSettings s) {
    PrometheusReporter reporter =
        new PrometheusReporter(PrometheusReporter.DefaultConfigPath(), Kamon.config());
    var registration =
        Kamon.addReporter("r3-monitor-prometheus-" + SERVERS.incrementAndGet(), reporter);
    Route route = new Routes(system, monitor, s, reporter).all();
    Http http = Http.get(system);
    return http.newServerAt(s.host(), s.port())
        .bind(route)
        .exceptionallyCompose(
            e -> {
              System.err.println(
                  "monitor: port "
                      + s.port()
                      + " is not free ("
                      + rootMessage(e)
                      + "); using a free one");
              return http.newServerAt(s.host(), 0).bind(route);
            })
        .thenApply(b -> new MonitorServer(b, url(b.localAddress(), s), registration))
        .whenComplete(
            (srv, e) -> {
              if (e != null) {
                registration.cancel();
              }
            });
  }

  private static String url(InetSocketAddress a, MonitorSettings s) {
    String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getHostString();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + a.getPort() + "/";
  }

  private static String rootMessage(Throwable e) {
    while (e.getCause() != null) {
      e = e.getCause();
    }
    return e.getMessage();
  }

  public String url() {
    return url;
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  void stop() {
    prometheus.cancel();
    binding.unbind();
  }

  /** The route table. */
  private static final class Routes {
    private final ActorSystem<?> system;
    private final ActorRef<Monitor.Command> monitor;
    private final MonitorSettings settings;
    private final PrometheusReporter reporter;

    Routes(
        ActorSystem<?> system,
        ActorRef<Monitor.Command> monitor,
        MonitorSettings settings,
        PrometheusReporter reporter) {
      this.system = system;
      this.monitor = monitor;
      this.settings = settings;
      this.reporter = reporter;
    }

    Route all() {
      return get(
          () ->
              authorized(
                  () ->
                      concat(
                          pathSingleSlash(() -> getFromResource("monitor/index.html")),
                          path("monitor.js", () -> getFromResource("monitor/monitor.js")),
                          path("monitor.css", () -> getFromResource("monitor/monitor.css")),
                          path(
                              "uPlot.min.js",
                              () -> getFromResource(UPLOT + "dist/uPlot.iife.min.js")),
                          path(
                              "uPlot.min.css", () -> getFromResource(UPLOT + "dist/uPlot.min.css")),
                          path("uPlot.LICENSE", () -> getFromResource(UPLOT + "LICENSE")),
                          path("metrics", this::prometheus),
                          pathPrefix(
                              "api",
                              () ->
                                  concat(
                                      path("state", () -> onSuccess(state(), this::json)),
                                      path("metrics", this::metrics),
                                      path("events", this::events))))));
    }

    /** A set token is required from every request: bearer header or {@code token} parameter. */
    private Route authorized(java.util.function.Supplier<Route> inner) {
      if (!settings.tokenRequired()) {
        return inner.get();
      }
      return optionalHeaderValueByName(
          "Authorization",
          header ->
              parameterOptional(
                  "token",
                  param -> {
                    String given =
                        header
                            .filter(h -> h.startsWith("Bearer "))
                            .map(h -> h.substring("Bearer ".length()).trim())
                            .or(() -> param)
                            .orElse("");
                    if (MessageDigest.isEqual(
                        given.getBytes(StandardCharsets.UTF_8),
                        settings.token().getBytes(StandardCharsets.UTF_8))) {
                      return inner.get();
                    }
                    return complete(
                        StatusCodes.UNAUTHORIZED,
                        "this monitor needs its token (r3.monitor.token): Authorization: Bearer"
                            + " TOKEN, or ?token=TOKEN\n");
                  }));
    }

    private Route json(String body) {
      return complete(HttpEntities.create(ContentTypes.APPLICATION_JSON, body));
    }

    private Route metrics() {
      return parameterOptional(
          "since",
          since -> {
            long from;
            try {
              from = since.map(Long::parseLong).orElse(0L);
            } catch (NumberFormatException e) {
              return complete(
                  StatusCodes.BAD_REQUEST,
                  "since must be a step number (an integer), got " + since.get() + "\n");
            }
            return onSuccess(metricsAfter(from, PAGE_ROWS), this::json);
          });
    }

    private Route prometheus() {
      return complete(
          HttpEntities.create(
              ContentTypes.create(
                  org.apache.pekko.http.javadsl.model.MediaTypes.TEXT_PLAIN,
                  org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8),
              reporter.scrapeData()));
    }

    /** Every half second: the state, and the rows not yet sent on this stream. */
    private Route events() {
      AtomicLong sent = new AtomicLong(0);
      Source<ServerSentEvent, NotUsed> stream =
          Source.tick(Duration.ZERO, PUSH_EVERY, "tick")
              .mapAsync(
                  1,
                  t ->
                      state()
                          .thenCombine(
                              metricsAfter(sent.get(), PAGE_ROWS),
                              (state, rows) -> List.of(state, rows)))
              .mapConcat(
                  pair -> {
                    String rows = pair.get(1);
                    var o = com.google.gson.JsonParser.parseString(rows).getAsJsonObject();
                    sent.set(o.get("last_step").getAsLong());
                    return o.getAsJsonArray("rows").isEmpty()
                        ? List.of(ServerSentEvent.create(pair.get(0), "state"))
                        : List.of(
                            ServerSentEvent.create(rows, "metrics"),
                            ServerSentEvent.create(pair.get(0), "state"));
                  })
              .keepAlive(Duration.ofSeconds(10), ServerSentEvent::heartbeat)
              .mapMaterializedValue(c -> NotUsed.getInstance());
      return completeOK(stream, EventStreamMarshalling.toEventStream());
    }

    private CompletionStage<String> state() {
      return AskPattern.ask(monitor, Monitor.GetState::new, ASK, system.scheduler());
    }

    private CompletionStage<String> metricsAfter(long since, int limit) {
      return AskPattern.ask(
          monitor, r -> new Monitor.GetMetrics(since, limit, r), ASK, system.scheduler());
    }
  }
}
