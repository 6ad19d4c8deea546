package dev.r3.sweep;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.r3.actors.config.ConfigReader;
import dev.r3.actors.config.UnknownKeys;
import dev.r3.model.MismatchMeasures.RoutingPositions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a sweep file ({@code sweep { ... }}) over the {@code sweep} block of reference.conf, where
 * every key and its default is documented; keys it does not define are refused with the closest
 * one. {@link SweepSpec} holds the result and expands it into cells.
 */
final class SweepFile {
  private SweepFile() {}

  private static final List<String> SLICE_KEYS = List.of("name", "vary", "values", "set");

  static SweepSpec load(Path file) {
    return parse(ConfigReader.parseFile(file, "sweep"));
  }

  static SweepSpec parse(String hocon) {
    return parse(ConfigReader.parseString(hocon, "sweep"));
  }

  static SweepSpec parse(Config root) {
    ConfigReader r = ConfigReader.section(root, "sweep", "sweep.env-params", "sweep.axes");
    String name = r.word("sweep.name");
    String env = r.nonEmpty("sweep.env");
    Map<String, String> envParams = new TreeMap<>(r.stringMap("sweep.env-params"));
    String description = r.string("sweep.description");
    long seed = r.longValue("sweep.seed");
    double temperature = r.positive("sweep.temperature");
    int responses = r.atLeast("sweep.responses", 1);
    int batchSize = r.atLeast("sweep.batch-size", 1);
    RoutingPositions positions = r.enumValue("sweep.routing-positions", RoutingPositions.class);

    SweepSpec.ModelShape shape =
        new SweepSpec.ModelShape(
            r.atLeast("sweep.model.hidden-size", 1),
            r.atLeast("sweep.model.heads", 1),
            r.atLeast("sweep.model.kv-heads", 1),
            r.atLeast("sweep.model.head-dim", 2),
            r.atLeast("sweep.model.expert-size", 1),
            r.atLeast("sweep.model.max-positions", 8));
    if (shape.heads() % shape.kvHeads() != 0) {
      throw new SweepConfigException(
          "sweep.model.kv-heads",
          "must divide heads (" + shape.heads() + "), got " + shape.kvHeads());
    }
    if (shape.headDim() % 2 != 0) {
      throw new SweepConfigException(
          "sweep.model.head-dim", "must be even (RoPE), got " + shape.headDim());
    }
    SweepSpec.WarmUp warm =
        new SweepSpec.WarmUp(
            r.atLeast("sweep.warm-up.batch-size", 1),
            r.atLeast("sweep.warm-up.corpus-size", 1),
            r.positive("sweep.warm-up.lr"),
            r.string("sweep.warm-up.cache-dir"));

    Map<Axis, Object> dmap = new EnumMap<>(Axis.class);
    for (Axis a : Axis.values()) {
      String key = "sweep.defaults." + a.configKey();
      dmap.put(a, a.parse(r.value(key), key));
    }
    Point defaults = Point.of(dmap);

    Map<Axis, List<Object>> axes = new EnumMap<>(Axis.class);
    for (var e : r.object("sweep.axes").entrySet()) {
      Axis a = Axis.of(e.getKey(), "sweep.axes." + e.getKey());
      axes.put(a, valueList(a, e.getValue(), "sweep.axes." + a.configKey()));
    }

    SweepSpec.Grid grid = r.enumValue("sweep.grid", SweepSpec.Grid.class);
    ConfigList sliceList = r.list("sweep.slices");
    List<SweepSpec.Slice> slices = new ArrayList<>();
    if (grid == SweepSpec.Grid.PRODUCT) {
      if (!sliceList.isEmpty()) {
        throw new SweepConfigException(
            "sweep.slices", "only used with grid = slices (grid is product)");
      }
      if (axes.isEmpty()) {
        throw new SweepConfigException("sweep.axes", "grid = product needs at least one axis list");
      }
      List<Axis> vary = new ArrayList<>();
      Point base = defaults;
      for (var e : axes.entrySet()) {
        if (e.getValue().size() > 1) {
          vary.add(e.getKey());
        } else {
          base = base.with(e.getKey(), e.getValue().get(0));
        }
      }
      slices.add(new SweepSpec.Slice("product", vary, axes, base));
    } else {
      if (sliceList.isEmpty()) {
        throw new SweepConfigException(
            "sweep.slices",
            "missing: grid = slices needs a non-empty list of { name, vary } objects");
      }
      Set<String> names = new LinkedHashSet<>();
      for (int i = 0; i < sliceList.size(); i++) {
        String where = "sweep.slices[" + i + "]";
        if (sliceList.get(i).valueType() != ConfigValueType.OBJECT) {
          throw new SweepConfigException(where, "must be an object { name = ..., vary = [...] }");
        }
        ConfigObject o = (ConfigObject) sliceList.get(i);
        SweepSpec.Slice s = slice(r.child(o, where), o, where, defaults, axes);
        if (!names.add(s.name())) {
          throw new SweepConfigException(
              where + ".name", "duplicate slice name '" + s.name() + "'");
        }
        slices.add(s);
      }
    }

    SweepSpec spec =
        new SweepSpec(
            name,
            description,
            env,
            envParams,
            seed,
            (float) temperature,
            responses,
            batchSize,
            positions,
            shape,
            warm,
            defaults,
            axes,
            grid,
            List.copyOf(slices));
    spec.checkCells();
    return spec;
  }

  private static SweepSpec.Slice slice(
      ConfigReader s, ConfigObject o, String where, Point defaults, Map<Axis, List<Object>> axes) {
    UnknownKeys.refuseUnknown(o, where, SLICE_KEYS);
    String name = s.word("name");
    String at = where + " (" + name + ")";
    if (!s.has("vary")) {
      throw new SweepConfigException(at + ".vary", "missing: list the axes this slice varies");
    }
    List<Axis> vary = new ArrayList<>();
    ConfigValue vv = s.value("vary");
    if (vv.valueType() != ConfigValueType.LIST || ((ConfigList) vv).isEmpty()) {
      throw new SweepConfigException(
          at + ".vary", "must be a non-empty list of axis names (" + Axis.names() + ")");
    }
    for (ConfigValue v : (ConfigList) vv) {
      Axis a = Axis.of(String.valueOf(v.unwrapped()), at + ".vary");
      if (vary.contains(a)) {
        throw new SweepConfigException(at + ".vary", "axis '" + a.configKey() + "' listed twice");
      }
      vary.add(a);
    }
    Map<Axis, List<Object>> own = new EnumMap<>(Axis.class);
    if (s.has("values")) {
      for (var e : s.object("values").entrySet()) {
        Axis a = Axis.of(e.getKey(), at + ".values." + e.getKey());
        if (!vary.contains(a)) {
          throw new SweepConfigException(
              at + ".values." + a.configKey(), "axis is not in this slice's vary list");
        }
        own.put(a, valueList(a, e.getValue(), at + ".values." + a.configKey()));
      }
    }
    Map<Axis, List<Object>> values = new EnumMap<>(Axis.class);
    for (Axis a : vary) {
      List<Object> l = own.containsKey(a) ? own.get(a) : axes.get(a);
      if (l == null) {
        throw new SweepConfigException(
            at + ".vary",
            "axis '"
                + a.configKey()
                + "' has no values: add sweep.axes."
                + a.configKey()
                + " or "
                + where
                + ".values."
                + a.configKey());
      }
      values.put(a, l);
    }
    Point base = defaults;
    if (s.has("set")) {
      for (var e : s.object("set").entrySet()) {
        Axis a = Axis.of(e.getKey(), at + ".set." + e.getKey());
        if (vary.contains(a)) {
          throw new SweepConfigException(
              at + ".set." + a.configKey(), "axis is varied by this slice; it cannot also be set");
        }
        base = base.with(a, a.parse(e.getValue(), at + ".set." + a.configKey()));
      }
    }
    return new SweepSpec.Slice(name, List.copyOf(vary), values, base);
  }

  /** An axis value list (a single value counts as a list of one); duplicates refused. */
  private static List<Object> valueList(Axis a, ConfigValue v, String where) {
    List<Object> out = new ArrayList<>();
    if (v.valueType() != ConfigValueType.LIST) {
      out.add(a.parse(v, where));
      return out;
    }
    ConfigList l = (ConfigList) v;
    if (l.isEmpty()) {
      throw new SweepConfigException(where, "empty list");
    }
    for (int i = 0; i < l.size(); i++) {
      Object o = a.parse(l.get(i), where + "[" + i + "]");
      if (out.contains(o)) {
        throw new SweepConfigException(where + "[" + i + "]", "duplicate value " + a.format(o));
      }
      out.add(o);
    }
    return out;
  }
}
