package dev.r3.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/**
 * Reads a running monitor's JSON API ({@code /api/state}, {@code /api/metrics?since=STEP}) for
 * {@code ./r3 top}. Every failure is an {@link IllegalStateException} that says what is wrong in
 * words: nothing listening at the URL, a token required or refused, not an R3 monitor.
 */
final class MonitorClient {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final URI base;
  private final String token;
  private final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(TIMEOUT)
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  /**
   * @param url the monitor's URL as {@code ./r3 train} prints it ({@code http://127.0.0.1:8265/})
   * @param token bearer token; empty for none
   */
  MonitorClient(String url, String token) {
    String u = url.contains("://") ? url : "http://" + url;
    int q = u.indexOf('?');
    if (q >= 0) {
      u = u.substring(0, q); // the printed URL may end in ?token=TOKEN
    }
    try {
      this.base = URI.create(u.endsWith("/") ? u : u + "/");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--url " + url + " is not a URL: " + e.getMessage(), e);
    }
    if (!"http".equals(base.getScheme()) || base.getHost() == null) {
      throw new IllegalArgumentException(
          "--url " + url + " is not an http://HOST:PORT/ address of a monitor");
    }
    this.token = token == null ? "" : token;
  }

  String url() {
    return base.toString();
  }

  JsonObject state() {
    return get("api/state");
  }

  /** The per-step rows after {@code since} and every evaluation. */
  JsonObject metricsSince(long since) {
    return get("api/metrics?since=" + since);
  }

  private JsonObject get(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT);
    if (!token.isEmpty()) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new IllegalStateException(
          "nothing is listening at "
              + base
              + " (is a run going? ./r3 train prints its monitor URL; pass it with --url or --port)");
    } catch (HttpTimeoutException e) {
      throw new IllegalStateException("the monitor at " + base + " did not answer within 5 s");
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the monitor at " + base + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
    if (r.statusCode() == 401) {
      throw new IllegalStateException(
          token.isEmpty()
              ? "the monitor at "
                  + base
                  + " needs its token (r3.monitor.token): pass --token"
                  + " or set R3_MONITOR_TOKEN"
              : "the monitor at " + base + " refused the token given");
    }
    if (r.statusCode() != 200) {
      throw new IllegalStateException(
          "the monitor at "
              + base
              + path
              + " answered HTTP "
              + r.statusCode()
              + " (an R3 monitor?)");
    }
    try {
      return JsonParser.parseString(r.body()).getAsJsonObject();
    } catch (JsonParseException | IllegalStateException e) {
      throw new IllegalStateException(
          base + path + " did not answer JSON: is this an R3 monitor (./r3 train)?");
    }
  }
}
