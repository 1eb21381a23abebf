// version, info, events, system df (and the `system` forms of info/events).
#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>

#include "cli/commands/context.h"
#include "cli/commands/humanize.h"
#include "cli/commands/rows.h"
#include "cli/format/template.h"
#include "common/version.h"
#include "image/reference/reference.h"

namespace berth::cli {
namespace {

// docker/cli's version template, rendered through a tabwriter (minwidth 20, padding 1).
constexpr const char* kVersionTemplate = R"({{with .Client -}}
Client:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 Version:	{{.Version}}
 API version:	{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Go version:	{{.GoVersion}}
 Git commit:	{{.GitCommit}}
 Built:	{{.BuildTime}}
 OS/Arch:	{{.Os}}/{{.Arch}}
 Context:	{{.Context}}
{{- end}}

{{- if .ServerOK}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:	{{.Version}}
  API version:	{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:	{{index .Details "GoVersion"}}
  Git commit:	{{index .Details "GitCommit"}}
  Built:	{{index .Details "BuildTime"}}
  OS/Arch:	{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:	{{index .Details "Experimental"}}
  {{- else }}
  Version:	{{$component.Version}}
  {{- range $key, $value := $component.Details}}
  {{$key}}:	{{$value}}
  {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}})";

std::string arch() {
    struct utsname u;
    if (::uname(&u) != 0) return "amd64";
    std::string m = u.machine;
    if (m == "x86_64") return "amd64";
    if (m == "aarch64") return "arm64";
    return m;
}

int cmd_version(Context& ctx, const std::string& fmt) {
    Json data;
    std::string api = "1.47";
    Result<std::string> v = ctx.client().api_version();
    if (v) api = *v;
    data["Client"] = {{"Platform", {{"Name", ""}}},
                      {"Version", berth_version()},
                      {"APIVersion", api},
                      {"DefaultAPIVersion", std::string(client::kMaxApiVersion)},
                      {"GoVersion", "n/a (C++20)"},
                      {"GitCommit", berth_git_commit()},
                      {"BuildTime", __DATE__ " " __TIME__},
                      {"Os", "linux"},
                      {"Arch", arch()},
                      {"Context", "default"}};
    Result<Json> server = v ? ctx.client().get_json("/version") : Result<Json>(v.error());
    data["ServerOK"] = server.has_value();
    data["Server"] = server ? *server : Json();
    // Templates see docker's Go field names (types.Version.APIVersion is "ApiVersion" in JSON).
    if (server && server->is_object() && server->contains("ApiVersion"))
        data["Server"]["APIVersion"] = (*server)["ApiVersion"];
    if (!fmt.empty()) {
        std::string f = fmt == "json" ? "{{json .}}" : fmt;
        auto t = format::Template::parse(f);
        if (!t) return ctx.fail("template parsing error: " + t.error().str());
        auto out = t->execute(data);
        if (!out) return ctx.fail(out.error());
        ctx.io.out << *out << "\n";
    } else {
        auto t = format::Template::parse(kVersionTemplate);
        if (!t) return ctx.fail(t.error());
        auto out = t->execute(data);
        if (!out) return ctx.fail(out.error());
        ctx.io.out << format::tabwrite(*out + "\n", 20, 1);
    }
    if (!server) {
        ctx.io.out.flush();
        return ctx.fail(server.error());
    }
    return 0;
}

std::string s(const Json& j, const char* key) {
    if (!j.is_object() || !j.contains(key)) return "";
    const Json& v = j[key];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return "";
    return format::go_print_value(v);
}

int64_t n(const Json& j, const char* key) {
    if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return 0;
    return j[key].get<int64_t>();
}

void print_list(std::ostream& o, const char* title, const Json& list, const char* indent = "  ") {
    if (!list.is_array() || list.empty()) return;
    o << " " << title << ":\n";
    for (const auto& e : list)
        o << indent << (e.is_string() ? e.get<std::string>() : format::go_print_value(e)) << "\n";
}

// Each option ("name=...,key=value,...") is listed by its name with its other keys under it.
void print_security_options(std::ostream& o, const Json& i) {
    if (!i.contains("SecurityOptions") || !i["SecurityOptions"].is_array() || i["SecurityOptions"].empty())
        return;
    o << " Security Options:\n";
    for (const auto& so : i["SecurityOptions"]) {
        std::string opt = so.is_string() ? so.get<std::string>() : "";
        // "name=seccomp,profile=builtin" -> "seccomp\n   Profile: builtin"
        std::string name, rest;
        size_t pos = 0;
        while (pos <= opt.size()) {
            size_t c = opt.find(',', pos);
            std::string kv = opt.substr(pos, c == std::string::npos ? std::string::npos : c - pos);
            auto eq = kv.find('=');
            if (eq != std::string::npos) {
                std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
                if (k == "name")
                    name = v;
                else if (!k.empty()) {
                    k[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(k[0])));
                    rest += "   " + k + ": " + v + "\n";
                }
            }
            if (c == std::string::npos) break;
            pos = c + 1;
        }
        o << "  " << name << "\n" << rest;
    }
}

// Insecure registries are the IndexConfigs not marked Secure, then the insecure CIDRs.
void print_registry_config(std::ostream& o, const Json& i) {
    if (!i.contains("RegistryConfig") || !i["RegistryConfig"].is_object()) return;
    const Json& rc = i["RegistryConfig"];
    Json insecure = Json::array();
    if (rc.contains("IndexConfigs") && rc["IndexConfigs"].is_object())
        for (const auto& [k, v] : rc["IndexConfigs"].items())
            if (v.is_object() && !v.value("Secure", true)) insecure.push_back(k);
    if (rc.contains("InsecureRegistryCIDRs") && rc["InsecureRegistryCIDRs"].is_array())
        for (const auto& c : rc["InsecureRegistryCIDRs"]) insecure.push_back(c);
    print_list(o, "Insecure Registries", insecure);
    if (rc.contains("Mirrors")) print_list(o, "Registry Mirrors", rc["Mirrors"]);
}

void print_server_info(std::ostream& o, const Json& i) {
    o << "Server:\n";
    o << " Containers: " << n(i, "Containers") << "\n";
    o << "  Running: " << n(i, "ContainersRunning") << "\n";
    o << "  Paused: " << n(i, "ContainersPaused") << "\n";
    o << "  Stopped: " << n(i, "ContainersStopped") << "\n";
    o << " Images: " << n(i, "Images") << "\n";
    o << " Server Version: " << s(i, "ServerVersion") << "\n";
    o << " Storage Driver: " << s(i, "Driver") << "\n";
    if (i.contains("DriverStatus") && i["DriverStatus"].is_array())
        for (const auto& p : i["DriverStatus"])
            if (p.is_array() && p.size() == 2)
                o << "  " << format::go_print_value(p[0]) << ": " << format::go_print_value(p[1]) << "\n";
    o << " Logging Driver: " << s(i, "LoggingDriver") << "\n";
    o << " Cgroup Driver: " << s(i, "CgroupDriver") << "\n";
    o << " Cgroup Version: " << s(i, "CgroupVersion") << "\n";
    if (i.contains("Plugins") && i["Plugins"].is_object()) {
        o << " Plugins:\n";
        for (const char* k : {"Volume", "Network", "Log"}) {
            const Json& l = i["Plugins"].value(k, Json::array());
            if (!l.is_array() || l.empty()) continue;
            o << "  " << k << ":";
            for (const auto& e : l) o << " " << format::go_print_value(e);
            o << "\n";
        }
    }
    std::string swarm = i.contains("Swarm") ? s(i["Swarm"], "LocalNodeState") : "";
    o << " Swarm: " << (swarm.empty() ? "inactive" : swarm) << "\n";
    if (i.contains("Runtimes") && i["Runtimes"].is_object()) {
        o << " Runtimes:";
        for (auto it = i["Runtimes"].begin(); it != i["Runtimes"].end(); ++it) o << " " << it.key();
        o << "\n";
    }
    o << " Default Runtime: " << s(i, "DefaultRuntime") << "\n";
    o << " Init Binary: " << s(i, "InitBinary") << "\n";
    const Json none = Json::object();
    o << " containerd version: " << s(i.value("ContainerdCommit", none), "ID") << "\n";
    o << " runc version: " << s(i.value("RuncCommit", none), "ID") << "\n";
    o << " init version: " << s(i.value("InitCommit", none), "ID") << "\n";
    print_security_options(o, i);
    o << " Kernel Version: " << s(i, "KernelVersion") << "\n";
    o << " Operating System: " << s(i, "OperatingSystem") << "\n";
    o << " OSType: " << s(i, "OSType") << "\n";
    o << " Architecture: " << s(i, "Architecture") << "\n";
    o << " CPUs: " << n(i, "NCPU") << "\n";
    o << " Total Memory: " << bytes_size(static_cast<double>(n(i, "MemTotal"))) << "\n";
    o << " Name: " << s(i, "Name") << "\n";
    o << " ID: " << s(i, "ID") << "\n";
    o << " Berth Root Dir: " << s(i, "DockerRootDir") << "\n";
    o << " Debug Mode: " << (i.value("Debug", false) ? "true" : "false") << "\n";
    if (i.contains("Labels")) print_list(o, "Labels", i["Labels"]);
    o << " Experimental: " << (i.value("ExperimentalBuild", false) ? "true" : "false") << "\n";
    print_registry_config(o, i);
    o << " Live Restore Enabled: " << (i.value("LiveRestoreEnabled", false) ? "true" : "false") << "\n";
    o << "\n";
}

int cmd_info(Context& ctx, const std::string& fmt) {
    auto info = ctx.client().get_json("/info");
    if (!fmt.empty()) {
        if (!info) return ctx.fail(info.error());
        Json data = *info;
        data["ClientInfo"] = {
            {"Version", berth_version()}, {"Context", "default"}, {"Debug", ctx.globals.debug}};
        std::string f = fmt == "json" ? "{{json .}}" : fmt;
        auto t = format::Template::parse(f);
        if (!t) return ctx.fail("template parsing error: " + t.error().str());
        auto out = t->execute(data);
        if (!out) return ctx.fail(out.error());
        ctx.io.out << *out << "\n";
        return 0;
    }
    ctx.io.out << "Client:\n Version:    0.1.0\n Context:    default\n Debug Mode: "
               << (ctx.globals.debug ? "true" : "false") << "\n\n";
    if (!info) {
        ctx.io.out << "Server:\n";
        ctx.io.out.flush();
        ctx.io.err << "ERROR: " << info.error().str() << "\nerrors pretty printing info\n";
        return 1;
    }
    print_server_info(ctx.io.out, *info);
    ctx.io.out.flush();
    if (info->contains("Warnings") && (*info)["Warnings"].is_array())
        for (const auto& w : (*info)["Warnings"])
            if (w.is_string()) ctx.io.err << w.get<std::string>() << "\n";
    return 0;
}

// RFC3339NanoFixed in local time: "2006-01-02T15:04:05.000000000Z07:00".
std::string event_time(const Json& ev) {
    int64_t nanos = n(ev, "timeNano");
    if (nanos == 0) nanos = n(ev, "time") * 1000000000LL;
    time_t sec = static_cast<time_t>(nanos / 1000000000LL);
    struct tm tm;
    localtime_r(&sec, &tm);
    char buf[64], frac[16], off[8];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(nanos % 1000000000LL));
    std::string zone;
    if (tm.tm_gmtoff == 0) {
        zone = "Z";
    } else {
        std::strftime(off, sizeof off, "%z", &tm);  // +0100 -> +01:00
        zone = std::string(off).insert(3, ":");
    }
    return std::string(buf) + frac + zone;
}

struct EventsOpts {
    std::string since, until, format;
    std::vector<std::string> filters;
};

int cmd_events(Context& ctx, const EventsOpts& o) {
    client::Query q;
    if (!o.since.empty()) q.add("since", since_value(o.since));
    if (!o.until.empty()) q.add("until", since_value(o.until));
    if (auto r = q.add_filters(o.filters); !r) return ctx.fail(r.error());
    std::optional<format::Template> tmpl;
    if (!o.format.empty()) {
        auto t = format::Template::parse(o.format == "json" ? "{{json .}}" : o.format);
        if (!t) return ctx.fail("template parsing error: " + t.error().str());
        tmpl = std::move(*t);
    }
    auto stream = ctx.client().stream("GET", "/events", q);
    if (!stream) return ctx.fail(stream.error());
    for (;;) {
        auto line = stream->read_line();
        if (!line) return ctx.fail(line.error());
        if (!*line) break;
        auto ev = parse_json(**line, "event");
        if (!ev) return ctx.fail(ev.error());
        std::string out;
        if (tmpl) {
            auto r = tmpl->execute(*ev);
            if (!r) return ctx.fail(r.error());
            out = *r + "\n";
        } else {
            out = event_time(*ev) + " " + s(*ev, "Type") + " " + s(*ev, "Action") + " ";
            const Json& actor = ev->value("Actor", Json::object());
            out += s(actor, "ID");
            if (actor.contains("Attributes") && actor["Attributes"].is_object() &&
                !actor["Attributes"].empty()) {
                std::string attrs;
                for (const auto& [k, v] : actor["Attributes"].items())
                    attrs += (attrs.empty() ? "" : ", ") + k + "=" +
                             (v.is_string() ? v.get<std::string>() : v.dump());
                out += " (" + attrs + ")";
            }
            out += "\n";
        }
        write_out(ctx, out);
    }
    return 0;
}

std::string pct(int64_t part, int64_t total) {
    if (total <= 0) return human_size(static_cast<double>(part), 4);
    return human_size(static_cast<double>(part), 4) + " (" + std::to_string(part * 100 / total) + "%)";
}

// Images: shared layers are counted once (LayersSize); what the images in use hold alone is not reclaimable.
Json image_usage_row(const Json& d) {
    const Json& imgs = d.value("Images", Json::array());
    int64_t total = n(d, "LayersSize"), used = 0, active = 0;
    if (imgs.is_array())
        for (const auto& i : imgs)
            if (n(i, "Containers") > 0) {
                ++active;
                if (n(i, "SharedSize") != -1) used += n(i, "Size") - n(i, "SharedSize");
            }
    return Json{{"Type", "Images"},
                {"TotalCount", std::to_string(imgs.is_array() ? imgs.size() : 0)},
                {"Active", std::to_string(active)},
                {"Size", human_size(static_cast<double>(total), 4)},
                {"Reclaimable", pct(total - used, total)}};
}

// Containers: the writable layers of the ones not running, paused or restarting are reclaimable.
Json container_usage_row(const Json& d) {
    const Json& cs = d.value("Containers", Json::array());
    int64_t total = 0, reclaim = 0, active = 0;
    if (cs.is_array())
        for (const auto& c : cs) {
            std::string st = s(c, "State");
            bool act = st == "running" || st == "paused" || st == "restarting";
            total += n(c, "SizeRw");
            if (act)
                ++active;
            else
                reclaim += n(c, "SizeRw");
        }
    return Json{{"Type", "Containers"},
                {"TotalCount", std::to_string(cs.is_array() ? cs.size() : 0)},
                {"Active", std::to_string(active)},
                {"Size", human_size(static_cast<double>(total), 4)},
                {"Reclaimable", pct(reclaim, total)}};
}

// Local volumes: the ones no container refers to are reclaimable.
Json volume_usage_row(const Json& d) {
    const Json& vs = d.value("Volumes", Json::array());
    int64_t total = 0, reclaim = 0, active = 0;
    if (vs.is_array())
        for (const auto& v : vs) {
            const Json& u = v.value("UsageData", Json::object());
            int64_t sz = std::max<int64_t>(0, n(u, "Size"));
            total += sz;
            if (n(u, "RefCount") > 0)
                ++active;
            else
                reclaim += sz;
        }
    return Json{{"Type", "Local Volumes"},
                {"TotalCount", std::to_string(vs.is_array() ? vs.size() : 0)},
                {"Active", std::to_string(active)},
                {"Size", human_size(static_cast<double>(total), 4)},
                {"Reclaimable", pct(reclaim, total)}};
}

// Build cache: records neither in use nor shared are reclaimable.
Json build_cache_usage_row(const Json& d) {
    const Json& bc = d.value("BuildCache", Json::array());
    int64_t total = 0, reclaim = 0, active = 0;
    if (bc.is_array())
        for (const auto& b : bc) {
            total += n(b, "Size");
            if (b.value("InUse", false))
                ++active;
            else if (!b.value("Shared", false))
                reclaim += n(b, "Size");
        }
    return Json{{"Type", "Build Cache"},
                {"TotalCount", std::to_string(bc.is_array() ? bc.size() : 0)},
                {"Active", std::to_string(active)},
                {"Size", human_size(static_cast<double>(total), 4)},
                {"Reclaimable", human_size(static_cast<double>(reclaim), 4)}};
}

// "2 hours ago" for an RFC 3339 time ("" when there is none, as docker's LastUsedSince).
std::string since_text(const std::string& rfc3339) {
    int64_t t = parse_rfc3339(rfc3339);
    if (t <= 0) return "";
    return human_duration(now_seconds() - t) + " ago";
}

// `system df -v`: the images under their first tag (docker shows only that one).
std::vector<Json> df_image_rows(const Json& d, bool trunc) {
    std::vector<Json> rows;
    for (const auto& img : d.value("Images", Json::array())) {
        std::string repo = "<none>", tag = "<none>";
        const Json& tags = img.value("RepoTags", Json::array());
        if (tags.is_array() && !tags.empty() && tags[0].is_string() && tags[0] != "<none>:<none>") {
            auto ref = image::reference::parse_normalized(tags[0].get<std::string>());
            if (!ref) continue;  // docker skips an image whose tag it cannot parse
            if (ref->has_tag()) repo = ref->familiar_name(), tag = ref->tag();
        }
        rows.push_back(image_row(img, trunc, repo, tag, ""));
    }
    return rows;
}

std::vector<Json> df_container_rows(const Json& d, bool trunc) {
    std::vector<Json> rows;
    for (Json c : d.value("Containers", Json::array())) {
        c["SizeRootFs"] = 0;  // docker does not show the virtual size here
        rows.push_back(ps_row(c, trunc));
    }
    return rows;
}

std::vector<Json> df_volume_rows(const Json& d) {
    std::vector<Json> rows;
    for (const auto& v : d.value("Volumes", Json::array())) {
        const Json* usage = v.contains("UsageData") && v["UsageData"].is_object() ? &v["UsageData"] : nullptr;
        rows.push_back({{"Name", s(v, "Name")},
                        {"Links", usage ? std::to_string(n(*usage, "RefCount")) : "N/A"},
                        {"Size", usage ? human_size(static_cast<double>(n(*usage, "Size")), 4) : "N/A"}});
    }
    return rows;
}

std::vector<Json> df_build_cache_rows(const Json& d, bool trunc) {
    std::vector<Json> rows;
    for (const auto& b : d.value("BuildCache", Json::array())) {
        std::string id = s(b, "ID");
        if (trunc) id = short_id(id);
        bool in_use = b.value("InUse", false);
        rows.push_back({{"ID", in_use ? id + "*" : id},
                        {"CacheType", s(b, "Type")},
                        {"Size", human_size(static_cast<double>(n(b, "Size")))},
                        {"CreatedSince", since_text(s(b, "CreatedAt"))},
                        {"LastUsedSince", since_text(s(b, "LastUsedAt"))},
                        {"UsageCount", std::to_string(n(b, "UsageCount"))},
                        {"InUse", in_use ? "true" : "false"},
                        {"Shared", b.value("Shared", false) ? "true" : "false"}});
    }
    return rows;
}

// The detailed view: one table per kind, or a template over all four lists.
int cmd_df_verbose(Context& ctx, const Json& d, const std::string& fmt) {
    bool table = fmt.empty() || fmt.rfind("table", 0) == 0;
    auto images = df_image_rows(d, table), containers = df_container_rows(d, table);
    auto volumes = df_volume_rows(d), cache = df_build_cache_rows(d, table);
    if (fmt == "json" || fmt == "{{json .}}") {
        // Docker's lists are fields of a struct: in this order, not sorted as a map's keys.
        ctx.io.out << "{\"Images\":" << format::go_json_value(Json(images))
                   << ",\"Containers\":" << format::go_json_value(Json(containers))
                   << ",\"Volumes\":" << format::go_json_value(Json(volumes))
                   << ",\"BuildCache\":" << format::go_json_value(Json(cache)) << "}";
        return 0;
    }
    if (!fmt.empty() && fmt != "table") {  // one template over the four lists, no newline added
        auto t = format::Template::parse(fmt);
        if (!t) return ctx.fail(t.error());
        Json all = {
            {"Images", images}, {"Containers", containers}, {"Volumes", volumes}, {"BuildCache", cache}};
        auto out = t->execute(all);
        if (!out) return ctx.fail(out.error());
        ctx.io.out << *out;
        return 0;
    }
    std::string out = "Images space usage:\n\n";
    auto section = [&](const char* format, const std::vector<Json>& rows,
                       const std::map<std::string, std::string>& headers) -> Result<> {
        out += BERTH_TRY(format::render_table(format, rows, headers));
        return ok();
    };
    auto r = section(
        "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t"
        "{{.UniqueSize}}\t{{.Containers}}",
        images, kImageHeaders);
    out += "\nContainers space usage:\n\n";
    if (r)
        r = section(
            "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t"
            "{{.Status}}\t{{.Names}}",
            containers, kPsHeaders);
    out += "\nLocal Volumes space usage:\n\n";
    if (r)
        r = section("table {{.Name}}\t{{.Links}}\t{{.Size}}", volumes,
                    {{"Name", "VOLUME NAME"}, {"Links", "LINKS"}, {"Size", "SIZE"}});
    int64_t cache_size = 0;
    for (const auto& b : d.value("BuildCache", Json::array())) cache_size += n(b, "Size");
    out += "\nBuild cache usage: " + human_size(static_cast<double>(cache_size), 4) + "\n\n";
    if (r)
        r = section(
            "table "
            "{{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t"
            "{{.Shared}}",
            cache,
            {{"ID", "CACHE ID"},
             {"CacheType", "CACHE TYPE"},
             {"Size", "SIZE"},
             {"CreatedSince", "CREATED"},
             {"LastUsedSince", "LAST USED"},
             {"UsageCount", "USAGE"},
             {"Shared", "SHARED"}});
    if (!r) return ctx.fail(r.error());
    ctx.io.out << out;
    return 0;
}

int cmd_df(Context& ctx, const std::string& fmt, bool verbose) {
    auto df = ctx.client().get_json("/system/df");
    if (!df) return ctx.fail(df.error());
    const Json& d = *df;
    if (verbose) return cmd_df_verbose(ctx, d, fmt);
    std::vector<Json> rows = {image_usage_row(d), container_usage_row(d), volume_usage_row(d),
                              build_cache_usage_row(d)};
    auto out =
        render_list(fmt, "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}", rows,
                    {{"Type", "TYPE"},
                     {"TotalCount", "TOTAL"},
                     {"Active", "ACTIVE"},
                     {"Size", "SIZE"},
                     {"Reclaimable", "RECLAIMABLE"}});
    if (!out) return ctx.fail(out.error());
    ctx.io.out << *out;
    return 0;
}

}  // namespace

void add_system_commands(Context& ctx, CLI::App& root, CLI::App* system) {
    auto fmt = std::make_shared<std::string>();
    Cmd(ctx, &root, "version", "Show the Berth version information", "[OPTIONS]", 0, 0)
        .str("-f,--format", *fmt, kInspectFormatHelp)
        .action([&ctx, fmt](const auto&) { return cmd_version(ctx, *fmt); });

    for (CLI::App* parent : {&root, system}) {
        auto ifmt = std::make_shared<std::string>();
        Cmd info(ctx, parent, "info", "Display system-wide information", "[OPTIONS]", 0, 0);
        info.also_known_as(parent == system ? "berth info" : "berth system info")
            .str("-f,--format", *ifmt, "Format output using a custom template")
            .action([&ctx, ifmt](const auto&) { return cmd_info(ctx, *ifmt); });

        auto eo = std::make_shared<EventsOpts>();
        Cmd(ctx, parent, "events", "Get real time events from the server", "[OPTIONS]", 0, 0)
            .also_known_as(parent == system ? "berth events" : "berth system events")
            .strs("-f,--filter", eo->filters, "Filter output based on conditions provided", "filter")
            .str("--format", eo->format, "Format output using a custom template")
            .str("--since", eo->since, "Show all events created since timestamp")
            .str("--until", eo->until, "Stream events until this timestamp")
            .action([&ctx, eo](const auto&) { return cmd_events(ctx, *eo); });
    }
    auto dfmt = std::make_shared<std::string>();
    auto verbose = std::make_shared<bool>(false);
    Cmd(ctx, system, "df", "Show docker disk usage", "[OPTIONS]", 0, 0)
        .str("--format", *dfmt, "Format output using a custom template")
        .flag("-v,--verbose", *verbose, "Show detailed information on space usage")
        .action([&ctx, dfmt, verbose](const auto&) { return cmd_df(ctx, *dfmt, *verbose); });
}

}  // namespace berth::cli
