#include "daemon/containers/json_reader.h"

#include <algorithm>

namespace berth::daemon::containers {

const char* json_kind(const Json& v) {
    if (v.is_string()) return "string";
    if (v.is_boolean()) return "boolean";
    if (v.is_number()) return "number";
    if (v.is_array()) return "array";
    if (v.is_object()) return "object";
    return "null";
}

JsonReader::JsonReader(const Json& obj, std::string prefix) : obj_(obj), prefix_(std::move(prefix)) {}

const Json* JsonReader::take(const char* key) {
    read_.insert(key);
    if (!obj_.is_object()) return nullptr;
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return nullptr;
    return &*it;
}

void JsonReader::fail(Error e) {
    if (!error_) error_ = std::move(e);
}

void JsonReader::expected(const char* key, const char* type, const Json& got) {
    fail(Error::invalid("invalid JSON: " + prefix_ + key + ": expected " + type + ", got " + json_kind(got)));
}

void JsonReader::str(const char* key, std::string& out) {
    if (auto* v = take(key)) {
        if (v->is_string())
            out = v->get<std::string>();
        else
            expected(key, "string", *v);
    }
}

void JsonReader::boolean(const char* key, bool& out) {
    if (auto* v = take(key)) {
        if (v->is_boolean())
            out = v->get<bool>();
        else
            expected(key, "boolean", *v);
    }
}

void JsonReader::boolean(const char* key, std::optional<bool>& out) {
    if (auto* v = take(key)) {
        if (v->is_boolean())
            out = v->get<bool>();
        else
            expected(key, "boolean", *v);
    }
}

void JsonReader::integer(const char* key, int64_t& out) {
    if (auto* v = take(key)) {
        if (v->is_number_integer())
            out = v->get<int64_t>();
        else
            expected(key, "integer", *v);
    }
}

void JsonReader::integer(const char* key, int& out) {
    int64_t v = out;
    integer(key, v);
    out = static_cast<int>(v);
}

void JsonReader::integer(const char* key, std::optional<int64_t>& out) {
    if (auto* v = take(key)) {
        if (v->is_number_integer())
            out = v->get<int64_t>();
        else
            expected(key, "integer", *v);
    }
}

void JsonReader::integer(const char* key, std::optional<int>& out) {
    std::optional<int64_t> v;
    integer(key, v);
    if (v) out = static_cast<int>(*v);
}

void JsonReader::strings(const char* key, std::vector<std::string>& out) {
    auto* v = take(key);
    if (!v) return;
    if (!v->is_array() || !std::all_of(v->begin(), v->end(), [](const Json& e) { return e.is_string(); }))
        return expected(key, "array of strings", *v);
    out.clear();
    for (auto& e : *v) out.push_back(e.get<std::string>());
}

void JsonReader::str_slice(const char* key, std::optional<std::vector<std::string>>& out) {
    auto* v = take(key);
    if (!v) return;
    if (v->is_string()) {
        out = std::vector<std::string>{v->get<std::string>()};
        return;
    }
    if (!v->is_array() || !std::all_of(v->begin(), v->end(), [](const Json& e) { return e.is_string(); }))
        return expected(key, "string or array of strings", *v);
    out.emplace();
    for (auto& e : *v) out->push_back(e.get<std::string>());
}

void JsonReader::str_map(const char* key, std::map<std::string, std::string>& out) {
    auto* v = take(key);
    if (!v) return;
    if (!v->is_object() || !std::all_of(v->begin(), v->end(), [](const Json& e) { return e.is_string(); }))
        return expected(key, "object of strings", *v);
    out.clear();
    for (auto& [k, e] : v->items()) out[k] = e.get<std::string>();
}

void JsonReader::key_set(const char* key, std::set<std::string>& out) {
    auto* v = take(key);
    if (!v) return;
    if (!v->is_object()) return expected(key, "object", *v);
    out.clear();
    for (auto& [k, e] : v->items()) out.insert(k);
}

const Json* JsonReader::object(const char* key) {
    auto* v = take(key);
    if (v && !v->is_object()) {
        expected(key, "object", *v);
        return nullptr;
    }
    return v;
}

const Json* JsonReader::objects(const char* key) {
    auto* v = take(key);
    if (v &&
        (!v->is_array() || !std::all_of(v->begin(), v->end(), [](const Json& e) { return e.is_object(); }))) {
        expected(key, "array of objects", *v);
        return nullptr;
    }
    return v;
}

const Json* JsonReader::any(const char* key) {
    return take(key);
}

Json JsonReader::rest() const {
    Json out = Json::object();
    if (!obj_.is_object()) return out;
    for (auto& [k, v] : obj_.items())
        if (!read_.count(k)) out[k] = v;
    return out;
}

Result<> JsonReader::status() const {
    if (error_) return *error_;
    return ok();
}

}  // namespace berth::daemon::containers
