// Repository: manifests and blobs over the distribution API, with auth and retries.
#include <arpa/inet.h>

#include <algorithm>
#include <thread>

#include "common/base64.h"
#include "common/file.h"
#include "common/strings.h"
#include "image/content/content_store.h"
#include "image/manifest/manifest.h"
#include "registry/auth.h"
#include "registry/http.h"
#include "registry/registry.h"

namespace berth::registry {

namespace mt = image::manifest::media_type;

// ---- endpoints ----------------------------------------------------------------------------

std::string api_host(std::string_view domain) {
    if (domain == "docker.io" || domain == "index.docker.io") return "registry-1.docker.io";
    return std::string(domain);
}

namespace {

std::string strip_port(std::string_view host) {
    if (host.starts_with("[")) {
        auto e = host.find(']');
        return std::string(host.substr(1, e == std::string_view::npos ? e : e - 1));
    }
    auto c = host.rfind(':');
    if (c != std::string_view::npos && host.find(':') == c) return std::string(host.substr(0, c));
    return std::string(host);
}

bool in_cidr(std::string_view ip, std::string_view cidr) {
    auto slash = cidr.find('/');
    if (slash == std::string_view::npos) return false;
    std::string net(cidr.substr(0, slash));
    int bits = atoi(std::string(cidr.substr(slash + 1)).c_str());
    unsigned char a[16], b[16];
    int fam = net.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    if (inet_pton(fam, std::string(ip).c_str(), a) != 1 || inet_pton(fam, net.c_str(), b) != 1) return false;
    int len = fam == AF_INET ? 32 : 128;
    if (bits < 0 || bits > len) return false;
    for (int i = 0; i < bits; ++i)
        if (((a[i / 8] >> (7 - i % 8)) & 1) != ((b[i / 8] >> (7 - i % 8)) & 1)) return false;
    return true;
}

}  // namespace

bool is_insecure(const Config& cfg, std::string_view host) {
    std::string h = strip_port(host);
    for (auto& r : cfg.insecure_registries) {
        std::string_view rv = r;
        if (rv.starts_with("http://")) rv.remove_prefix(7);
        if (rv.starts_with("https://")) rv.remove_prefix(8);
        if (rv == host || rv == h) return true;
        if (in_cidr(h, rv)) return true;
    }
    // Certificates configured for a loopback registry mean it serves HTTPS: verify it.
    if (http::has_tls_files(cfg, std::string(host))) return false;
    return h == "localhost" || in_cidr(h, "127.0.0.0/8") || h == "::1";
}

std::vector<Endpoint> endpoints(const Config& cfg, std::string_view domain) {
    std::vector<Endpoint> out;
    if (domain == "docker.io") {
        for (auto& m : cfg.mirrors) {
            std::string url = m;
            while (url.ends_with("/")) url.pop_back();
            if (url.find("://") == std::string::npos)
                url = (is_insecure(cfg, url) ? "http://" : "https://") + url;
            out.push_back({url, http::host_of(url), true});
        }
    }
    std::string host = api_host(domain);
    out.push_back({(is_insecure(cfg, host) ? "http://" : "https://") + host, host, false});
    return out;
}

Result<Credentials> decode_auth_header(std::string_view header) {
    Credentials c;
    if (header.empty()) return c;
    auto text = BERTH_TRY_CTX(base64_decode(header), "X-Registry-Auth");
    auto j = parse_json(text, "X-Registry-Auth");
    if (!j || !j->is_object()) return c;  // Docker ignores an unreadable header too
    auto str = [&](const char* k) { return string_field(*j, k); };
    c.username = str("username");
    c.password = str("password");
    c.identity_token = str("identitytoken");
    c.registry_token = str("registrytoken");
    return c;
}

// ---- Repository ---------------------------------------------------------------------------

struct Repository::Impl {
    Config cfg;
    Endpoint ep;
    std::string path;
    Credentials creds;
    Access access;
    std::vector<std::string> scopes;
    std::string authorization;  // "Bearer ..." / "Basic ..." once challenged

    std::string url(std::string_view rest) const {
        return ep.base_url + "/v2/" + path + "/" + std::string(rest);
    }

    std::string absolute(std::string_view location) const {
        if (location.find("://") != std::string_view::npos) return std::string(location);
        return ep.base_url + std::string(location);
    }

    Result<> authenticate(const http::Response& resp) {
        auto challenges = auth::parse_challenges(resp.challenges);
        for (auto& ch : challenges) {
            if (ch.scheme == "bearer") {
                authorization = "Bearer " + BERTH_TRY(auth::bearer_token(cfg, ch, scopes, creds));
                return ok();
            }
        }
        for (auto& ch : challenges) {
            if (ch.scheme == "basic") {
                if (creds.username.empty()) break;
                authorization = "Basic " + base64_encode(creds.username + ":" + creds.password);
                return ok();
            }
        }
        return Error(ErrorKind::PermissionDenied, unauthorized_message(resp));
    }

    std::string unauthorized_message(const http::Response& resp) const {
        std::string msg = registry_message(resp);
        return msg.empty() ? "unauthorized: authentication required" : msg;
    }

    // One request, answering one authentication challenge.
    Result<http::Response> send_once(http::Request req) {
        auto base_headers = req.headers;
        for (int round = 0;; ++round) {
            req.headers = base_headers;
            if (!authorization.empty()) req.headers.push_back("Authorization: " + authorization);
            auto resp = BERTH_TRY(http::perform(cfg, ep.host, req));
            if (resp.status != 401 || round > 0) return resp;
            if (req.read) return resp;  // a streamed body cannot be sent twice
            BERTH_TRY(authenticate(resp));
        }
    }

    static bool transient(long status) {
        return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
    }

    void backoff(int attempt) const {
        std::this_thread::sleep_for(std::chrono::milliseconds(cfg.backoff_ms << std::min(attempt, 6)));
    }

    // Idempotent requests: retried on transport errors and transient statuses.
    Result<http::Response> send(const http::Request& req) {
        for (int attempt = 0;; ++attempt) {
            auto resp = send_once(req);
            bool last = attempt >= cfg.retries;
            if (!resp) {
                if (resp.error().kind() != ErrorKind::Unavailable || last) return resp;
            } else if (!transient(resp->status) || last) {
                return resp;
            }
            backoff(attempt);
        }
    }

    static std::string registry_message(const http::Response& resp) {
        auto j = parse_json(resp.body, "registry error");
        if (!j || !j->is_object() || !j->contains("errors") || !(*j)["errors"].is_array()) return "";
        std::string out;
        for (auto& e : (*j)["errors"]) {
            if (!e.is_object()) continue;
            std::string code = to_lower(string_field(e, "code"));
            std::string msg = string_field(e, "message");
            std::replace(code.begin(), code.end(), '_', ' ');
            if (!out.empty()) out += "; ";
            out += code.empty() ? msg : code + ": " + msg;
        }
        return out;
    }

    Error status_error(const http::Response& resp, const std::string& what) const {
        std::string msg = registry_message(resp);
        if (msg.empty()) {
            msg = "HTTP " + std::to_string(resp.status);
            // A short plain-text reason ("Client sent an HTTP request to an HTTPS server.").
            std::string body = trim(resp.body);
            bool text_body = !body.empty() && body.size() <= 200 && body[0] != '<' && body[0] != '{' &&
                             std::all_of(body.begin(), body.end(), [](unsigned char c) { return c >= 0x20; });
            if (text_body) msg += ": " + body;
        }
        std::string text = what + ": " + msg;
        switch (resp.status) {
            case 401:
                return Error(ErrorKind::PermissionDenied, what + ": " + unauthorized_message(resp));
            case 403:
                return Error(ErrorKind::PermissionDenied, text);
            case 404:
                return Error::not_found(text);
            case 400:
            case 405:
                return Error::invalid(text);
            default:
                return Error(ErrorKind::Unavailable, text);
        }
    }
};

Repository::Repository(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Repository::Repository(Repository&&) noexcept = default;
Repository& Repository::operator=(Repository&&) noexcept = default;
Repository::~Repository() = default;

const Endpoint& Repository::endpoint() const {
    return impl_->ep;
}
const std::string& Repository::path() const {
    return impl_->path;
}

Result<Repository> Repository::open(const Config& cfg, const Endpoint& endpoint, std::string path,
                                    Credentials creds, Access access) {
    auto impl = std::make_unique<Impl>();
    impl->cfg = cfg;
    impl->ep = endpoint;
    impl->path = std::move(path);
    impl->creds = std::move(creds);
    impl->access = access;
    impl->scopes = {"repository:" + impl->path + (access == Access::Push ? ":pull,push" : ":pull")};
    return Repository(std::move(impl));
}

Result<Repository> Repository::clone() const {
    return Repository(std::make_unique<Impl>(*impl_));
}

Result<> Repository::ping() {
    http::Request req;
    req.url = impl_->ep.base_url + "/v2/";
    impl_->scopes.clear();  // login asks for a token with no scope, as Docker does
    auto resp = BERTH_TRY(impl_->send(req));
    if (resp.status == 200) return ok();
    return impl_->status_error(resp, "login to " + impl_->ep.host);
}

Result<FetchedManifest> Repository::get_manifest(std::string_view reference) {
    http::Request req;
    req.url = impl_->url("manifests/" + std::string(reference));
    req.headers.push_back("Accept: " + std::string(mt::kOciIndex) + ", " +
                          std::string(mt::kDockerManifestList) + ", " + std::string(mt::kOciManifest) + ", " +
                          std::string(mt::kDockerManifest));
    req.max_body = image::manifest::kMaxManifestSize;
    auto resp = impl_->send(req);
    if (!resp) {
        if (resp.error().message().find("Failure writing output") != std::string::npos)
            return Error::invalid("manifest " + std::string(reference) + " is larger than " +
                                  std::to_string(image::manifest::kMaxManifestSize) + " bytes");
        return resp.error();
    }
    if (resp->status != 200) return impl_->status_error(*resp, "manifest for " + std::string(reference));
    FetchedManifest out;
    out.bytes = std::move(resp->body);
    out.content_type = resp->headers.count("content-type") ? resp->headers["content-type"] : "";
    if (auto semi = out.content_type.find(';'); semi != std::string::npos) out.content_type.resize(semi);
    out.digest = image::content::Digest::of(out.bytes).str();
    if (reference.starts_with("sha256:") && out.digest != reference)
        return Error::invalid("manifest " + std::string(reference) + ": registry sent content with digest " +
                              out.digest);
    return out;
}

Result<int64_t> Repository::fetch_blob(std::string_view digest, const SinkFn& sink,
                                       const ProgressFn& progress, int64_t expected_size) {
    int64_t delivered = 0;
    std::string what = "blob " + std::string(digest);
    for (int attempt = 0;; ++attempt) {
        int64_t before = delivered;
        http::Request req;
        req.url = impl_->url("blobs/" + std::string(digest));
        req.range_from = delivered;  // retries resume where the last attempt stopped
        req.sink = [&](std::string_view data) -> Result<> {
            if (expected_size >= 0 && delivered + static_cast<int64_t>(data.size()) > expected_size)
                return Error::invalid(what + ": registry sent more than the " +
                                      std::to_string(expected_size) + " bytes the manifest gives");
            BERTH_TRY(sink(data));
            delivered += static_cast<int64_t>(data.size());
            if (progress) progress(delivered, expected_size);
            return ok();
        };
        auto resp = impl_->send_once(req);
        bool last = attempt >= impl_->cfg.retries;
        if (!resp) {
            // A stall that brought no new byte is not retried: it would only stall again.
            bool stalled = resp.error().message().find("transfer stalled") != std::string::npos;
            if (resp.error().kind() != ErrorKind::Unavailable || last || (stalled && delivered == before))
                return Error(resp.error()).with_context(what);
        } else if (resp->status == 200 || resp->status == 206) {
            if (expected_size < 0 || delivered == expected_size) return delivered;
            if (last)
                return Error::invalid(what + ": truncated: got " + std::to_string(delivered) + " of " +
                                      std::to_string(expected_size) + " bytes");
        } else if (!Impl::transient(resp->status) || last) {
            return impl_->status_error(*resp, what);
        }
        impl_->backoff(attempt);
    }
}

Result<std::vector<std::string>> Repository::list_tags() {
    std::vector<std::string> out;
    std::string url = impl_->url("tags/list");
    for (int page = 0; page < 1000 && !url.empty(); ++page) {
        http::Request req;
        req.url = url;
        auto resp = BERTH_TRY(impl_->send(req));
        if (resp.status != 200) return impl_->status_error(resp, "list tags of " + impl_->path);
        auto j = BERTH_TRY(parse_json(resp.body, "tag list"));
        if (j.is_object() && j.contains("tags") && j["tags"].is_array())
            for (auto& t : j["tags"])
                if (t.is_string()) out.push_back(t);
        url.clear();
        // Link: </v2/x/tags/list?n=100&last=b>; rel="next"
        if (auto link = resp.headers.find("link"); link != resp.headers.end()) {
            auto a = link->second.find('<'), b = link->second.find('>');
            if (a != std::string::npos && b != std::string::npos && b > a)
                url = impl_->absolute(link->second.substr(a + 1, b - a - 1));
        }
    }
    return out;
}

Result<std::optional<int64_t>> Repository::stat_blob(std::string_view digest) {
    http::Request req;
    req.method = "HEAD";
    req.url = impl_->url("blobs/" + std::string(digest));
    auto resp = BERTH_TRY(impl_->send(req));
    if (resp.status == 404) return std::optional<int64_t>();
    if (resp.status != 200) return impl_->status_error(resp, "blob " + std::string(digest));
    int64_t size = resp.headers.count("content-length") ? atoll(resp.headers["content-length"].c_str()) : -1;
    return std::optional<int64_t>(size);
}

Result<bool> Repository::mount_blob(std::string_view digest, std::string_view from_path) {
    std::string scope = "repository:" + std::string(from_path) + ":pull";
    if (std::find(impl_->scopes.begin(), impl_->scopes.end(), scope) == impl_->scopes.end()) {
        impl_->scopes.push_back(scope);
        impl_->authorization.clear();
    }
    http::Request req;
    req.method = "POST";
    req.url = impl_->url("blobs/uploads/?mount=" + std::string(digest) + "&from=" + std::string(from_path));
    auto resp = BERTH_TRY(impl_->send(req));
    if (resp.status == 201) return true;
    if (resp.status == 202) {
        // An upload session we don't need: cancel it.
        if (resp.headers.count("location")) {
            http::Request del;
            del.method = "DELETE";
            del.url = impl_->absolute(resp.headers["location"]);
            (void)impl_->send_once(del);  // best effort: registries expire abandoned uploads
        }
        return false;
    }
    return impl_->status_error(resp, "mount blob " + std::string(digest));
}

namespace {

std::string with_query(const std::string& url, const std::string& kv) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + kv;
}

}  // namespace

Result<> Repository::push_blob(std::string_view digest, int64_t size, const ReadFn& read,
                               const ProgressFn& progress) {
    std::string what = "push blob " + std::string(digest);
    http::Request start;
    start.method = "POST";
    start.url = impl_->url("blobs/uploads/");
    auto resp = BERTH_TRY_CTX(impl_->send(start), what);
    if (resp.status != 202 || !resp.headers.count("location"))
        return impl_->status_error(resp, what + ": start upload");
    std::string location = impl_->absolute(resp.headers["location"]);
    constexpr int64_t kChunk = 64 << 20;
    if (size > kChunk) {
        // Chunked: PATCH each piece with its Content-Range, then PUT with the digest.
        std::string buf;
        int64_t offset = 0;
        while (offset < size) {
            int64_t n = std::min(kChunk, size - offset);
            buf.resize(static_cast<size_t>(n));
            size_t got = 0;
            while (got < buf.size()) {
                size_t k = BERTH_TRY(read(buf.data() + got, buf.size() - got));
                if (k == 0) return Error::invalid(what + ": local blob is shorter than its size");
                got += k;
            }
            http::Request patch;
            patch.method = "PATCH";
            patch.url = location;
            patch.headers = {
                "Content-Type: application/octet-stream",
                "Content-Range: " + std::to_string(offset) + "-" + std::to_string(offset + n - 1)};
            patch.body = std::move(buf);
            int64_t base = offset;
            if (progress) patch.progress = [&](int64_t done, int64_t) { progress(base + done, size); };
            auto r = BERTH_TRY_CTX(impl_->send_once(patch), what);
            buf = std::move(patch.body);
            if (r.status != 202) return impl_->status_error(r, what + ": upload chunk");
            if (r.headers.count("location")) location = impl_->absolute(r.headers["location"]);
            offset += n;
        }
        http::Request put;
        put.method = "PUT";
        put.url = with_query(location, "digest=" + std::string(digest));
        auto r = BERTH_TRY_CTX(impl_->send_once(put), what);
        if (r.status != 201) return impl_->status_error(r, what + ": finish upload");
        return ok();
    }
    http::Request put;
    put.method = "PUT";
    put.url = with_query(location, "digest=" + std::string(digest));
    put.headers = {"Content-Type: application/octet-stream"};
    put.read = read;
    put.body_size = size;
    put.progress = progress;
    auto r = BERTH_TRY_CTX(impl_->send_once(put), what);
    if (r.status != 201) return impl_->status_error(r, what);
    return ok();
}

Result<std::string> Repository::put_manifest(std::string_view reference, std::string_view media_type,
                                             std::string_view bytes) {
    http::Request req;
    req.method = "PUT";
    req.url = impl_->url("manifests/" + std::string(reference));
    req.headers = {"Content-Type: " + std::string(media_type)};
    req.body = std::string(bytes);
    auto resp = BERTH_TRY(impl_->send(req));
    if (resp.status != 201 && resp.status != 200)
        return impl_->status_error(resp, "push manifest " + std::string(reference));
    if (resp.headers.count("docker-content-digest")) return resp.headers["docker-content-digest"];
    return image::content::Digest::of(bytes).str();
}

// ---- login and search ---------------------------------------------------------------------

namespace {

// "https://index.docker.io/v1/" -> "docker.io"; "localhost:5000" -> "localhost:5000".
std::string server_domain(std::string_view server) {
    std::string s(server);
    if (auto p = s.find("://"); p != std::string::npos) s = s.substr(p + 3);
    if (auto p = s.find('/'); p != std::string::npos) s.resize(p);
    if (s.empty() || s == "index.docker.io" || s == "registry-1.docker.io" || s == "docker.io")
        return "docker.io";
    return s;
}

}  // namespace

Result<> login(const Config& cfg, std::string_view server, const Credentials& creds) {
    std::string domain = server_domain(server);
    auto eps =
        endpoints(Config{.insecure_registries = cfg.insecure_registries, .certs_dir = cfg.certs_dir}, domain);
    auto repo = BERTH_TRY(Repository::open(cfg, eps.back(), "", creds, Access::Pull));
    return repo.ping();
}

Result<Json> search(const Config& cfg, std::string_view term, int limit, const Credentials& creds) {
    std::string domain = "docker.io";
    std::string q(term);
    if (auto slash = q.find('/'); slash != std::string::npos) {
        std::string first = q.substr(0, slash);
        if (first.find_first_of(".:") != std::string::npos || first == "localhost") {
            domain = first;
            q = q.substr(slash + 1);
        }
    }
    std::string host = domain == "docker.io" ? "index.docker.io" : domain;
    std::string base = (is_insecure(cfg, host) ? "http://" : "https://") + host;
    http::Request req;
    req.url =
        base + "/v1/search?q=" + percent_encode(q, "/") + "&n=" + std::to_string(limit > 0 ? limit : 25);
    if (!creds.username.empty())
        req.headers.push_back("Authorization: Basic " + base64_encode(creds.username + ":" + creds.password));
    auto resp = BERTH_TRY_CTX(http::perform(cfg, host, req), "search " + host);
    if (resp.status == 404 || resp.status == 405)
        return Error::unsupported("registry " + domain + " does not support search (no /v1/search endpoint)");
    if (resp.status == 401) return Error(ErrorKind::PermissionDenied, "search " + host + ": unauthorized");
    if (resp.status != 200)
        return Error(ErrorKind::Unavailable, "search " + host + ": HTTP " + std::to_string(resp.status));
    auto j = parse_json(resp.body, "search response");
    if (!j || !j->is_object() || !j->contains("results") || !(*j)["results"].is_array())
        return Error::unsupported("registry " + domain + " does not support search (unexpected response)");
    return (*j)["results"];
}

}  // namespace berth::registry
