// apply_changes: the Dockerfile instructions `docker import --change` accepts.
#include <algorithm>
#include <cctype>

#include "common/file.h"
#include "common/strings.h"
#include "image/archive/archive.h"

namespace berth::image::archive {

namespace {

// Splits on blanks, honouring "double" and 'single' quotes and backslash escapes.
Result<std::vector<std::string>> split_words(std::string_view s, const std::string& what) {
    std::vector<std::string> out;
    std::string cur;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (quote) {
            if (c == quote)
                quote = 0;
            else if (c == '\\' && quote == '"' && i + 1 < s.size())
                cur += s[++i];
            else
                cur += c;
            continue;
        }
        if (c == '"' || c == '\'') {
            quote = c;
            in_word = true;
        } else if (c == '\\' && i + 1 < s.size()) {
            cur += s[++i];
            in_word = true;
        } else if (isspace(static_cast<unsigned char>(c))) {
            if (in_word) out.push_back(std::move(cur));
            cur.clear();
            in_word = false;
        } else {
            cur += c;
            in_word = true;
        }
    }
    if (quote) return Error::invalid(what + ": unterminated quote");
    if (in_word) out.push_back(std::move(cur));
    return out;
}

// ["a", "b"] when `s` is a JSON array of strings, else nullopt (shell form).
std::optional<std::vector<std::string>> json_form(std::string_view s) {
    if (s.empty() || s[0] != '[') return std::nullopt;
    auto j = parse_json(s);
    if (!j || !j->is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (auto& e : *j) {
        if (!e.is_string()) return std::nullopt;
        out.push_back(e.get<std::string>());
    }
    return out;
}

// KEY=VALUE pairs, or the legacy "KEY VALUE" form.
Result<std::vector<std::pair<std::string, std::string>>> pairs(std::string_view args,
                                                               const std::string& what) {
    std::vector<std::pair<std::string, std::string>> out;
    auto words = BERTH_TRY(split_words(args, what));
    if (words.empty()) return Error::invalid(what + " requires at least one argument");
    if (words[0].find('=') == std::string::npos) {
        std::string_view rest = args;
        rest.remove_prefix(std::min(rest.size(), rest.find_first_not_of(" \t")));
        auto sp = rest.find_first_of(" \t");
        if (sp == std::string_view::npos) return Error::invalid(what + " must have two arguments");
        std::string value = trim(rest.substr(sp));
        out.emplace_back(std::string(rest.substr(0, sp)), value);
        return out;
    }
    for (auto& w : words) {
        auto eq = w.find('=');
        if (eq == std::string::npos || eq == 0)
            return Error::invalid(what + ": " + w + ": expected KEY=VALUE");
        out.emplace_back(w.substr(0, eq), w.substr(eq + 1));
    }
    return out;
}

}  // namespace

Result<> apply_changes(Json& cfg, const std::vector<std::string>& changes) {
    if (!cfg.is_object()) cfg = Json::object();
    for (auto& change : changes) {
        std::string line = trim(change);
        if (line.empty()) continue;
        auto sp = line.find_first_of(" \t");
        std::string cmd = line.substr(0, sp);
        std::string args = sp == std::string::npos ? "" : trim(line.substr(sp));
        std::transform(cmd.begin(), cmd.end(), cmd.begin(), [](unsigned char c) { return std::toupper(c); });
        std::string what = "invalid change " + dump_json(Json(change));
        if (cmd == "CMD" || cmd == "ENTRYPOINT") {
            auto argv = json_form(args);
            Json v = argv ? Json(*argv) : Json(std::vector<std::string>{"/bin/sh", "-c", args});
            cfg[cmd == "CMD" ? "Cmd" : "Entrypoint"] = v;
        } else if (cmd == "ENV") {
            Json env = cfg.value("Env", Json::array());
            if (!env.is_array()) env = Json::array();
            for (auto& [k, v] : BERTH_TRY(pairs(args, what))) {
                std::string prefix = k + "=";
                bool replaced = false;
                for (auto& e : env)
                    if (e.is_string() && starts_with(e.get<std::string>(), prefix))
                        e = prefix + v, replaced = true;
                if (!replaced) env.push_back(prefix + v);
            }
            cfg["Env"] = env;
        } else if (cmd == "LABEL") {
            if (!cfg.contains("Labels") || !cfg["Labels"].is_object()) cfg["Labels"] = Json::object();
            for (auto& [k, v] : BERTH_TRY(pairs(args, what))) cfg["Labels"][k] = v;
        } else if (cmd == "EXPOSE") {
            if (!cfg.contains("ExposedPorts") || !cfg["ExposedPorts"].is_object())
                cfg["ExposedPorts"] = Json::object();
            auto ports = BERTH_TRY(split_words(args, what));
            if (ports.empty()) return Error::invalid(what + ": EXPOSE requires at least one argument");
            for (auto p : ports) {
                if (p.find('/') == std::string::npos) p += "/tcp";
                auto num = p.substr(0, p.find('/'));
                if (num.empty() || num.find_first_not_of("0123456789-") != std::string::npos)
                    return Error::invalid(what + ": invalid port " + dump_json(Json(p)));
                cfg["ExposedPorts"][p] = Json::object();
            }
        } else if (cmd == "VOLUME") {
            if (!cfg.contains("Volumes") || !cfg["Volumes"].is_object()) cfg["Volumes"] = Json::object();
            auto vols = json_form(args);
            std::vector<std::string> list = vols ? *vols : BERTH_TRY(split_words(args, what));
            if (list.empty()) return Error::invalid(what + ": VOLUME requires at least one argument");
            for (auto& v : list) cfg["Volumes"][v] = Json::object();
        } else if (cmd == "USER" || cmd == "WORKDIR" || cmd == "STOPSIGNAL") {
            if (args.empty()) return Error::invalid(what + ": " + cmd + " requires exactly one argument");
            const char* field = cmd == "USER" ? "User" : cmd == "WORKDIR" ? "WorkingDir" : "StopSignal";
            cfg[field] = args;
        } else if (cmd == "ONBUILD") {
            if (args.empty()) return Error::invalid(what + ": ONBUILD requires at least one argument");
            if (!cfg.contains("OnBuild") || !cfg["OnBuild"].is_array()) cfg["OnBuild"] = Json::array();
            cfg["OnBuild"].push_back(args);
        } else {
            return Error::invalid("invalid change \"" + cmd + "\": " + cmd +
                                  " is not a valid change command (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, "
                                  "ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)");
        }
    }
    return ok();
}

}  // namespace berth::image::archive
