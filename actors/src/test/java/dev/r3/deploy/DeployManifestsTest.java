package dev.r3.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.r3.actors.cluster.ClusterConfig;
import dev.r3.actors.cluster.NodeManagement;
import dev.r3.actors.config.ConfigLoader;
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
 * selectors, ports against reference.conf, the learner's address as the rollout nodes join it (or
 * the cluster bootstrap every k8s pod runs: the discovery's label selector, the management port and
 * its probe paths, the RBAC that lets the pods list pods), and every setting a manifest or the
 * entry point passes is a key reference.conf defines.
 */
class DeployManifestsTest {
  private static final Path DEPLOY = Path.of("..", "deploy");
  private static final Config REFERENCE = ConfigFactory.defaultReference();
  private static final int PORT = REFERENCE.getInt("r3.cluster.port");
  private static final Config PEKKO = REFERENCE.getConfig("r3-cluster-pekko.pekko");

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

  /**
   * The settings a workload's container passes in R3_SET, as the node reads them: each key checked
   * by the loader ./r3 uses, the bootstrap settings by {@link NodeManagement}.
   */
  private static Config settings(Map<String, Object> workload) {
    List<String> sets = new ArrayList<>();
    for (String kv : env(workload).getOrDefault("R3_SET", "").split("\\s+")) {
      if (!kv.isBlank()) {
        sets.add(kv);
      }
    }
    return ConfigLoader.overrides(sets).withFallback(REFERENCE).resolve();
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
    assertThat(ports)
        .anySatisfy(
            p ->
                assertThat(p)
                    .containsEntry("containerPort", PORT)
                    .containsEntry("name", "remoting"));

    // Pekko Management: the port the node binds is the container port named "management" (the
    // name Kubernetes API discovery looks the contact points up by), and the probes ask its checks.
    NodeManagement management = NodeManagement.of(settings(w));
    assertThat(management.enabled()).as("r3.cluster.management.enabled of %s", role).isTrue();
    assertThat(ports)
        .as("the management container port of %s", role)
        .anySatisfy(
            p ->
                assertThat(p)
                    .containsEntry("name", "management")
                    .containsEntry("containerPort", management.port()));
    Map<String, String> probes =
        Map.of(
            "readinessProbe", PEKKO.getString("management.health-checks.readiness-path"),
            "livenessProbe", PEKKO.getString("management.health-checks.liveness-path"));
    probes.forEach(
        (probe, path) -> {
          assertThat((Object) at(c, probe, "httpGet", "port")).as(probe).isEqualTo("management");
          assertThat((Object) at(c, probe, "httpGet", "path")).as(probe).isEqualTo("/" + path);
          // a probe waits longer than a check may take
          assertThat((Integer) at(c, probe, "timeoutSeconds"))
              .as(probe)
              .isGreaterThan(
                  (int) PEKKO.getDuration("management.health-checks.check-timeout").toSeconds());
        });

    // Cluster bootstrap with Kubernetes API discovery: these pods are the ones it lists.
    assertThat(management.method())
        .as("r3.cluster.bootstrap.method of %s", role)
        .isEqualTo("kubernetes-api");
    String selectorFormat = PEKKO.getString("discovery.kubernetes-api.pod-label-selector");
    String[] label = String.format(selectorFormat, management.serviceName()).split("=", 2);
    assertThat(labels).as("pods found by %s", selectorFormat).containsEntry(label[0], label[1]);
    // Each node advertises (and is looked up at) its pod IP; nothing names a seed.
    assertThat(env).containsEntry("R3_HOSTNAME", "<from>").doesNotContainKey("R3_JOIN");
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
    int replicas = (Integer) at(rollout, "spec", "replicas");
    assertThat(Integer.parseInt(env(learner).get("R3_MIN_ROLLOUT_NODES")))
        .isLessThanOrEqualTo(replicas);
    // Every node bootstraps alike (one service, one management port), and the contact points it
    // waits for exist: the learner and the rollout replicas.
    NodeManagement l = NodeManagement.of(settings(learner));
    NodeManagement r = NodeManagement.of(settings(rollout));
    assertThat(r.serviceName()).isEqualTo(l.serviceName());
    assertThat(r.port()).isEqualTo(l.port());
    assertThat(l.requiredContactPoints()).isLessThanOrEqualTo(1 + replicas);
    assertThat(r.requiredContactPoints()).isEqualTo(l.requiredContactPoints());
  }

  @Test
  @SuppressWarnings("unchecked")
  void k8s_podsRunAsAServiceAccountThatMayListPods() throws Exception {
    List<Map<String, Object>> docs = k8s();
    for (String[] w :
        List.of(
            new String[] {"StatefulSet", "r3-learner"},
            new String[] {"Deployment", "r3-rollout"})) {
      String account = at(find(docs, w[0], w[1]), "spec", "template", "spec", "serviceAccountName");
      assertThat(account).as("serviceAccountName of %s", w[1]).isNotNull();
      find(docs, "ServiceAccount", account);
      Map<String, Object> binding =
          docs.stream()
              .filter(d -> "RoleBinding".equals(d.get("kind")))
              .filter(
                  d ->
                      ((List<Map<String, Object>>) at(d, "subjects"))
                          .stream()
                              .anyMatch(
                                  s ->
                                      "ServiceAccount".equals(s.get("kind"))
                                          && account.equals(s.get("name"))))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no RoleBinding for " + account));
      String roleName = at(binding, "roleRef", "name");
      List<Map<String, Object>> rules = at(find(docs, "Role", roleName), "rules");
      assertThat(rules)
          .as("rules of Role %s", roleName)
          .anySatisfy(
              rule -> {
                assertThat((List<String>) rule.get("resources")).contains("pods");
                assertThat((List<String>) rule.get("verbs")).contains("get", "list", "watch");
                assertThat((List<String>) rule.get("apiGroups")).contains("");
              });
    }
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
  void imageScript_buildsTheImageTheManifestsRun_withTheEntryPoint() throws Exception {
    String script = Files.readString(DEPLOY.resolve("build-image.sh"));
    Matcher tag = Pattern.compile("TAG=\"\\$\\{R3_IMAGE:-([^}]+)}\"").matcher(script);
    assertThat(tag.find()).as("the image tag in build-image.sh").isTrue();
    for (Map<String, Object> w : k8s()) {
      if (List.of("StatefulSet", "Deployment").contains(w.get("kind"))) {
        List<Map<String, Object>> containers = at(w, "spec", "template", "spec", "containers");
        assertThat(containers.get(0)).containsEntry("image", tag.group(1));
      }
    }
    Map<String, Object> compose = documents(DEPLOY.resolve("compose.yaml")).get(0);
    assertThat((Object) at(compose, "x-r3", "image")).isEqualTo(tag.group(1));
    String entry = "ENTRYPOINT [\"/opt/r3/deploy/entrypoint.sh\"]";
    assertThat(script).contains(entry).contains("deploy/entrypoint.sh \\");
    assertThat(Files.readString(DEPLOY.resolve("Dockerfile"))).contains(entry);
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
    int d = 0;
    while (props.find()) {
      d++;
      // A pekko key laid over the cluster settings must be one pekko knows.
      assertThat(ConfigFactory.load().hasPath(props.group(2))).as(props.group(2)).isTrue();
    }
    assertThat(d).as("-D settings in the entry point").isEqualTo(2);
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
