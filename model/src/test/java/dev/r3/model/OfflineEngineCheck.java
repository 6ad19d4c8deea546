package dev.r3.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.Utils;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import org.slf4j.LoggerFactory;

/**
 * Run in a fresh JVM by {@link DjlOfflineTest}: installs network guards, loads the DJL PyTorch
 * engine, and prints what happened as {@code R3CHECK key=value} lines.
 *
 * <p>The guards sit below every way DJL could download libtorch or its JNI library:
 *
 * <ul>
 *   <li>a {@link java.net.URLStreamHandlerFactory} for http and https: DJL's downloader builds a
 *       {@code URL} ({@code ai.djl.util.Utils.openUrl(String)}) and calls {@code openStream}/
 *       {@code openConnection} on it; the handler records every http(s) URL <em>parsed</em> (so
 *       even the offline-mode refusal inside {@code openUrl}, which happens after the URL is built,
 *       is seen) and refuses every connection;
 *   <li>a {@link ProxySelector} that records and refuses every request of the other HTTP stacks
 *       ({@code HttpURLConnection} made with an explicit handler, {@code
 *       java.net.http.HttpClient}).
 * </ul>
 *
 * A control phase after the engine has loaded turns offline mode off and calls DJL's own {@code
 * Utils.openUrl} on the real libtorch index URL, and an {@code HttpClient} request, proving that
 * the guards do catch those paths (a guard that never fires would make the test meaningless).
 */
final class OfflineEngineCheck {
  static final List<String> URL_EVENTS = Collections.synchronizedList(new ArrayList<>());
  static final List<String> PROXY_EVENTS = Collections.synchronizedList(new ArrayList<>());

  private OfflineEngineCheck() {}

  /** Records every http(s) URL parsed and refuses every connection. */
  static final class RefusingHandler extends URLStreamHandler {
    private final int defaultPort;

    RefusingHandler(int defaultPort) {
      this.defaultPort = defaultPort;
    }

    @Override
    protected void parseURL(URL u, String spec, int start, int limit) {
      URL_EVENTS.add("parse " + spec);
      super.parseURL(u, spec, start, limit);
    }

    @Override
    protected URLConnection openConnection(URL u) throws IOException {
      URL_EVENTS.add("connect " + u);
      throw new IOException("R3 offline guard refused " + u);
    }

    @Override
    protected URLConnection openConnection(URL u, Proxy p) throws IOException {
      return openConnection(u);
    }

    @Override
    protected int getDefaultPort() {
      return defaultPort;
    }
  }

  static final class RefusingSelector extends ProxySelector {
    @Override
    public List<Proxy> select(URI uri) {
      PROXY_EVENTS.add("select " + uri);
      throw new IllegalStateException("R3 offline guard refused " + uri);
    }

    @Override
    public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
      PROXY_EVENTS.add("failed " + uri);
    }
  }

  private static void report(String key, Object value) {
    System.out.println("R3CHECK " + key + "=" + String.valueOf(value).replace('\n', ' '));
  }

  public static void main(String[] args) throws Exception {
    URL.setURLStreamHandlerFactory(
        protocol ->
            switch (protocol.toLowerCase()) {
              case "http" -> new RefusingHandler(80);
              case "https" -> new RefusingHandler(443);
              default -> null;
            });
    ProxySelector.setDefault(new RefusingSelector());

    ch.qos.logback.classic.Logger libUtils =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("ai.djl.pytorch.jni.LibUtils");
    libUtils.setLevel(Level.DEBUG); // "Found bundled PyTorch package" is logged at debug
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    libUtils.addAppender(log);

    report("offlineProperty", System.getProperty("ai.djl.offline"));
    report("offlineMode", Utils.isOfflineMode());
    URL props =
        OfflineEngineCheck.class.getClassLoader().getResource("native/lib/pytorch.properties");
    report("bundledJar", props);
    if (props != null) {
      Properties p = new Properties();
      try (var in = props.openStream()) {
        p.load(in);
      }
      report(
          "bundledVersion",
          p.getProperty("version")
              + "-"
              + p.getProperty("flavor")
              + "-"
              + p.getProperty("classifier"));
    }

    // ---- the engine load, guarded ----
    boolean loaded = false;
    try {
      Engine engine = Engine.getInstance();
      float sum;
      try (NDManager m = NDManager.newBaseManager()) {
        sum = m.ones(new Shape(2, 2)).sum().getFloat();
      }
      report("engine", engine.getEngineName() + " " + engine.getVersion());
      report("sum", sum);
      loaded = true;
    } catch (Throwable t) { // an EngineException, or an Error from a failed native load
      report("engineError", t);
    }
    report("loadUrlEvents", String.join(" | ", URL_EVENTS));
    report("loadProxyEvents", String.join(" | ", PROXY_EVENTS));
    for (ILoggingEvent e : log.list) {
      report("log", e.getFormattedMessage());
    }
    if (!loaded) {
      System.out.flush();
      return;
    }
    for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
      if (line.endsWith("/libtorch_cpu.so") || line.endsWith("libdjl_torch.so")) {
        report("mapped", line.substring(line.indexOf('/')));
      }
    }
    URL_EVENTS.clear();
    PROXY_EVENTS.clear();

    // ---- control: the guards catch DJL's download call and the other HTTP stack ----
    System.setProperty("ai.djl.offline", "false");
    try {
      Utils.openUrl("https://publish.djl.ai/pytorch/2.7.1/files.txt").close();
      report("controlOpenUrl", "OPENED");
    } catch (IOException e) {
      report("controlOpenUrl", "refused: " + e.getMessage());
    }
    try {
      HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("https://publish.djl.ai/"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      report("controlHttpClient", "OPENED");
    } catch (IOException | RuntimeException e) {
      report("controlHttpClient", "refused: " + e);
    }
    report("controlUrlEvents", String.join(" | ", URL_EVENTS));
    report("controlProxyEvents", String.join(" | ", PROXY_EVENTS));
    System.setProperty("ai.djl.offline", "true");
    System.out.flush();
  }
}
