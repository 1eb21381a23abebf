// Typed JSON member access for manifest/index/config parsing (see fields.h).
#include "image/manifest/fields.h"

#include <algorithm>
#include <limits>

namespace berth::image::manifest::fields {

std::string join(const std::string& parent, std::string_view key) {
    if (parent.empty()) return std::string(key);
    return parent + "." + std::string(key);
}

static const char* kind_name(const Json& j) {
    if (j.is_number_integer() || j.is_number_unsigned()) return "integer";
    if (j.is_number_float()) return "number";
    return j.type_name();
}

Error type_error(const std::string& field, std::string_view want, const Json& got) {
    return Error::invalid(field + ": expected " + std::string(want) + ", got " + kind_name(got));
}

Error required(const std::string& field) {
    return Error::invalid(field + ": required");
}

const Json* member(const Json& obj, std::string_view key) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
}

Result<std::optional<std::string>> opt_string(const Json& obj, std::string_view key,
                                              const std::string& parent) {
    const Json* v = member(obj, key);
    if (!v) return std::optional<std::string>();
    if (!v->is_string()) return type_error(join(parent, key), "string", *v);
    return std::optional<std::string>(v->get<std::string>());
}

Result<std::string> req_string(const Json& obj, std::string_view key, const std::string& parent) {
    auto v = BERTH_TRY(opt_string(obj, key, parent));
    if (!v) return required(join(parent, key));
    return *v;
}

Result<std::optional<int64_t>> opt_int(const Json& obj, std::string_view key, const std::string& parent) {
    const Json* v = member(obj, key);
    if (!v) return std::optional<int64_t>();
    if (v->is_number_integer() && !v->is_number_unsigned()) return std::optional<int64_t>(v->get<int64_t>());
    if (v->is_number_unsigned()) {
        uint64_t u = v->get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            return Error::invalid(join(parent, key) + ": out of range");
        return std::optional<int64_t>(static_cast<int64_t>(u));
    }
    return type_error(join(parent, key), "integer", *v);
}

Result<std::optional<bool>> opt_bool(const Json& obj, std::string_view key, const std::string& parent) {
    const Json* v = member(obj, key);
    if (!v) return std::optional<bool>();
    if (!v->is_boolean()) return type_error(join(parent, key), "boolean", *v);
    return std::optional<bool>(v->get<bool>());
}

Result<std::optional<std::vector<std::string>>> opt_strings(const Json& obj, std::string_view key,
                                                            const std::string& parent) {
    const Json* v = member(obj, key);
    if (!v) return std::optional<std::vector<std::string>>();
    std::string field = join(parent, key);
    if (!v->is_array()) return type_error(field, "array of strings", *v);
    std::vector<std::string> out;
    out.reserve(v->size());
    for (size_t i = 0; i < v->size(); ++i) {
        const Json& e = (*v)[i];
        if (!e.is_string()) return type_error(field + "[" + std::to_string(i) + "]", "string", e);
        out.push_back(e.get<std::string>());
    }
    return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::map<std::string, std::string>> opt_string_map(const Json& obj, std::string_view key,
                                                          const std::string& parent) {
    std::map<std::string, std::string> out;
    const Json* v = member(obj, key);
    if (!v) return out;
    std::string field = join(parent, key);
    if (!v->is_object()) return type_error(field, "object of strings", *v);
    for (auto it = v->begin(); it != v->end(); ++it) {
        if (!it.value().is_string())
            return type_error(field + "[\"" + it.key() + "\"]", "string", it.value());
        out.emplace(it.key(), it.value().get<std::string>());
    }
    return out;
}

Result<std::vector<std::string>> opt_key_set(const Json& obj, std::string_view key,
                                             const std::string& parent) {
    std::vector<std::string> out;
    const Json* v = member(obj, key);
    if (!v) return out;
    std::string field = join(parent, key);
    if (!v->is_object()) return type_error(field, "object", *v);
    for (auto it = v->begin(); it != v->end(); ++it) {
        if (!it.value().is_object() && !it.value().is_null())
            return type_error(field + "[\"" + it.key() + "\"]", "object", it.value());
        out.push_back(it.key());
    }
    std::sort(out.begin(), out.end());
    return out;
}

Result<content::Digest> req_digest(const Json& obj, std::string_view key, const std::string& parent) {
    std::string s = BERTH_TRY(req_string(obj, key, parent));
    auto d = content::Digest::parse(s);
    if (!d) return Error::invalid(join(parent, key) + ": " + d.error().message());
    return d;
}

Result<Json> parse_object(std::string_view bytes, size_t max_size, std::string_view what) {
    if (bytes.size() > max_size) {
        return Error::invalid(std::string(what) + " too large: " + std::to_string(bytes.size()) +
                              " bytes, limit " + std::to_string(max_size));
    }
    auto j = BERTH_TRY(parse_json(bytes, what));
    if (!j.is_object())
        return Error::invalid(std::string(what) + ": expected a JSON object, got " + kind_name(j));
    return j;
}

}  // namespace berth::image::manifest::fields
