// Headers, Response builders and the Request calls that reach the connection.
#include "api/server/request.h"

#include <strings.h>

#include "api/server/exchange.h"
#include "api/server/router.h"

namespace berth::api {

namespace {
bool name_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}
}  // namespace

std::optional<std::string_view> Headers::get(std::string_view name) const {
    for (const auto& [k, v] : fields_) {
        if (name_equal(k, name)) return std::string_view(v);
    }
    return std::nullopt;
}

void Headers::set(std::string_view name, std::string_view value) {
    std::erase_if(fields_, [&](const auto& f) { return name_equal(f.first, name); });
    add(name, value);
}

void Headers::add(std::string_view name, std::string_view value) {
    fields_.emplace_back(std::string(name), std::string(value));
}

Response Response::json(int status, const Json& body) {
    Response r;
    r.status = status;
    r.headers.set("Content-Type", "application/json");
    r.body = dump_json(body);
    r.body.push_back('\n');  // Go's json.Encoder ends documents with a newline
    return r;
}

Response Response::text(int status, std::string body, std::string_view content_type) {
    Response r;
    r.status = status;
    r.headers.set("Content-Type", content_type);
    r.body = std::move(body);
    return r;
}

Response Response::empty(int status) {
    Response r;
    r.status = status;
    return r;
}

std::string Request::param(std::string_view name) const {
    auto it = params.find(std::string(name));
    return it == params.end() ? std::string() : it->second;
}

bool Request::version_at_least(std::string_view v) const {
    return compare_api_versions(api_version, v) >= 0;
}

BodyReader* Request::body_reader() {
    if (!body_reader_ && exchange) body_reader_ = exchange->body_reader();
    return body_reader_.get();
}

Result<std::shared_ptr<ResponseStream>> Request::start_stream(int status, Headers h) {
    if (!exchange) return Error::unsupported("request is not attached to a connection");
    if (taken_) return Error::conflict("connection already taken by a stream or hijack");
    auto s = BERTH_TRY(exchange->start_stream(status, std::move(h)));
    taken_ = true;
    return s;
}

Result<std::shared_ptr<HijackedStream>> Request::hijack(std::string_view content_type) {
    if (!exchange) return Error::unsupported("request is not attached to a connection");
    if (taken_) return Error::conflict("connection already taken by a stream or hijack");
    auto s = BERTH_TRY(exchange->hijack(content_type, upgrade));
    taken_ = true;
    return s;
}

}  // namespace berth::api
