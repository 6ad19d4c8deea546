package dev.r3.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.r3.actors.cluster.ClusterConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * Every file under deploy/ parses, and what it says agrees with the code: roles, labels and
 * selectors, ports against reference.conf, the learner's address as the rollout nodes join it, and
 * every setting a manifest or the entry point passes is a key reference.conf defines.
 */
class DeployManifestsTest {
  private static final Path DEPLOY = Path.of("..", "deploy");
  private static final Config REFERENCE = ConfigFactory.defaultReference();
  private static final int PORT = REFERENCE.getInt("r3.cluster.port");

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> documents(Path file) throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : new Yaml().loadAll(Files.readString(file))) {
      if (o != null) {
        out.add((Map<String, Object>) o);
      }
    }
    return out;
  }

  private static List<Map<String, Object>> k8s() throws IOException {
    List<Map<String, Object>> all = new ArrayList<>();
    try (Stream<Path> files = Files.list(DEPLOY.resolve("k8s"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        all.addAll(documents(f));
      }
    }
    return all;
  }

  @SuppressWarnings("unchecked")
  private static <T> T at(Object o, String... path) {
    Object x = o;
    for (String k : path) {
      assertThat(x).as("'%s' in %s", k, String.join(".", path)).isInstanceOf(Map.class);
      x = ((Map<String, Object>) x).get(k);
    }
    return (T) x;
  }

  private static Map<String, Object> find(
      List<Map<String, Object>> docs, String kind, String name) {
    return docs.stream()
        .filter(d -> kind.equals(d.get("kind")) && name.equals(at(d, "metadata", "name")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in deploy/k8s"));
  }

  /** The env of the first container, name to value (valueFrom entries as "<from>"). */
  private static Map<String, String> env(Map<String, Object> workload) {
    List<Map<String, Object>> containers = at(workload, "spec", "template", "spec", "containers");
    Map<String, String> env = new java.util.LinkedHashMap<>();
    for (Map<String, Object> e : (List<Map<String, Object>>) at(containers.get(0), "env")) {
      env.put((String) e.get("name"), e.containsKey("value") ? (String) e.get("value") : "<from>");
    }
    return env;
  }

  private static void checkWorkload(Map<String, Object> w, String role) {
    Map<String, Object> labels = at(w, "spec", "template", "metadata", "labels");
    Map<String, Object> selector = at(w, "spec", "selector", "matchLabels");
    assertThat(labels).as("pod labels of %s", role).containsAllEntriesOf(selector);
    assertThat(labels).containsEntry("app", "r3").containsEntry("role", role);
    Map<String, String> env = env(w);
    assertThat(env).containsEntry("R3_ROLE", role);
    assertThat(Integer.parseInt(env.get("R3_PORT"))).isEqualTo(PORT);
    List<Map<String, Object>> containers = at(w, "spec", "template", "spec", "containers");
    Map<String, Object> c = containers.get(0);
    List<Map<String, Object>> ports = at(c, "ports");
    assertThat(ports).anySatisfy(p -> assertThat(p).containsEntry("containerPort", PORT));
    String portName = (String) ports.get(0).get("name");
    for (String probe : List.of("readinessProbe", "livenessProbe")) {
      assertThat((Object) at(c, probe, "tcpSocket", "port")).as(probe).isEqualTo(portName);
    }
    for (String kv : env.getOrDefault("R3_SET", "").split("\\s+")) {
      if (!kv.isBlank()) {
        assertThat(REFERENCE.hasPath(kv.substring(0, kv.indexOf('='))))
            .as("R3_SET key %s is in reference.conf", kv)
            .isTrue();
      }
    }
  }

  @Test
  void k8s_learnerStatefulSetAndRolloutDeployment_agreeWithEachOtherAndTheCode() throws Exception {
    List<Map<String, Object>> docs = k8s();
    assertThat(docs).allSatisfy(d -> assertThat(d).containsKeys("apiVersion", "kind", "metadata"));
    Map<String, Object> service = find(docs, "Service", "r3-learner");
    Map<String, Object> learner = find(docs, "StatefulSet", "r3-learner");
    Map<String, Object> rollout = find(docs, "Deployment", "r3-rollout");
    checkWorkload(learner, ClusterConfig.LEARNER_ROLE);
    checkWorkload(rollout, ClusterConfig.ROLLOUT_ROLE);
    assertThat((Object) at(learner, "spec", "replicas")).isEqualTo(1);
    assertThat((Object) at(learner, "spec", "serviceName")).isEqualTo("r3-learner");
    assertThat((Object) at(service, "spec", "clusterIP")).isEqualTo("None");
    Map<String, Object> podLabels = at(learner, "spec", "template", "metadata", "labels");
    assertThat(podLabels).containsAllEntriesOf(at(service, "spec", "selector"));
    List<Map<String, Object>> servicePorts = at(service, "spec", "ports");
    assertThat(servicePorts).anySatisfy(p -> assertThat(p).containsEntry("port", PORT));
    // The learner advertises its stable DNS name; the rollout nodes join exactly that.
    String learnerName = "r3-learner-0.r3-learner";
    assertThat(env(learner)).containsEntry("R3_HOSTNAME", learnerName);
    assertThat(env(rollout)).containsEntry("R3_JOIN", learnerName + ":" + PORT);
    assertThat(Integer.parseInt(env(learner).get("R3_MIN_ROLLOUT_NODES")))
        .isLessThanOrEqualTo((Integer) at(rollout, "spec", "replicas"));
  }

  @Test
  void compose_learnerAndTwoRolloutNodes_joinTheLearnerByServiceName() throws Exception {
    Map<String, Object> compose = documents(DEPLOY.resolve("compose.yaml")).get(0);
    Map<String, Object> services = at(compose, "services");
    assertThat(services).containsKeys("learner", "rollout-1", "rollout-2");
    Map<String, Object> learnerEnv = at(services.get("learner"), "environment");
    assertThat(learnerEnv).containsEntry("R3_ROLE", ClusterConfig.LEARNER_ROLE);
    assertThat(learnerEnv).containsEntry("R3_HOSTNAME", "learner");
    assertThat(Integer.parseInt((String) learnerEnv.get("R3_PORT"))).isEqualTo(PORT);
    int rollouts = 0;
    for (var e : services.entrySet()) {
      Map<String, Object> env = at(e.getValue(), "environment");
      if (ClusterConfig.ROLLOUT_ROLE.equals(env.get("R3_ROLE"))) {
        rollouts++;
        assertThat(env).containsEntry("R3_JOIN", "learner:" + PORT);
        assertThat(env).containsEntry("R3_HOSTNAME", e.getKey());
      }
    }
    assertThat(rollouts)
        .isEqualTo(Integer.parseInt((String) learnerEnv.get("R3_MIN_ROLLOUT_NODES")));
  }

  @Test
  void entryPoint_setsOnlyKeysTheConfigDefines_andRunsCommandsThatExist() throws Exception {
    String script = Files.readString(DEPLOY.resolve("entrypoint.sh"));
    Matcher sets = Pattern.compile("--set \"(r3\\.[a-z.-]+)=").matcher(script);
    int n = 0;
    while (sets.find()) {
      n++;
      assertThat(REFERENCE.hasPath(sets.group(1))).as(sets.group(1)).isTrue();
    }
    assertThat(n).isPositive();
    Matcher props = Pattern.compile("-D(r3-cluster-pekko\\.)(pekko\\.[a-z.-]+)=").matcher(script);
    assertThat(props.find()).isTrue();
    // A pekko key laid over the cluster settings must be one pekko knows.
    assertThat(ConfigFactory.load().hasPath(props.group(2))).as(props.group(2)).isTrue();
    for (String command : List.of("train --cluster", "node --role rollout")) {
      assertThat(script).contains("./r3 " + command);
    }
    var cli = dev.r3.cli.R3.commandLine();
    assertThat(cli.getSubcommands()).containsKeys("train", "node", "cluster-local");
    assertThat(cli.getSubcommands().get("train").getCommandSpec().findOption("--cluster"))
        .isNotNull();
    assertThat(cli.getSubcommands().get("node").getCommandSpec().findOption("--hostname"))
        .isNotNull();
  }
}
