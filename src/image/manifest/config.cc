// Image configs (OCI image-spec config.md; Docker's image JSON shares the layout and the
// Go field names inside "config") and chain IDs (OCI config.md "Layer ChainID").
#include "image/manifest/fields.h"
#include "image/manifest/manifest.h"

namespace berth::image::manifest {
using fields::join;

static Result<HealthConfig> parse_health(const Json& j, const std::string& f) {
    if (!j.is_object()) return fields::type_error(f, "object", j);
    HealthConfig h;
    h.test = BERTH_TRY(fields::opt_strings(j, "Test", f)).value_or(std::vector<std::string>{});
    auto duration = [&](std::string_view key, int64_t& out) -> Result<> {
        auto v = BERTH_TRY(fields::opt_int(j, key, f));
        if (v && *v < 0) return Error::invalid(join(f, key) + ": must not be negative");
        out = v.value_or(0);
        return ok();
    };
    BERTH_TRY(duration("Interval", h.interval));
    BERTH_TRY(duration("Timeout", h.timeout));
    BERTH_TRY(duration("StartPeriod", h.start_period));
    BERTH_TRY(duration("StartInterval", h.start_interval));
    auto retries = BERTH_TRY(fields::opt_int(j, "Retries", f));
    if (retries && (*retries < 0 || *retries > 1000000))
        return Error::invalid(join(f, "Retries") + ": out of range");
    h.retries = static_cast<int>(retries.value_or(0));
    return h;
}

static Result<ContainerConfig> parse_container_config(const Json& j, const std::string& f) {
    if (!j.is_object()) return fields::type_error(f, "object", j);
    ContainerConfig c;
    c.user = BERTH_TRY(fields::opt_string(j, "User", f)).value_or("");
    c.exposed_ports = BERTH_TRY(fields::opt_key_set(j, "ExposedPorts", f));
    c.env = BERTH_TRY(fields::opt_strings(j, "Env", f)).value_or(std::vector<std::string>{});
    c.entrypoint = BERTH_TRY(fields::opt_strings(j, "Entrypoint", f));
    c.cmd = BERTH_TRY(fields::opt_strings(j, "Cmd", f));
    c.volumes = BERTH_TRY(fields::opt_key_set(j, "Volumes", f));
    c.working_dir = BERTH_TRY(fields::opt_string(j, "WorkingDir", f)).value_or("");
    c.labels = BERTH_TRY(fields::opt_string_map(j, "Labels", f));
    c.stop_signal = BERTH_TRY(fields::opt_string(j, "StopSignal", f)).value_or("");
    auto stop_timeout = BERTH_TRY(fields::opt_int(j, "StopTimeout", f));
    if (stop_timeout) {
        if (*stop_timeout < -1 || *stop_timeout > 1000000000)
            return Error::invalid(join(f, "StopTimeout") + ": out of range");
        c.stop_timeout = static_cast<int>(*stop_timeout);
    }
    c.args_escaped = BERTH_TRY(fields::opt_bool(j, "ArgsEscaped", f)).value_or(false);
    if (const Json* h = fields::member(j, "Healthcheck"))
        c.healthcheck = BERTH_TRY(parse_health(*h, join(f, "Healthcheck")));
    c.on_build = BERTH_TRY(fields::opt_strings(j, "OnBuild", f)).value_or(std::vector<std::string>{});
    c.shell = BERTH_TRY(fields::opt_strings(j, "Shell", f)).value_or(std::vector<std::string>{});
    for (size_t i = 0; i < c.env.size(); ++i) {
        if (c.env[i].empty() || c.env[i][0] == '=')
            return Error::invalid(join(f, "Env") + "[" + std::to_string(i) + "]: invalid \"" + c.env[i] +
                                  "\"");
    }
    return c;
}

static Result<std::vector<History>> parse_history(const Json& j) {
    std::vector<History> out;
    const Json* v = fields::member(j, "history");
    if (!v) return out;
    if (!v->is_array()) return fields::type_error("history", "array", *v);
    for (size_t i = 0; i < v->size(); ++i) {
        std::string f = "history[" + std::to_string(i) + "]";
        const Json& e = (*v)[i];
        if (!e.is_object()) return fields::type_error(f, "object", e);
        History h;
        h.created = BERTH_TRY(fields::opt_string(e, "created", f)).value_or("");
        h.created_by = BERTH_TRY(fields::opt_string(e, "created_by", f)).value_or("");
        h.author = BERTH_TRY(fields::opt_string(e, "author", f)).value_or("");
        h.comment = BERTH_TRY(fields::opt_string(e, "comment", f)).value_or("");
        h.empty_layer = BERTH_TRY(fields::opt_bool(e, "empty_layer", f)).value_or(false);
        out.push_back(std::move(h));
    }
    return out;
}

static Result<RootFs> parse_rootfs(const Json& j) {
    const Json* v = fields::member(j, "rootfs");
    if (!v) return fields::required("rootfs");
    if (!v->is_object()) return fields::type_error("rootfs", "object", *v);
    RootFs r;
    r.type = BERTH_TRY(fields::req_string(*v, "type", "rootfs"));
    if (r.type != "layers") return Error::invalid("rootfs.type: must be \"layers\", got \"" + r.type + "\"");
    const Json* ids = fields::member(*v, "diff_ids");
    if (!ids) return fields::required("rootfs.diff_ids");
    if (!ids->is_array()) return fields::type_error("rootfs.diff_ids", "array", *ids);
    for (size_t i = 0; i < ids->size(); ++i) {
        std::string f = "rootfs.diff_ids[" + std::to_string(i) + "]";
        if (!(*ids)[i].is_string()) return fields::type_error(f, "string", (*ids)[i]);
        auto d = content::Digest::parse((*ids)[i].get<std::string>());
        if (!d) return Error::invalid(f + ": " + d.error().message());
        r.diff_ids.push_back(*d);
    }
    return r;
}

static Result<ImageConfig> parse_config_doc(std::string_view bytes) {
    auto j = BERTH_TRY(fields::parse_object(bytes, kMaxConfigSize, "config"));
    ImageConfig c;
    c.created = BERTH_TRY(fields::opt_string(j, "created", "")).value_or("");
    c.author = BERTH_TRY(fields::opt_string(j, "author", "")).value_or("");
    c.architecture = BERTH_TRY(fields::req_string(j, "architecture", ""));
    c.os = BERTH_TRY(fields::req_string(j, "os", ""));
    if (c.architecture.empty()) return Error::invalid("architecture: must not be empty");
    if (c.os.empty()) return Error::invalid("os: must not be empty");
    c.os_version = BERTH_TRY(fields::opt_string(j, "os.version", "")).value_or("");
    c.os_features = BERTH_TRY(fields::opt_strings(j, "os.features", "")).value_or(std::vector<std::string>{});
    c.variant = BERTH_TRY(fields::opt_string(j, "variant", "")).value_or("");
    if (const Json* cc = fields::member(j, "config"))
        c.config = BERTH_TRY(parse_container_config(*cc, "config"));
    c.rootfs = BERTH_TRY(parse_rootfs(j));
    c.history = BERTH_TRY(parse_history(j));
    size_t non_empty = 0;
    for (const auto& h : c.history) non_empty += h.empty_layer ? 0 : 1;
    // As moby's image store: fewer history entries than layers is tolerated (some tools omit
    // them), more non-empty entries than layers is not.
    if (non_empty > c.rootfs.diff_ids.size()) {
        return Error::invalid("history: too many non-empty layers in History section (" +
                              std::to_string(non_empty) + " for " + std::to_string(c.rootfs.diff_ids.size()) +
                              " layers in rootfs.diff_ids)");
    }
    return c;
}

Result<ImageConfig> parse_config(std::string_view bytes) {
    auto r = parse_config_doc(bytes);
    if (!r) return std::move(r.error()).with_context("invalid image config");
    return r;
}

Platform ImageConfig::platform() const {
    Platform p;
    p.architecture = architecture;
    p.os = os;
    p.os_version = os_version;
    p.os_features = os_features;
    p.variant = variant;
    return p;
}

static Json container_config_json(const ContainerConfig& c) {
    Json j = Json::object();
    auto key_set = [](const std::vector<std::string>& keys) {
        Json o = Json::object();
        for (const auto& k : keys) o[k] = Json::object();
        return o;
    };
    if (!c.user.empty()) j["User"] = c.user;
    if (!c.exposed_ports.empty()) j["ExposedPorts"] = key_set(c.exposed_ports);
    if (!c.env.empty()) j["Env"] = c.env;
    if (c.entrypoint) j["Entrypoint"] = *c.entrypoint;
    if (c.cmd) j["Cmd"] = *c.cmd;
    if (!c.volumes.empty()) j["Volumes"] = key_set(c.volumes);
    if (!c.working_dir.empty()) j["WorkingDir"] = c.working_dir;
    if (!c.labels.empty()) j["Labels"] = c.labels;
    if (!c.stop_signal.empty()) j["StopSignal"] = c.stop_signal;
    if (c.stop_timeout) j["StopTimeout"] = *c.stop_timeout;
    if (c.args_escaped) j["ArgsEscaped"] = true;
    if (c.healthcheck) {
        const HealthConfig& h = *c.healthcheck;
        Json hj = Json::object();
        if (!h.test.empty()) hj["Test"] = h.test;
        if (h.interval) hj["Interval"] = h.interval;
        if (h.timeout) hj["Timeout"] = h.timeout;
        if (h.start_period) hj["StartPeriod"] = h.start_period;
        if (h.start_interval) hj["StartInterval"] = h.start_interval;
        if (h.retries) hj["Retries"] = h.retries;
        j["Healthcheck"] = hj;
    }
    if (!c.on_build.empty()) j["OnBuild"] = c.on_build;
    if (!c.shell.empty()) j["Shell"] = c.shell;
    return j;
}

Json to_json(const ImageConfig& c) {
    Json j = Json::object();
    if (!c.created.empty()) j["created"] = c.created;
    if (!c.author.empty()) j["author"] = c.author;
    j["architecture"] = c.architecture;
    j["os"] = c.os;
    if (!c.os_version.empty()) j["os.version"] = c.os_version;
    if (!c.os_features.empty()) j["os.features"] = c.os_features;
    if (!c.variant.empty()) j["variant"] = c.variant;
    j["config"] = container_config_json(c.config);
    Json ids = Json::array();
    for (const auto& d : c.rootfs.diff_ids) ids.push_back(d.str());
    j["rootfs"] = {{"type", c.rootfs.type}, {"diff_ids", ids}};
    if (!c.history.empty()) {
        Json hs = Json::array();
        for (const auto& h : c.history) {
            Json hj = Json::object();
            if (!h.created.empty()) hj["created"] = h.created;
            if (!h.created_by.empty()) hj["created_by"] = h.created_by;
            if (!h.author.empty()) hj["author"] = h.author;
            if (!h.comment.empty()) hj["comment"] = h.comment;
            if (h.empty_layer) hj["empty_layer"] = true;
            hs.push_back(hj);
        }
        j["history"] = hs;
    }
    return j;
}

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids) {
    std::vector<Digest> out;
    out.reserve(diff_ids.size());
    for (const auto& d : diff_ids) {
        if (out.empty())
            out.push_back(d);
        else
            out.push_back(Digest::of(out.back().str() + " " + d.str()));
    }
    return out;
}

Digest chain_id(const std::vector<Digest>& diff_ids) {
    auto ids = chain_ids(diff_ids);
    return ids.empty() ? Digest() : ids.back();
}

}  // namespace berth::image::manifest
