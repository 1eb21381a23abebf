#include "common/json.h"

#include "common/file.h"
#include "common/go_json.h"

namespace berth {

Result<Json> parse_json(std::string_view text, std::string_view what) {
    Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        // Re-parse with a handler-less SAX pass is costly; nlohmann gives no position without
        // exceptions, so catch here (the only place) to report where the text is broken.
        try {
            Json ignored = Json::parse(text);
            (void)ignored;  // parsed again only for the exception that says where
        } catch (const Json::exception& e) {
            return Error::invalid(std::string(what) + ": " + e.what());
        }
        return Error::invalid(std::string(what) + ": invalid JSON");
    }
    return j;
}

Result<Json> read_json_file(const std::string& path) {
    auto text = BERTH_TRY(read_file(path));
    return parse_json(text, path);
}

std::string string_field(const Json& obj, std::string_view key) {
    if (!obj.is_object()) return {};
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string dump_json(const Json& j, int indent) {
    return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

void append_json_string(std::string& out, std::string_view s) {
    append_go_json_string(out, s, false);
}

const char* json_type_name(const Json& j) {
    return j.type_name();
}

}  // namespace berth
