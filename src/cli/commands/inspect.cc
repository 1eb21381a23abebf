// inspect, container inspect, image inspect: the daemon's JSON as docker prints it (array,
// 4-space indent, the daemon's key order) or one --format line per object.
#include "cli/commands/context.h"
#include "cli/format/template.h"

namespace berth::cli {

int print_inspected(Context& ctx, const std::string& format, const std::vector<std::string>& names,
                    const std::function<Result<std::string>(const std::string&)>& fetch,
                    const std::function<std::string(const Error&)>& error_line) {
    std::optional<format::Template> tmpl;
    if (!format.empty() && format != "json") {
        auto t = format::Template::parse(format);
        if (!t) return ctx.fail("template parsing error: " + t.error().str());
        tmpl = std::move(*t);
    }
    int status = 0;
    nlohmann::ordered_json objects = nlohmann::ordered_json::array();
    std::vector<std::string> errors;
    for (const auto& n : names) {
        auto body = fetch(n);
        if (!body) {
            errors.push_back(error_line(body.error()));
            status = 1;
            continue;
        }
        if (tmpl) {
            auto j = parse_json(*body, "daemon response");
            if (!j) return ctx.fail(j.error());
            std::string out;
            auto r = tmpl->execute_to(*j, out);
            ctx.io.out << out;
            if (!r) {
                ctx.io.out.flush();
                return ctx.fail(r.error());
            }
            ctx.io.out << "\n";
            continue;
        }
        auto j = nlohmann::ordered_json::parse(*body, nullptr, false);
        if (j.is_discarded()) return ctx.fail("invalid JSON from daemon");
        objects.push_back(std::move(j));
    }
    if (!tmpl)
        ctx.io.out << objects.dump(4, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
    ctx.io.out.flush();
    for (const auto& e : errors) ctx.io.err << e << "\n";
    return status;
}

Result<std::string> get_object(Context& ctx, const std::string& path, const client::Query& q) {
    auto r = BERTH_TRY(ctx.client().request("GET", path, q));
    if (r.status >= 400) return client::Client::daemon_error(r);
    return r.body;
}
namespace {

struct InspectOpts {
    std::string format, type;
    bool size = false;
};

// The raw object for one name: container first, then image (docker's order without --type).
Result<std::string> fetch(Context& ctx, const std::string& type, const std::string& name, bool size) {
    auto get = [&](const std::string& path, const client::Query& q) { return get_object(ctx, path, q); };
    client::Query q;
    q.add_if(size, "size", "1");
    if (type == "container") return get("/containers/" + name + "/json", q);
    if (type == "image") return get("/images/" + name + "/json", {});
    if (!type.empty()) return Error::invalid("\"" + type + "\" is not a valid value for --type");
    auto c = get("/containers/" + name + "/json", q);
    if (c || c.error().kind() != ErrorKind::NotFound) return c;
    auto i = get("/images/" + name + "/json", {});
    if (i || i.error().kind() != ErrorKind::NotFound) return i;
    return Error::not_found("No such object: " + name);
}

int cmd_inspect(Context& ctx, const InspectOpts& o, const std::string& type,
                const std::vector<std::string>& names) {
    return print_inspected(
        ctx, o.format, names, [&](const std::string& n) { return fetch(ctx, type, n, o.size); },
        [](const Error& e) {
            std::string msg = e.message();
            const std::string prefix = "Error response from daemon: ";
            if (msg.rfind(prefix, 0) == 0) msg = msg.substr(prefix.size());
            return "Error: " + msg;
        });
}

void define_inspect(Context& ctx, CLI::App* parent, const std::string& type, const std::string& usage,
                    const std::string& desc) {
    auto o = std::make_shared<InspectOpts>();
    Cmd c(ctx, parent, "inspect", desc, usage, 1, -1);
    c.str("-f,--format", o->format, kInspectFormatHelp);
    if (type != "image") c.flag("-s,--size", o->size, "Display total file sizes");
    if (type.empty()) c.str("--type", o->type, "Only inspect objects of the given type");
    c.action(
        [&ctx, o, type](const auto& a) { return cmd_inspect(ctx, *o, type.empty() ? o->type : type, a); });
}

}  // namespace

void add_inspect_commands(Context& ctx, CLI::App& root, CLI::App* container, CLI::App* image) {
    define_inspect(ctx, &root, "", "[OPTIONS] NAME|ID [NAME|ID...]",
                   "Return low-level information on Berth objects");
    define_inspect(ctx, container, "container", "[OPTIONS] CONTAINER [CONTAINER...]",
                   "Display detailed information on one or more containers");
    define_inspect(ctx, image, "image", "[OPTIONS] IMAGE [IMAGE...]",
                   "Display detailed information on one or more images");
}

}  // namespace berth::cli
